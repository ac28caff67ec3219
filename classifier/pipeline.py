"""The model: one function builds the scikit-learn Pipeline; LabelModel adds per-label
thresholds and explanations, and artifacts are written and read with skops only.
"""

import zipfile
from dataclasses import dataclass, field

import numpy as np
import skops.io as sio
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from .explain import NOT_SHOWN, TERM_DISPLAY, feature_terms, linear_weights
from .fast_path import FastPath, pipeline_vectorizers
from .lexicon import LexiconFeatures
from .text import (
    TextNormaliser,
    WordSegmenter,
    detect_language,
    problem_items,
)

ALGORITHMS = ("linear_svm", "logistic_regression", "complement_nb")
SEED = 20240515
ARTIFACT_FORMAT = 2  # 2: vocabularies stored as term arrays
# Every type an AppWatch artifact may contain. Anything else in a file means we did not write
# it, and it is refused before a single object is built.
TRUSTED_TYPES = frozenset(
    {
        "classifier.lexicon.LexiconFeatures",
        "classifier.text.TextNormaliser",
        "classifier.text.WordSegmenter",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.multiclass._ConstantPredictor",
    }
)


def pipeline_build(algorithm: str = "linear_svm") -> Pipeline:
    """Normalise, then a union of character n-grams and jieba word n-grams, then one calibrated
    linear classifier per label.

    Character n-grams catch misspellings, slang and mixed scripts; words catch what
    characters split apart ("注销" vs "注" + "销"). Sigmoid calibration turns every
    candidate's scores into probabilities that per-label thresholds can be set on.
    """
    return Pipeline(
        [
            ("normalise", TextNormaliser()),
            ("features", features_build()),
            ("classify", classifier_build(algorithm)),
        ]
    )


LEXICON_WEIGHT = 0.1


def features_build() -> FeatureUnion:
    """The feature half of the pipeline (after normalisation): character n-grams, words
    (negation marked) and the keyword lexicon's concepts (classifier.lexicon)."""
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(1, 3),
        min_df=2,
        sublinear_tf=True,
        max_features=200_000,
        dtype=np.float32,
    )
    words = TfidfVectorizer(
        token_pattern=r"\S+",
        lowercase=False,
        ngram_range=(1, 2),
        min_df=2,
        sublinear_tf=True,
        dtype=np.float32,
    )
    return FeatureUnion(
        [
            ("chars", chars),
            ("words", Pipeline([("segment", WordSegmenter()), ("tfidf", words)])),
            ("lexicon", LexiconFeatures(weight=LEXICON_WEIGHT)),
        ]
    )


def classifier_build(algorithm: str) -> OneVsRestClassifier:
    """One calibrated binary classifier per label. Parameters were chosen by 5-fold
    cross-validation on the training split (never the test split)."""
    if algorithm == "linear_svm":
        base = LinearSVC(C=0.3, class_weight="balanced", random_state=SEED)
    elif algorithm == "logistic_regression":
        # The dual problem is the fast one when features outnumber examples.
        base = LogisticRegression(
            C=5.0,
            dual=True,
            solver="liblinear",
            max_iter=1000,
            class_weight="balanced",
            random_state=SEED,
        )
    elif algorithm == "complement_nb":
        base = ComplementNB(alpha=0.03)
    else:
        raise ValueError(f"unknown algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")
    return OneVsRestClassifier(CalibratedClassifierCV(base, method="sigmoid", cv=3, ensemble=False))


