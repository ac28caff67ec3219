"""The pipeline, thresholds, explanations and the skops artifact, on a small real model."""

import numpy as np
import pytest
import skops.io as sio

from classifier.explain import NOT_SHOWN
from classifier.pipeline import (
    ARTIFACT_FORMAT,
    ArtifactError,
    LabelModel,
    labels_from_proba,
    pipeline_build,
    thresholds_choose,
)
from classifier.text import normalise, segment

from .helpers import OBVIOUS, small_corpus, small_training


class NotOurs:
    """A type no AppWatch artifact contains."""

    def __init__(self):
        self.payload = "anything"


@pytest.fixture(scope="module")
def model() -> LabelModel:
    return small_training().model


@pytest.mark.parametrize("label", sorted(OBVIOUS))
def test_small_model_gets_plain_complaints_right(model, label):
    prediction = model.predict(OBVIOUS[label])
    assert label in prediction.labels
    assert 0 <= prediction.confidence <= 1
    assert set(prediction.probabilities) == set(model.labels)
    assert prediction.confidence == pytest.approx(
        min(prediction.probabilities[x] for x in prediction.labels), abs=1e-4
    )


def test_explanation_names_the_words_behind_a_label(model):
    prediction = model.predict(OBVIOUS["account_cancellation"])
    terms = [item["term"] for item in prediction.explanation["account_cancellation"]]
    assert "注销" in terms
    assert all(item["weight"] > 0 for item in prediction.explanation["account_cancellation"])
    assert len(terms) == len(set(terms)) <= 6


def test_a_batch_explains_each_text_by_its_own_words(model):
    texts = [OBVIOUS[label] for label in sorted(OBVIOUS)]
    batch = model.predict_many(texts)
    # Each text's explanation in the batch is the one it gets alone: no neighbour's words.
    assert [p.explanation for p in batch] == [model.predict(t).explanation for t in texts]
    by_label = dict(zip(sorted(OBVIOUS), batch, strict=True))
    cancellation = by_label["account_cancellation"].explanation["account_cancellation"]
    assert "注销" in [item["term"] for item in cancellation]
    assert "注销" not in str(by_label["over_permission"].explanation)
    permissions = by_label["over_permission"].explanation["over_permission"]
    assert "权限" in [item["term"] for item in permissions]
    charges = by_label["unauthorized_charges"].explanation["unauthorized_charges"]
    assert "charged" in [item["term"] for item in charges]


