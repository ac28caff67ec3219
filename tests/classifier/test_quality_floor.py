"""The shipped recipe, trained on the recorded training split, keeps a floor on the test split.

Other classifier tests train on a slice and check behaviour; this one catches a model that
still works but got worse (fewer features, a lost feature block, a weaker candidate).
"""

import pytest
from sklearn.metrics import f1_score
from sklearn.preprocessing import MultiLabelBinarizer

from classifier import dataset, training
from classifier.baseline import KeywordBaseline

# When these were set the recipe scored 0.919 test-split macro-F1 (linear_svm) and the
# keyword baseline 0.560; the recipe is seeded, so the headroom is for library upgrades. The
# floor is the benchmark's target (README), above the 0.88 first asked for: capping one feature
# block costs about 0.03 and leaves 0.881-0.887, which a 0.88 floor would let through.
MACRO_F1_FLOOR = 0.90
MARGIN_OVER_BASELINE = 0.25


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


@pytest.mark.slow
def test_shipped_recipe_keeps_its_floor_and_its_margin_over_the_keyword_baseline():
    train, test = dataset.corpus_split()
    # What `classifier.services.model_train` runs: every candidate, the winner by CV.
    result = training.train(train, test)
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
