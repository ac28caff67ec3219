"""The shipped recipe, trained on the recorded training split, keeps a floor on the test split.

Other classifier tests train on a slice and check behaviour; this one catches a model that
still works but got worse (fewer features, a lost feature block, a weaker candidate).
"""

import pytest
from django.conf import settings
from sklearn.metrics import f1_score
from sklearn.preprocessing import MultiLabelBinarizer

from classifier import dataset, training
from classifier.baseline import KeywordBaseline

# When these were set the recipe scored 0.919 test-split macro-F1 (linear_svm) and the
# keyword baseline 0.560; the recipe is seeded, so the headroom is for library upgrades. The
# floor is the benchmark's target (README), above the 0.88 first asked for: capping one feature
# block costs about 0.03 and leaves 0.881-0.887, which a 0.88 floor would let through.
# The contrast examples of a step that went well (issue 15, 28 texts) put 17 hard texts into
# the test split, and the recipe scored 0.894 on it then (outside set 0.931): the floor went to
# 0.89, still above the 0.881-0.887 of a capped feature block.
MACRO_F1_FLOOR = 0.89
MARGIN_OVER_BASELINE = 0.25
# Issue 15, on the outside set (classifier/corpus/outside/, never trained on), which stands
# in for real complaints. Measured when set: macro-F1 0.924 (zh 0.941, en 0.894), review
# share 11.3% at the 0.6 confidence threshold with 0.940 exact match on the rest (the
# recipe before issue 15: 0.855, zh 0.896, en 0.791, 27.7%, 0.887). The targets of the issue
# are 0.85, each language 0.80, review share <= 25%, auto exact match >= 0.90.
# With the resolved-step scope and listed problems read item by item: 0.931 (zh 0.947, en
# 0.901), review share 10.6%, 0.944 exact match on the rest.
OUTSIDE_MACRO_F1_FLOOR = 0.90
OUTSIDE_LANG_FLOOR = {"zh": 0.90, "en": 0.85}
OUTSIDE_REVIEW_SHARE_CEILING = 0.20
OUTSIDE_AUTO_EXACT_FLOOR = 0.92


def _macro_f1(truth, predicted, labels: list[str]) -> float:
    """Macro-F1 over the model's labels, computed here rather than by classifier.evaluation,
    so a change to the reporting code cannot move the floor."""
    binarizer = MultiLabelBinarizer(classes=labels).fit([labels])
    return float(
        f1_score(
            binarizer.transform(truth),
            binarizer.transform(predicted),
            average="macro",
            zero_division=0,
        )
    )


@pytest.fixture(scope="module")
def shipped():
    train, test = dataset.corpus_split()
    # What `classifier.services.model_train` runs: every candidate, the winner by LORO.
    return train, test, training.train(train, test)


@pytest.mark.slow
def test_shipped_recipe_keeps_its_floor_and_its_margin_over_the_keyword_baseline(shipped):
    train, test, result = shipped
    texts = [e.text for e in test]
    truth = [e.labels for e in test]
    labels = result.model.labels
    model_f1 = _macro_f1(truth, result.model.predict_labels(texts), labels)
    baseline_f1 = _macro_f1(truth, KeywordBaseline().predict_labels(texts), labels)
    figures = (
        f"test-split macro-F1: model ({result.model.algorithm}) {model_f1:.4f}, "
        f"keyword baseline {baseline_f1:.4f}, margin {model_f1 - baseline_f1:.4f} "
        f"({len(train)} train, {len(test)} test)"
    )
    assert model_f1 >= MACRO_F1_FLOOR, f"below the {MACRO_F1_FLOOR} floor; {figures}"
    assert model_f1 - baseline_f1 >= MARGIN_OVER_BASELINE, (
        f"beats the keyword baseline by less than {MARGIN_OVER_BASELINE}; {figures}"
    )


@pytest.mark.slow
def test_shipped_recipe_keeps_its_floors_on_complaints_written_unlike_the_corpus(shipped):
    _, _, result = shipped
    model = result.model
    outside = dataset.examples_read(dataset.CORPUS_DIR / "outside" / "registers.jsonl")
    predicted, confidence = model.predict_with_confidence([e.text for e in outside])
    figures = {"macro_f1": _macro_f1([e.labels for e in outside], predicted, model.labels)}
    for lang in OUTSIDE_LANG_FLOOR:
        idx = [i for i, e in enumerate(outside) if e.lang == lang]
        figures[lang] = _macro_f1(
            [outside[i].labels for i in idx], [predicted[i] for i in idx], model.labels
        )
    auto = [i for i, c in enumerate(confidence) if c >= settings.CLASSIFIER_CONFIDENCE_THRESHOLD]
    figures["review_share"] = 1 - len(auto) / len(outside)
    figures["auto_exact"] = sum(set(predicted[i]) == set(outside[i].labels) for i in auto) / len(
        auto
    )
    shown = ", ".join(f"{k} {v:.4f}" for k, v in figures.items())
    assert figures["macro_f1"] >= OUTSIDE_MACRO_F1_FLOOR, shown
    for lang, floor in OUTSIDE_LANG_FLOOR.items():
        assert figures[lang] >= floor, shown
    assert figures["review_share"] <= OUTSIDE_REVIEW_SHARE_CEILING, shown
    assert figures["auto_exact"] >= OUTSIDE_AUTO_EXACT_FLOOR, shown


@pytest.mark.slow
def test_a_notice_listing_problems_keeps_each_problem_s_label(shipped):
    model = shipped[2].model
    listed = {
        "问题项：1. 应用在后台每隔几分钟读取定位；2. 首次打开即要求通讯录权限，拒绝就退出。": {
            "illegal_collection",
            "over_permission",
        },
        "经查，该平台存在以下问题：一、开屏广告无法关闭并诱导跳转；二、会员到期前未提醒即自动续费扣款。": {
            "misleading_popups",
            "unauthorized_charges",
        },
        "Findings: the app shares users' phone numbers with third-party advertisers; "
        "the fare shown to returning customers is higher than to new ones.": {
            "data_sharing_leak",
            "price_discrimination",
        },
    }
    for text, labels in listed.items():
        assert set(model.predict_labels([text])[0]) == labels, text


@pytest.mark.slow
def test_a_step_that_went_well_is_not_what_the_complaint_is_about(shipped):
    model = shipped[2].model
    went_well = {
        "账号注销流程很顺利，当天就办好了。": "account_cancellation",
        "退订很顺利，不过之前那个月被多扣了两次钱。": None,
        "Cancelling the subscription went smoothly, thanks.": "account_cancellation",
    }
    for text, step in went_well.items():
        labels = model.predict_labels([text])[0]
        if step is None:
            assert labels == ["unauthorized_charges"], (text, labels)
        else:
            assert step not in labels, (text, labels)