@pytest.mark.parametrize(
    "text",
    [
        "问题项：违规收集个人信息。该应用在用户同意隐私政策前即收集设备识别码和位置信息，价格没有杀熟。",
        "The app sends data to Facebook and collects my location; it did not ask for consent.",
    ],
)
def test_explanations_show_whole_words_only_never_fragments_or_stop_words(model, text):
    words = segment(normalise(text)).split()
    shown_ok = set(words) | {a + b for a, b in zip(words, words[1:], strict=False)}
    shown_ok |= {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
    X = model.features([text])
    for label in model.labels:
        for item in model.top_terms(X, label, limit=20):
            term = item["term"]
            assert term in shown_ok, (label, term)
            assert not set(term.split()) & NOT_SHOWN and term not in NOT_SHOWN, (label, term)
            assert not term.startswith("not_"), (label, term)
    assert "规收" not in {i["term"] for i in model.top_terms(X, "illegal_collection", limit=50)}


def _top_terms_read_plainly(model, X, label, limit, row):
    """The explanation's definition, feature by feature: each shown term's positive scores
    (tf-idf value x weight) added up, strongest first (ties: the first named), a term inside
    or around a stronger one left out."""
    from classifier.explain import TERM_DISPLAY, feature_terms, linear_weights

    terms = feature_terms(model.pipeline.named_steps["features"])
    estimator = model.pipeline[-1].estimators_[model.labels.index(label)]
    weights = linear_weights(estimator, len(terms)).astype(np.float32)
    contributions: dict[str, float] = {}
    start, end = X.indptr[row], X.indptr[row + 1]
    for feature, value in zip(X.indices[start:end], X.data[start:end], strict=True):
        score = value * weights[feature]
        term = terms[feature]
        if score > 0 and term is not None and term not in NOT_SHOWN:
            contributions[term] = contributions.get(term, 0.0) + float(score)
    chosen: list[tuple[str, float]] = []
    for term, score in sorted(contributions.items(), key=lambda item: -item[1]):
        if not any(term in kept or kept in term for kept, _ in chosen):
            chosen.append((term, score))
    return [{"term": TERM_DISPLAY.get(t, t), "weight": round(w, 4)} for t, w in chosen[:limit]]


def test_explanations_are_the_terms_read_feature_by_feature(model):
    _, test = small_corpus()
    texts = [example.text for example in test] + list(OBVIOUS.values())
    X = model.features(texts).tocsr()
    compared = 0
    for row in range(len(texts)):
        for label in model.labels:
            for limit in (6, 50):
                expected = _top_terms_read_plainly(model, X, label, limit, row)
                assert model.top_terms(X, label, limit=limit, row=row) == expected
                compared += bool(expected)
    assert compared > len(texts)  # most texts have terms to show


def test_detected_language_comes_with_the_prediction(model):
    assert model.predict(OBVIOUS["unauthorized_charges"]).language == "en"
    assert model.predict(OBVIOUS["over_permission"]).language == "zh-hans"


def test_every_candidate_builds_and_unknown_ones_are_refused():
    for algorithm in ("linear_svm", "logistic_regression", "complement_nb"):
        assert pipeline_build(algorithm).steps[-1][0] == "classify"
    with pytest.raises(ValueError, match="unknown algorithm 'forest'"):
        pipeline_build("forest")


def test_thresholds_maximise_f1_per_label():
    Y = np.array([[1, 0], [1, 0], [0, 1], [0, 0], [0, 0]])
    P = np.array([[0.35, 0.1], [0.4, 0.2], [0.2, 0.9], [0.3, 0.6], [0.1, 0.1]])
    cuts = thresholds_choose(Y, P)
    assert 0.3 < cuts[0] <= 0.35  # keeps both positives, drops the 0.3 negative
    assert 0.6 < cuts[1] <= 0.9


def test_no_label_above_its_threshold_falls_back_to_the_most_probable():
    P = np.array([[0.2, 0.45, 0.1], [0.9, 0.8, 0.1]])
    assert labels_from_proba(P, ["a", "b", "c"], np.array([0.5, 0.5, 0.5])) == [["b"], ["a", "b"]]


def test_skops_round_trip_predicts_the_same(model):
    data = model.dumps()
    loaded = LabelModel.loads(data)
    _, test = small_corpus()
    texts = [e.text for e in test]
    assert loaded.labels == model.labels and np.allclose(loaded.thresholds, model.thresholds)
    assert np.allclose(loaded.predict_proba(texts), model.predict_proba(texts))
    assert loaded.predict(OBVIOUS["over_permission"]) == model.predict(OBVIOUS["over_permission"])
    # Dumping leaves the model itself whole.
    assert model.predict_labels(texts) == loaded.predict_labels(texts)


def test_an_artifact_with_foreign_types_is_refused():
    data = sio.dumps({"format": 1, "pipeline": NotOurs()})
    with pytest.raises(
        ArtifactError, match="types AppWatch never writes: tests.classifier.test_pipeline.NotOurs"
    ):
        LabelModel.loads(data)


def test_garbage_and_foreign_payloads_are_refused():
    with pytest.raises(ArtifactError, match="not a readable skops artifact"):
        LabelModel.loads(b"PK\x03\x04 certainly not a model")
    with pytest.raises(ArtifactError, match="not an AppWatch classifier artifact"):
        LabelModel.loads(sio.dumps({"format": 99}))
    with pytest.raises(ArtifactError, match="damaged AppWatch classifier artifact"):
        LabelModel.loads(sio.dumps({"format": ARTIFACT_FORMAT, "labels": ["fraud"]}))
