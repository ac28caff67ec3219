"""The corpus and its fixed test split."""

import json
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from classifier import dataset
from classifier.dataset import CorpusError, Example

from .helpers import LABELS


def _example(text: str, *labels: str) -> Example:
    return Example(text=text, labels=tuple(labels) or ("other",), lang="zh")


def test_split_is_decided_by_the_text_alone():
    examples = [_example(f"第{i}条投诉：这个应用一直弹窗") for i in range(500)]
    train, test = dataset.split(examples, record=frozenset())
    again_train, again_test = dataset.split(list(reversed(examples)), record=frozenset())
    assert {e.text for e in test} == {e.text for e in again_test}
    assert 0.15 < len(test) / len(examples) < 0.25
    # Width and case do not change which side a text is on.
    assert dataset.split_key("ＡＰＰ 乱扣费") == dataset.split_key("app   乱扣费")


def test_a_recorded_key_stays_in_test_even_if_the_rule_would_train_on_it():
    examples = [_example(f"投诉{i}") for i in range(50)]
    trained = next(e for e in examples if not dataset.in_test_by_rule(e.split_key))
    train, test = dataset.split(examples, record=frozenset({trained.split_key}))
    assert trained in test and trained not in train


def test_split_record_round_trip_keeps_keys_of_texts_that_left(tmp_path):
    path = tmp_path / "test_split.txt"
    examples = [_example(f"投诉{i}") for i in range(200)]
    written = dataset.split_record_write(examples, path)
    assert written == len(dataset.split(examples, record=frozenset())[1])
    first = dataset.split_record_read(path)
    dataset.split_record_write(examples[:10], path)
    assert dataset.split_record_read(path) == first


def test_reading_reports_the_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"text": "ok", "labels": ["fraud"]}\n\n{"text": "x", "labels": "fraud"}\n',
        encoding="utf-8",
    )
    with pytest.raises(
        CorpusError, match=r"bad.jsonl:3: `labels` must be a list of taxonomy codes"
    ):
        dataset.examples_read(path)
    path.write_text("not json\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bad.jsonl:1: not valid JSON"):
        dataset.examples_read(path)
    path.write_text('{"text": "", "labels": []}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bad.jsonl:1: `text` must be a non-empty string"):
        dataset.examples_read(path)


def test_a_directory_without_examples_is_an_error_not_an_empty_corpus(tmp_path, db):
    with pytest.raises(CorpusError, match="no labelled examples"):
        dataset.corpus_load(tmp_path)
    with pytest.raises(CommandError, match="no labelled examples"):
        call_command("train_classifier", "--corpus", str(tmp_path))


def test_other_fields_are_ignored_and_labels_deduplicated(tmp_path):
    path = tmp_path / "eval.jsonl"
    path.write_text(
        json.dumps({"text": "骗子", "labels": ["fraud", "fraud"], "id": 7, "source": "x"}) + "\n",
        encoding="utf-8",
    )
    (example,) = dataset.examples_read(path)
    assert example.labels == ("fraud",) and example.lang == ""


def test_the_real_corpus_meets_the_brief():
    examples = dataset.corpus_load()
    counts = Counter(label for e in examples for label in e.labels)
    assert len(examples) >= 2500
    assert set(counts) == set(LABELS)
    assert min(counts.values()) >= 150, counts
    assert sum(len(e.labels) > 1 for e in examples) >= 0.10 * len(examples)
    languages = Counter(e.lang for e in examples)
    assert 0.6 <= languages["zh"] / len(examples) <= 0.8
    assert all(10 <= len(e.text) <= 800 for e in examples)


def test_the_recorded_split_holds_and_every_label_is_tested():
    examples = dataset.corpus_load()
    record = dataset.split_record_read()
    train, test = dataset.split(examples, record=record)
    assert record, (
        "classifier/corpus/test_split.txt is missing: run train_classifier --record-split"
    )
    assert not {e.split_key for e in train} & record
    assert set(dataset.label_counts(test)) == set(LABELS)
    assert min(dataset.label_counts(test).values()) >= 15
