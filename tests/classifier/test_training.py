"""The training recipe: candidates and the baseline on the same split, the winner by CV."""

from classifier import training

from .helpers import LABELS, small_corpus, small_training


def test_recipe_reports_every_candidate_and_the_baseline_on_the_same_split():
    result = small_training(("linear_svm", "complement_nb"))
    _, test = small_corpus()
    names = [c.algorithm for c in result.candidates]
    assert names == ["linear_svm", "complement_nb", "keyword_baseline"]
    for report in result.candidates:
        assert report.test["n"] == len(test)
        assert set(report.test["per_label"]) == set(LABELS)
        assert set(report.test_by_lang) == {"zh", "en"}
        assert 0 <= report.cv_macro_f1 <= 1
    learned = [c for c in result.candidates if c.algorithm != "keyword_baseline"]
    assert result.best.cv_macro_f1 == max(c.cv_macro_f1 for c in learned)
    assert result.model.algorithm == result.best.algorithm
    baseline = result.candidates[-1]
    assert result.best.test["macro_f1"] > baseline.test["macro_f1"]


def test_metrics_keep_per_label_figures_confusion_and_thresholds():
    result = small_training()
    metrics = result.metrics
    assert metrics["test"]["macro_f1"] == result.best.test["macro_f1"]
    matrix = metrics["test"]["confusion"]["matrix"]
    assert matrix["labels"] == list(LABELS) and len(matrix["rows"]) == len(LABELS)
    assert set(metrics["test"]["confusion"]["per_label"]["fraud"]) == {"tn", "fp", "fn", "tp"}
    assert set(result.best.thresholds) == set(LABELS)
    assert all(0.1 <= t <= 0.9 for t in result.best.thresholds.values())


def test_folds_hold_every_label():
    train, _ = small_corpus()
    for _, held in training.folds_for(train):
        held_labels = {label for i in held for label in train[i].labels}
        assert held_labels == set(LABELS)
