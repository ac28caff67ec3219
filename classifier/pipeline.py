"""The model: one function builds the scikit-learn Pipeline; LabelModel adds per-label
thresholds and explanations, and artifacts are written and read with skops only.
"""

import re
import weakref
import zipfile
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np
import skops.io as sio
from scipy import sparse
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from .text import TextNormaliser, WordSegmenter, detect_language, normalise, segment

ALGORITHMS = ("linear_svm", "logistic_regression", "complement_nb")
SEED = 20240515
ARTIFACT_FORMAT = 2  # 2: vocabularies stored as term arrays
# Every type an AppWatch artifact may contain. Anything else in a file means we did not write
# it, and it is refused before a single object is built.
TRUSTED_TYPES = frozenset(
    {
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


def features_build() -> FeatureUnion:
    """The feature half of the pipeline (after normalisation)."""
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
        [("chars", chars), ("words", Pipeline([("segment", WordSegmenter()), ("tfidf", words)]))]
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


def thresholds_choose(Y: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Per label, the probability cut that maximises F1 on out-of-fold predictions.

    Ties go to the cut nearest 0.5, so a flat optimum does not drift to an extreme.
    """
    grid = np.round(np.arange(0.10, 0.91, 0.025), 3)
    chosen = np.full(Y.shape[1], 0.5)
    for j in range(Y.shape[1]):
        truth = Y[:, j].astype(bool)
        if not truth.any():
            continue
        best = (-1.0, 0.0)
        for cut in grid:
            predicted = P[:, j] >= cut
            tp = np.sum(predicted & truth)
            f1 = 2 * tp / (predicted.sum() + truth.sum()) if tp else 0.0
            key = (round(f1, 6), -abs(cut - 0.5))
            if key > best:
                best, chosen[j] = key, cut
    return chosen


def labels_from_proba(P: np.ndarray, labels: list[str], thresholds: np.ndarray) -> list[list[str]]:
    """Labels above their thresholds; when none is, the single most probable label."""
    above = thresholds <= P
    result = []
    for row, hits in zip(P, above, strict=True):
        idx = np.flatnonzero(hits)
        if idx.size == 0:
            idx = [int(np.argmax(row))]
        result.append([labels[i] for i in idx])
    return result


@dataclass
class Prediction:
    labels: list[str]
    probabilities: dict[str, float]
    confidence: float
    explanation: dict[str, list[dict]] = field(default_factory=dict)
    language: str = ""


_TERM_DISPLAY = {"urltok": "[URL]", "phonetok": "[phone number]", "moneytok": "[amount]"}
# Function words carry weight in the model but explain nothing to a reader.
_NOT_SHOWN = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "i",
        "in",
        "is",
        "it",
        "me",
        "my",
        "of",
        "on",
        "or",
        "so",
        "that",
        "the",
        "this",
        "to",
        "was",
        "we",
        "with",
        "you",
        "0",
        "的",
        "了",
        "是",
        "我",
        "你",
        "他",
        "她",
        "它",
        "在",
        "就",
        "也",
        "都",
        "又",
        "还",
        "和",
        "跟",
        "想",
        "找",
        "要",
        "说",
        "一个",
        "这个",
        "那个",
        "什么",
        "怎么",
        "然后",
        "但是",
        "因为",
        "所以",
        "我们",
        "他们",
    ]
)


class LabelModel:
    """A fitted pipeline with its label order, per-label thresholds and explanation weights.

    Prediction takes a fast path that computes exactly what the pipeline computes (the
    fitted vectorisers called directly, then one sparse product for all labels and the
    sigmoid calibration), checked against the pipeline when the model is loaded; anything
    the fast path cannot reproduce falls back to the pipeline itself.
    """

    def __init__(self, pipeline: Pipeline, labels: list[str], thresholds, algorithm: str):
        self.pipeline = pipeline
        self.labels = list(labels)
        self.thresholds = np.asarray(thresholds, dtype=float)
        self.algorithm = algorithm
        self._terms: list[str | None] | None = None
        self._explain_weights: np.ndarray | None = None
        self._linear = _compile(pipeline[-1], len(self.labels))
        if self._linear is not None and not self._fast_path_agrees():
            self._linear = None

    @property
    def uses_fast_path(self) -> bool:
        return self._linear is not None

    # -- prediction ------------------------------------------------------------------------
    def features(self, texts) -> sparse.csr_matrix:
        """The pipeline's feature matrix, computed directly from the fitted vocabularies and
        idf weights (what TfidfVectorizer.transform does, without its per-n-gram exception
        for every n-gram outside the vocabulary)."""
        vectorizers = _vectorizers(self.pipeline)
        normalised = [normalise(text) for text in texts]
        chars = _tfidf_transform(vectorizers["chars"], normalised)
        words = _tfidf_transform(vectorizers["words"], [segment(text) for text in normalised])
        return sparse.hstack([chars, words], format="csr")

    def proba_from_features(self, X) -> np.ndarray:
        if self._linear is None:
            return self.pipeline[-1].predict_proba(X)
        weights, intercepts, through_sigmoid, a, b = self._linear
        response = np.asarray(X @ weights) + intercepts
        response = np.where(through_sigmoid, expit(response), response)
        return expit(-(a * response + b))

    def predict_proba(self, texts) -> np.ndarray:
        texts = list(texts)
        if self._linear is None:
            return self.pipeline.predict_proba(texts)
        return self.proba_from_features(self.features(texts))

    def predict_labels(self, texts) -> list[list[str]]:
        return labels_from_proba(self.predict_proba(texts), self.labels, self.thresholds)

    def predict(self, text: str, *, explain_terms: int = 6) -> Prediction:
        """One text: labels, probabilities, confidence, the terms behind each label, language.

        Confidence is the probability of the least certain chosen label: a complaint the
        model is sure is about fraud but unsure is also a data leak is not a sure call.
        """
        X = (
            self.features([text])
            if self._linear is not None
            else self.pipeline[:-1].transform([text])
        )
        P = self.proba_from_features(X)[0]
        labels = labels_from_proba(P[None, :], self.labels, self.thresholds)[0]
        probabilities = {label: round(float(p), 4) for label, p in zip(self.labels, P, strict=True)}
        confidence = min(float(P[self.labels.index(label)]) for label in labels)
        explanation = (
            {label: self.top_terms(X, label, limit=explain_terms) for label in labels}
            if explain_terms
            else {}
        )
        return Prediction(
            labels=labels,
            probabilities=probabilities,
            confidence=min(max(confidence, 0.0), 1.0),
            explanation=explanation,
            language=detect_language(text),
        )

    def _fast_path_agrees(self) -> bool:
        probe = [
            "这个APP不给通讯录权限就闪退，还偷偷读取剪贴板",
            "I was charged 68 yuan for a subscription I never agreed to, call 13812345678",
            "同一個酒店，老用戶的價格比新用戶貴了200元 https://example.cn/x",
            "",
        ]
        expected = self.pipeline.predict_proba(probe)
        return bool(
            np.allclose(self.proba_from_features(self.features(probe)), expected, atol=1e-6)
        )

    # -- explanation -----------------------------------------------------------------------
    def top_terms(self, X, label: str, *, limit: int = 6) -> list[dict]:
        """Terms of this text that pushed hardest towards `label` (tf-idf value x weight).

        Character and word features naming the same term are added up, and a term that
        overlaps a stronger one ("杀" inside "杀熟") is dropped, so regulators read a few
        distinct words rather than n-grams of one word.
        """
        weights, terms = self._explanation_tables()
        row = sparse.csr_matrix(X)
        column = self.labels.index(label)
        scores = row.data * weights[row.indices, column]
        contributions: dict[str, float] = {}
        for index, score in zip(row.indices, scores, strict=True):
            term = terms[index]
            if score > 0 and term is not None and term not in _NOT_SHOWN:
                contributions[term] = contributions.get(term, 0.0) + float(score)
        chosen: list[tuple[str, float]] = []
        for term, score in sorted(contributions.items(), key=lambda item: -item[1]):
            if any(term in kept or kept in term for kept, _ in chosen):
                continue
            chosen.append((term, score))
            if len(chosen) == limit:
                break
        return [
            {"term": _TERM_DISPLAY.get(term, term), "weight": round(score, 4)}
            for term, score in chosen
        ]

    def _explanation_tables(self) -> tuple[np.ndarray, list[str | None]]:
        if self._terms is None:
            self._terms = _feature_terms(self.pipeline.named_steps["features"])
            classifier = self.pipeline[-1]
            self._explain_weights = np.column_stack(
                [_linear_weights(est, len(self._terms)) for est in classifier.estimators_]
            ).astype(np.float32)
        return self._explain_weights, self._terms

    # -- persistence -----------------------------------------------------------------------
    def dumps(self) -> bytes:
        """The skops artifact. Vocabularies travel as one array of terms each instead of a
        dict, which skops would store entry by entry (minutes to write, seconds to read)."""
        vectorizers = _vectorizers(self.pipeline)
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
            for name, vec in _vectorizers(pipeline).items():
                vec.vocabulary_ = {
                    str(term): index for index, term in enumerate(payload["vocabularies"][name])
                }
            return cls(pipeline, payload["labels"], payload["thresholds"], payload["algorithm"])
        except (KeyError, AttributeError, IndexError, TypeError) as exc:
            raise ArtifactError(f"damaged AppWatch classifier artifact: {exc!r}") from exc


def _tfidf_transform(vectorizer: TfidfVectorizer, documents: list[str]) -> sparse.csr_matrix:
    """TfidfVectorizer.transform for the settings `features_build` uses (sublinear tf,
    l2 norm); LabelModel checks on load that both agree."""
    if vectorizer.analyzer == "char_wb" and vectorizer.ngram_range[1] <= 3:
        rows, cols = _CharGramIndex.of(vectorizer).rows_and_columns(documents)
    else:
        rows, cols = _rows_and_columns(vectorizer, documents)
    X = sparse.csr_matrix(
        (np.ones(len(cols)), (rows, cols)),
        shape=(len(documents), len(vectorizer.vocabulary_)),
    )
    X.sum_duplicates()
    if vectorizer.sublinear_tf:
        np.log(X.data, out=X.data)
        X.data += 1
    X.data *= vectorizer.idf_[X.indices]
    return normalize(X, norm=vectorizer.norm, copy=False).astype(vectorizer.dtype)


def _rows_and_columns(
    vectorizer: TfidfVectorizer, documents: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """(document, vocabulary index) for every known n-gram occurrence, via the analyzer."""
    analyse = vectorizer.build_analyzer()
    lookup = vectorizer.vocabulary_.get
    columns: list[int] = []
    lengths: list[int] = []
    for document in documents:
        before = len(columns)
        columns.extend(map(lookup, analyse(document), repeat(-1)))
        lengths.append(len(columns) - before)
    cols = np.fromiter(columns, dtype=np.int64, count=len(columns))
    rows = np.repeat(np.arange(len(documents)), lengths)
    known = cols >= 0
    return rows[known], cols[known]


class _CharGramIndex:
    """sklearn's char_wb n-grams (up to 3 characters), counted with numpy.

    A code point fits in 21 bits, so an n-gram of up to three characters is one int64
    (c1 << 42 | c2 << 21 | c3). Each document's words are laid out padded with spaces and
    separated by NUL, which no n-gram may contain; all n-gram keys of a batch are then
    looked up at once in the sorted keys of the vocabulary.
    """

    _built: "weakref.WeakKeyDictionary[TfidfVectorizer, _CharGramIndex]" = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, vectorizer: TfidfVectorizer):
        self.low, self.high = vectorizer.ngram_range
        self.preprocess = vectorizer.build_preprocessor()
        self.vocabulary = vectorizer.vocabulary_
        terms = list(vectorizer.vocabulary_)
        keys = np.array([self._key(term) for term in terms], dtype=np.int64)
        order = np.argsort(keys)
        self.keys = keys[order]
        self.columns = np.array([vectorizer.vocabulary_[terms[i]] for i in order], dtype=np.int64)

    @classmethod
    def of(cls, vectorizer: TfidfVectorizer) -> "_CharGramIndex":
        """Built once per fitted vectorizer (again if it is refitted)."""
        index = cls._built.get(vectorizer)
        if index is None or index.vocabulary is not vectorizer.vocabulary_:
            index = cls._built[vectorizer] = cls(vectorizer)
        return index

    @staticmethod
    def _key(term: str) -> int:
        key = 0
        for char in term:
            key = (key << 21) | ord(char)
        return key

    def rows_and_columns(self, documents: list[str]) -> tuple[np.ndarray, np.ndarray]:
        laid_out = [
            "\0" + "".join(f" {word} \0" for word in self.preprocess(doc).split())
            for doc in documents
        ]
        points = np.frombuffer("".join(laid_out).encode("utf-32-le"), dtype=np.uint32).astype(
            np.int64
        )
        doc_of = np.repeat(np.arange(len(documents)), [len(text) for text in laid_out])
        all_rows, all_keys = [], []
        for n in range(self.low, self.high + 1):
            count = len(points) - n + 1
            if count <= 0:
                continue
            key = points[:count].copy()
            valid = key != 0
            for offset in range(1, n):
                following = points[offset : offset + count]
                key = (key << 21) | following
                valid &= following != 0
            all_keys.append(key[valid])
            all_rows.append(doc_of[:count][valid])
        keys = np.concatenate(all_keys) if all_keys else np.zeros(0, dtype=np.int64)
        rows = np.concatenate(all_rows) if all_rows else np.zeros(0, dtype=np.int64)
        at = np.searchsorted(self.keys, keys)
        at[at == len(self.keys)] = 0
        known = self.keys[at] == keys if len(self.keys) else np.zeros(len(keys), dtype=bool)
        return rows[known], self.columns[at[known]]


def _vectorizers(pipeline: Pipeline) -> dict:
    union = pipeline.named_steps["features"]
    return {
        "chars": union.transformer_list[0][1],
        "words": union.transformer_list[1][1].named_steps["tfidf"],
    }


class ArtifactError(ValueError):
    """An artifact that is not ours, is damaged, or does not match its registry entry."""


def _linear_weights(estimator, n_features: int) -> np.ndarray:
    """The per-feature weight of a fitted binary estimator, for explanations.

    Calibration is monotone, so the base model's weights rank terms correctly.
    """
    if isinstance(estimator, CalibratedClassifierCV):
        return np.mean(
            [_linear_weights(c.estimator, n_features) for c in estimator.calibrated_classifiers_],
            axis=0,
        )
    if hasattr(estimator, "coef_"):
        return np.asarray(estimator.coef_).ravel()
    if hasattr(estimator, "feature_log_prob_"):
        # Binary ComplementNB: the decision is X @ (w_positive - w_negative).
        return np.asarray(estimator.feature_log_prob_[1] - estimator.feature_log_prob_[0]).ravel()
    # A constant predictor (a label with no positive example) leans on no term.
    return np.zeros(n_features)


def _compile(classifier, n_labels: int):
    """Stack each label's linear score and sigmoid calibration into arrays, or None.

    Works for one-vs-rest over CalibratedClassifierCV(ensemble=False) of a linear model or
    ComplementNB, which is what `pipeline_build` makes.
    """
    estimators = getattr(classifier, "estimators_", [])
    if len(estimators) != n_labels:
        return None
    columns, intercepts, through_sigmoid, a, b = [], [], [], [], []
    for estimator in estimators:
        if (
            not isinstance(estimator, CalibratedClassifierCV)
            or len(estimator.calibrated_classifiers_) != 1
        ):
            return None
        calibrated = estimator.calibrated_classifiers_[0]
        base, calibrator = calibrated.estimator, calibrated.calibrators[0]
        if not hasattr(calibrator, "a_") or len(getattr(base, "classes_", [])) != 2:
            return None
        if hasattr(base, "coef_"):
            columns.append(np.asarray(base.coef_, dtype=np.float64).ravel())
            intercepts.append(float(np.ravel(base.intercept_)[0]))
            through_sigmoid.append(False)
        elif isinstance(base, ComplementNB):
            # Two-class ComplementNB: P(positive) = sigmoid(X @ (w1 - w0)).
            columns.append(
                np.asarray(base.feature_log_prob_[1] - base.feature_log_prob_[0], dtype=np.float64)
            )
            intercepts.append(0.0)
            through_sigmoid.append(True)
        else:
            return None
        a.append(float(calibrator.a_))
        b.append(float(calibrator.b_))
    return (
        np.column_stack(columns),
        np.asarray(intercepts),
        np.asarray(through_sigmoid),
        np.asarray(a),
        np.asarray(b),
    )


def _feature_terms(features: FeatureUnion) -> list[str | None]:
    """A readable term for each feature, or None for features not worth showing.

    Word features are shown as words (a Chinese bigram joined up); character n-grams only
    when they are two or more Chinese characters, since Latin fragments like "efun" mean
    nothing to a reader although they help the model.
    """
    terms: list[str | None] = []
    for name, transformer in features.transformer_list:
        vectorizer = transformer[-1] if isinstance(transformer, Pipeline) else transformer
        for feature in vectorizer.get_feature_names_out():
            feature = str(feature).strip()
            if name == "words":
                terms.append(
                    feature.replace(" ", "") if _CJK_ONLY_RE.fullmatch(feature) else feature
                )
            else:
                terms.append(
                    feature if len(feature) >= 2 and _CJK_ONLY_RE.fullmatch(feature) else None
                )
    return terms


_CJK_ONLY_RE = re.compile(r"[\u3400-\u9fff ]+")