def thresholds_choose(
    Y: np.ndarray, P: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Per label, the probability cut that maximises F1 on out-of-fold predictions.

    `weights` (one per row) make some examples count more: training gives the register
    examples, predicted out of register, as much weight as the whole first corpus. Ties go
    to the cut nearest 0.5, so a flat optimum does not drift to an extreme.
    """
    grid = np.round(np.arange(0.10, 0.91, 0.025), 3)
    w = np.ones(len(Y)) if weights is None else np.asarray(weights, dtype=float)
    chosen = np.full(Y.shape[1], 0.5)
    for j in range(Y.shape[1]):
        truth = Y[:, j].astype(bool)
        if not truth.any():
            continue
        best = (-1.0, 0.0)
        positives = w[truth].sum()
        for cut in grid:
            predicted = P[:, j] >= cut
            tp = w[predicted & truth].sum()
            f1 = 2 * tp / (w[predicted].sum() + positives) if tp else 0.0
            key = (round(f1, 6), -abs(cut - 0.5))
            if key > best:
                best, chosen[j] = key, cut
    return chosen


OTHER = "other"


def labels_from_proba(
    P: np.ndarray, labels: list[str], thresholds: np.ndarray, *, second_min: float | None = None
) -> list[list[str]]:
    """Labels above their thresholds, with two rules measured on register-shifted validation
    (classifier.training): `other` only when no other label passes, and past the most probable
    label, others only at probability `second_min` or more (real complaints are seldom
    multi-label). When no label passes, the single most probable one."""
    above = thresholds <= P
    other = labels.index(OTHER) if OTHER in labels else None
    result = []
    for row, hits in zip(P, above, strict=True):
        idx = np.flatnonzero(hits)
        if other is not None and idx.size > 1 and hits[other]:
            idx = idx[idx != other]
        if second_min is not None and idx.size > 1:
            top = idx[np.argmax(row[idx])]
            idx = np.array([i for i in idx if i == top or row[i] >= second_min])
        if idx.size == 0:
            idx = [int(np.argmax(row))]
        result.append([labels[i] for i in idx])
    return result


def listed_merge(
    chosen: list[str],
    p: np.ndarray,
    item_P: np.ndarray,
    labels: list[str],
    thresholds: np.ndarray,
    second_min: float | None,
) -> tuple[list[str], np.ndarray]:
    """A listing text's labels `chosen` (probabilities `p`) joined with its items' own (text.
    problem_items): a label passing its threshold on one item joins, at that item's
    probability, whatever the second-label minimum says of the whole text."""
    found = set(chosen)
    item_labels = labels_from_proba(item_P, labels, thresholds, second_min=second_min)
    for row_labels, row_passes in zip(item_labels, item_P >= thresholds, strict=True):
        found.update(label for label in row_labels if row_passes[labels.index(label)])
    if len(found) > 1:
        found.discard(OTHER)
    p = p.copy()
    columns = [labels.index(label) for label in found]
    p[columns] = np.maximum(p[columns], item_P[:, columns].max(axis=0))
    return [label for label in labels if label in found], p


def confidence_of(P: np.ndarray, labels: list[str], chosen: list[list[str]]) -> np.ndarray:
    """Per row, the probability of the least certain chosen label."""
    index = {label: i for i, label in enumerate(labels)}
    return np.array(
        [
            min(float(row[index[label]]) for label in row_labels)
            for row, row_labels in zip(P, chosen, strict=True)
        ]
    )


@dataclass
class Prediction:
    labels: list[str]
    probabilities: dict[str, float]
    confidence: float
    explanation: dict[str, list[dict]] = field(default_factory=dict)
    language: str = ""


class LabelModel:
    """A fitted pipeline with its label order, per-label thresholds and explanation weights.

    Prediction takes the fast path (classifier.fast_path) when it reproduces the pipeline,
    which is checked when the model is built or loaded; otherwise the pipeline itself.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        labels: list[str],
        thresholds,
        algorithm: str,
        second_label_min: float | None = None,
    ):
        self.pipeline = pipeline
        self.labels = list(labels)
        self.thresholds = np.asarray(thresholds, dtype=float)
        self.algorithm = algorithm
        self.second_label_min = second_label_min
        self._terms: list[str] | None = None
        self._term_ids: np.ndarray | None = None
        self._explain_weights: np.ndarray | None = None
        self._fast = FastPath.compile(pipeline, len(self.labels))

    @property
    def uses_fast_path(self) -> bool:
        return self._fast is not None

    # -- prediction ------------------------------------------------------------------------
    def features(self, texts) -> sparse.csr_matrix:
        """The classifier's input for `texts` (the pipeline's feature matrix)."""
        if self._fast is None:
            return self.pipeline[:-1].transform(list(texts))
        return self._fast.features(texts)

    def proba_from_features(self, X) -> np.ndarray:
        if self._fast is None:
            return self.pipeline[-1].predict_proba(X)
        return self._fast.proba(X)

    def predict_proba(self, texts) -> np.ndarray:
        texts = list(texts)
        if self._fast is None:
            return self.pipeline.predict_proba(texts)
        return self._fast.proba(self._fast.features(texts))

    def labels_for(self, P: np.ndarray) -> list[list[str]]:
        """The label sets this model gives for probability rows P."""
        return labels_from_proba(P, self.labels, self.thresholds, second_min=self.second_label_min)

    def labels_read(self, texts: list[str], P: np.ndarray) -> tuple[list[list[str]], np.ndarray]:
        """The label sets for `texts` and their probability rows, with listed problems read
        one by one (see `listed_merge`)."""
        chosen = self.labels_for(P)
        listed = [(row, items) for row, text in enumerate(texts) if (items := problem_items(text))]
        if not listed:
            return chosen, P
        P = P.copy()
        item_P = self.predict_proba([item for _, items in listed for item in items])
        start = 0
        for row, items in listed:
            block = item_P[start : start + len(items)]
            start += len(items)
            chosen[row], P[row] = listed_merge(
                chosen[row], P[row], block, self.labels, self.thresholds, self.second_label_min
            )
        return chosen, P

    def predict_labels(self, texts) -> list[list[str]]:
        texts = list(texts)
        return self.labels_read(texts, self.predict_proba(texts))[0]

    def predict_with_confidence(self, texts) -> tuple[list[list[str]], np.ndarray]:
        """Label sets and their confidences (as `predict` gives them) for many texts."""
        texts = list(texts)
        chosen, P = self.labels_read(texts, self.predict_proba(texts))
        return chosen, np.clip(confidence_of(P, self.labels, chosen), 0.0, 1.0)

    def predict(self, text: str, *, explain_terms: int = 6) -> Prediction:
        """One text: labels, probabilities, confidence, the terms behind each label, language.

        Confidence is the probability of the least certain chosen label: a complaint the
        model is sure is about fraud but unsure is also a data leak is not a sure call.
        """
        return self.predict_many([text], explain_terms=explain_terms)[0]

    def predict_many(self, texts, *, explain_terms: int = 6) -> list[Prediction]:
        """`predict` for many texts with one feature matrix and one probability matrix: a
        worker classifying a batch pays the model's fixed costs once."""
        texts = list(texts)
        if not texts:
            return []
        X = sparse.csr_matrix(self.features(texts))
        chosen, P = self.labels_read(texts, self.proba_from_features(X))
        predictions = []
        for row, (text, labels) in enumerate(zip(texts, chosen, strict=True)):
            p = P[row]
            confidence = min(float(p[self.labels.index(label)]) for label in labels)
            predictions.append(
                Prediction(
                    labels=labels,
                    probabilities={
                        label: round(float(value), 4)
                        for label, value in zip(self.labels, p, strict=True)
                    },
                    confidence=min(max(confidence, 0.0), 1.0),
                    explanation={
                        label: self.top_terms(X, label, limit=explain_terms, row=row)
                        for label in (labels if explain_terms else [])
                    },
                    language=detect_language(text),
                )
            )
        return predictions

    # -- explanation -----------------------------------------------------------------------
    def top_terms(self, X, label: str, *, limit: int = 6, row: int = 0) -> list[dict]:
        """Terms of text `row` of features X that pushed hardest towards `label` (tf-idf value
        x weight); read from the matrix's arrays, as X[row] would build a matrix per text.

        Character and word features naming the same term are added up, and a term that
        overlaps a stronger one ("杀" inside "杀熟") is dropped, so regulators read a few
        distinct words rather than n-grams of one word.
        """
        weights, term_ids, shown = self._explanation_tables()
        X = X.tocsr()  # itself when it is one already
        span = slice(X.indptr[row], X.indptr[row + 1])
        columns = X.indices[span]
        scores = X.data[span] * weights[columns, self.labels.index(label)]
        ids = term_ids[columns]
        kept = (scores > 0) & (ids >= 0)
        if not kept.any():
            return []
        ids, scores = ids[kept], scores[kept].astype(np.float64)
        # Each term's total over the features naming it, added in the row's order; ranked by
        # total, ties in the order the row first names them.
        unique, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
        totals = np.bincount(inverse, weights=scores)
        chosen: list[tuple[str, float]] = []
        for index in np.lexsort((first, -totals)):
            term = shown[unique[index]]
            if any(term in kept_term or kept_term in term for kept_term, _ in chosen):
                continue
            chosen.append((term, float(totals[index])))
            if len(chosen) == limit:
                break
        return [
            {"term": TERM_DISPLAY.get(term, term), "weight": round(score, 4)}
            for term, score in chosen
        ]

    def _explanation_tables(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Each feature's weight towards each label, each feature's term as an index into the
        terms shown (-1: a feature no regulator is shown, such as a stop word), and those
        terms: built once per model, used for every complaint it explains."""
        if self._terms is None:
            terms = feature_terms(self.pipeline.named_steps["features"])
            classifier = self.pipeline[-1]
            self._explain_weights = np.column_stack(
                [linear_weights(est, len(terms)) for est in classifier.estimators_]
            ).astype(np.float32)
            index: dict[str, int] = {}
            term_ids = np.full(len(terms), -1, dtype=np.int64)
            for feature, term in enumerate(terms):
                if term is not None and term not in NOT_SHOWN:
                    term_ids[feature] = index.setdefault(term, len(index))
            self._term_ids, self._terms = term_ids, list(index)
        return self._explain_weights, self._term_ids, self._terms

    # -- persistence -----------------------------------------------------------------------
    def dumps(self) -> bytes:
        """The skops artifact. Vocabularies travel as one array of terms each instead of a
        dict, which skops would store entry by entry (minutes to write, seconds to read)."""
        vectorizers = pipeline_vectorizers(self.pipeline)
        vocabularies = {name: vec.vocabulary_ for name, vec in vectorizers.items()}
        try:
            for vec in vectorizers.values():
                del vec.vocabulary_
            return sio.dumps(
                {
                    "format": ARTIFACT_FORMAT,
                    "algorithm": self.algorithm,
                    "labels": self.labels,
                    "thresholds": [float(t) for t in self.thresholds],
                    "second_label_min": self.second_label_min,
                    "vocabularies": {
                        name: np.array(sorted(vocab, key=vocab.__getitem__), dtype=str)
                        for name, vocab in vocabularies.items()
                    },
                    "pipeline": self.pipeline,
                },
                compression=zipfile.ZIP_DEFLATED,
            )
        finally:
            for name, vec in vectorizers.items():
                vec.vocabulary_ = vocabularies[name]

    @classmethod
    def loads(cls, data: bytes) -> "LabelModel":
        """Read an artifact written by `dumps`; refuse any file holding a type we never write."""
        try:
            untrusted = sio.get_untrusted_types(data=data)
        except Exception as exc:  # noqa: BLE001 — any failure to parse means "not ours"
            raise ArtifactError(f"not a readable skops artifact: {exc}") from exc
        unexpected = sorted(set(untrusted) - TRUSTED_TYPES)
        if unexpected:
            raise ArtifactError(
                f"artifact holds types AppWatch never writes: {', '.join(unexpected)}"
            )
        payload = sio.loads(data, trusted=untrusted)
        if not isinstance(payload, dict) or payload.get("format") != ARTIFACT_FORMAT:
            raise ArtifactError("not an AppWatch classifier artifact")
        try:
            pipeline = payload["pipeline"]
            for name, vec in pipeline_vectorizers(pipeline).items():
                vec.vocabulary_ = {
                    str(term): index for index, term in enumerate(payload["vocabularies"][name])
                }
            return cls(
                pipeline,
                payload["labels"],
                payload["thresholds"],
                payload["algorithm"],
                payload.get("second_label_min"),
            )
        except (KeyError, AttributeError, IndexError, TypeError) as exc:
            raise ArtifactError(f"damaged AppWatch classifier artifact: {exc!r}") from exc


class ArtifactError(ValueError):
    """An artifact that is not ours, is damaged, or does not match its registry entry."""
