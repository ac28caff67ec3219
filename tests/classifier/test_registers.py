"""Issue 15: what carries the model to text unlike its first corpus: negation scope, the
keyword lexicon, the decision rule, register folds, weighted thresholds, the review threshold
and the reliability table."""

import numpy as np
import pytest

from classifier import dataset, shift
from classifier.dataset import Example
from classifier.lexicon import LEXICON, LexiconFeatures
from classifier.pipeline import labels_from_proba, listed_merge, thresholds_choose
from classifier.text import normalise, problem_items, segment

LABELS = ["data_sharing_leak", "fraud", "other", "price_discrimination"]


def words(text: str) -> list[str]:
    return segment(normalise(text)).split()


# --- negation --------------------------------------------------------------------------------


def test_negated_words_are_marked_up_to_the_end_of_their_clause():
    assert words("价格没有杀熟，就是客服态度差") == [
        "价格", "没有", "not_杀熟", "就是", "客服", "态度", "差",
    ]  # fmt: skip
    assert "not_同意" in words("我从没开通会员，也没有同意自动续费，却每月被扣钱")
    assert "扣钱" in words("我从没开通会员，也没有同意自动续费，却每月被扣钱")
    assert words("No hidden charges, but the app logs me out") == [
        "no", "not_hidden", "not_charges", "but", "the", "app", "logs", "me", "out",
    ]  # fmt: skip
    assert words("I never agreed to it.")[:3] == ["i", "never", "not_agreed"]


def test_words_that_only_look_negative_are_left_alone():
    assert words("帐号无法注销") == ["帐号", "无法", "注销"]
    assert words("注销没有问题以外的事")[0] == "注销"


def test_a_step_that_went_well_is_read_as_resolved_up_to_its_clause():
    assert words("注销很顺利") == ["ok_注销", "ok_很", "顺利"]
    assert words("注销很顺利，但是注销后还在扣费")[3:5] == ["但是", "注销"]
    assert words("Deletion went smoothly, then they charged me")[:4] == [
        "ok_deletion", "ok_went", "smoothly", "then",
    ]  # fmt: skip
    assert words("没有顺利注销") == ["没有", "not_顺利", "not_注销"]  # negated, not resolved


# --- listed problems -------------------------------------------------------------------------


def test_listed_problems_are_split_at_their_numbers_or_after_a_heading():
    assert problem_items("问题项：1. APP强制、频繁、过度索取权限；2. 违规收集个人信息。") == [
        "APP强制、频繁、过度索取权限", "违规收集个人信息",
    ]  # fmt: skip
    assert problem_items("存在以下问题：一、超范围收集个人信息；二、未经同意向第三方提供") == [
        "超范围收集个人信息", "未经同意向第三方提供",
    ]  # fmt: skip
    assert problem_items("（1）默认勾选自动续费（2）诱导用户点击弹窗") == [
        "默认勾选自动续费", "诱导用户点击弹窗",
    ]  # fmt: skip
    assert problem_items("Issues found: reads contacts at launch; uploads the advertising ID") == [
        "reads contacts at launch", "uploads the advertising ID",
    ]  # fmt: skip


def test_ordinary_sentences_with_numbers_or_semicolons_are_not_lists():
    assert problem_items("充值了1.5元；后来2.0版本又涨价了") == []
    assert problem_items("先扣了我钱；又不给退") == []
    assert problem_items("问题项：账号注销难") == []  # one problem is not a list
    assert problem_items("") == []


# --- lexicon ---------------------------------------------------------------------------------


def columns(text: str) -> set[str]:
    features = LexiconFeatures().fit([])
    row = features.transform([normalise(text)])
    names = list(LEXICON)
    return {names[i] for i in row.indices}


def test_lexicon_reads_regulator_notice_and_bug_tracker_wording():
    assert columns("问题项：APP强制、频繁、过度索取权限") == {"permission", "notice"}
    assert "sharing" in columns("The SDK sends data to Facebook on launch")
    assert "collection" in columns("Telemetry is on by default, GDPR requires opt-in")
    assert columns("") == set()


def test_the_longest_keyword_wins_so_screen_sharing_is_a_fraud_trick_not_data_sharing():
    assert columns("客服让我打开屏幕共享处理退款") == {"fraud", "service"}
    assert columns("他让我共享屏幕") == {"fraud"}  # not "共享", a prefix of the longer word
    assert "sharing" in columns("它把我的通讯录共享给了第三方")


def test_the_fitted_lexicon_travels_with_the_model(monkeypatch):
    features = LexiconFeatures().fit([])
    monkeypatch.setitem(LEXICON, "fraud", ("nothing-like-this",))
    assert features.transform(["诈骗"]).nnz == 1


# --- decision rule ---------------------------------------------------------------------------


def test_other_only_when_no_other_label_passes():
    P = np.array([[0.7, 0.1, 0.8, 0.1], [0.1, 0.1, 0.8, 0.1]])
    cuts = np.full(4, 0.5)
    assert labels_from_proba(P, LABELS, cuts) == [["data_sharing_leak"], ["other"]]


def test_a_second_label_needs_the_measured_minimum():
    P = np.array([[0.9, 0.65, 0.1, 0.1], [0.9, 0.85, 0.1, 0.1]])
    cuts = np.full(4, 0.5)
    assert labels_from_proba(P, LABELS, cuts, second_min=0.8) == [
        ["data_sharing_leak"],
        ["data_sharing_leak", "fraud"],
    ]
    assert labels_from_proba(P, LABELS, cuts)[0] == ["data_sharing_leak", "fraud"]


def test_a_label_that_passes_on_one_listed_item_joins_below_the_second_label_minimum():
    cuts = np.full(4, 0.5)
    whole = np.array([0.95, 0.6, 0.1, 0.1])  # fraud passes but is under second_min
    items = np.array([[0.97, 0.1, 0.1, 0.1], [0.2, 0.7, 0.1, 0.1]])
    chosen, p = listed_merge(["data_sharing_leak"], whole, items, LABELS, cuts, 0.8)
    assert chosen == ["data_sharing_leak", "fraud"]
    assert p[1] == 0.7 and p[0] == 0.97  # at the item's probability where it is higher
    assert whole[1] == 0.6  # the caller's row is left alone


def test_items_add_nothing_that_passes_on_none_of_them_and_other_gives_way():
    cuts = np.full(4, 0.5)
    items = np.array([[0.1, 0.1, 0.9, 0.1], [0.1, 0.4, 0.1, 0.45]])  # other, then nothing
    chosen, _ = listed_merge(["other"], np.array([0.1, 0.1, 0.9, 0.1]), items, LABELS, cuts, 0.8)
    assert chosen == ["other"]
    items = np.array([[0.1, 0.1, 0.9, 0.1], [0.1, 0.1, 0.1, 0.9]])
    chosen, _ = listed_merge(["other"], np.array([0.1, 0.1, 0.9, 0.1]), items, LABELS, cuts, 0.8)
    assert chosen == ["price_discrimination"]


# --- folds and thresholds --------------------------------------------------------------------


def test_each_register_is_held_out_whole_with_a_slice_of_the_first_corpus():
    train, _ = dataset.corpus_split()
    folds = shift.register_folds(train)
    registers = shift.registers_of(train)
    assert len(folds) == len(registers) == 7
    held_everywhere = np.concatenate([held for _, held in folds])
    assert sorted(held_everywhere) == list(range(len(train)))
    for register, (fit, held) in zip(registers, folds, strict=True):
        assert {train[i].register for i in held} == {register, ""}
        assert register not in {train[i].register for i in fit}


def test_without_enough_registers_the_ordinary_folds_are_used():
    examples = [Example(f"text {i}", ("fraud",), "en", register="review") for i in range(10)]
    assert shift.register_folds(examples) is None


def test_register_examples_weigh_as_much_as_the_first_corpus_when_cuts_are_chosen():
    examples = [Example("a", ("fraud",)), Example("b", ("fraud",)), Example("c", ("fraud",))]
    examples.append(Example("d", ("fraud",), register="notice"))
    weights = shift.threshold_weights(examples)
    assert weights[:3].sum() == pytest.approx(weights[3:].sum())
    # The one register example moves the cut as much as the three others together.
    Y = np.array([[1], [0], [0], [1]])
    P = np.array([[0.9], [0.55], [0.55], [0.3]])
    assert thresholds_choose(Y, P)[0] > 0.55
    assert thresholds_choose(Y, P, weights)[0] <= 0.3


# --- review threshold and reliability ---------------------------------------------------------


def test_review_threshold_is_the_middle_of_the_cuts_that_meet_both_targets():
    truth = [("fraud",)] * 20
    confidence = np.linspace(0.3, 0.99, 20)
    # The least confident three are wrong.
    chosen = [["other"]] * 3 + [["fraud"]] * 17
    result = shift.review_threshold_choose(truth, chosen, confidence)
    low, high = result["meeting_targets"]
    assert result["chosen"]["review_share"] <= shift.TARGET_REVIEW_SHARE
    assert result["chosen"]["auto_exact_match"] >= shift.TARGET_AUTO_EXACT
    assert low < result["chosen"]["threshold"] < high
    for row in result["table"]:
        meets = (
            row["review_share"] <= shift.TARGET_REVIEW_SHARE
            and (row["auto_exact_match"] or 0) >= shift.TARGET_AUTO_EXACT
        )
        assert meets == (low <= row["threshold"] <= high)


def test_reliability_bins_compare_mean_confidence_with_accuracy():
    truth = [("fraud",)] * 4
    chosen = [["fraud"], ["other"], ["fraud"], ["fraud"]]
    table = shift.reliability(truth, chosen, np.array([0.15, 0.12, 0.95, 1.0]))
    assert table == [
        {"bin": "0.1-0.2", "n": 2, "mean_confidence": 0.135, "accuracy": 0.5},
        {"bin": "0.9-1.0", "n": 2, "mean_confidence": 0.975, "accuracy": 1.0},
    ]


def test_the_outside_set_is_never_read_as_training_data():
    train, test = dataset.corpus_split()
    outside = dataset.examples_read(dataset.CORPUS_DIR / "outside" / "registers.jsonl")
    assert len(outside) >= 250
    assert not {e.split_key for e in outside} & {e.split_key for e in [*train, *test]}
    assert {e.register for e in outside} == set(shift.REGISTERS)
