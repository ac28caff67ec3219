"""Serving's fast path: what a fitted `pipeline_build` pipeline computes, done directly.

The fitted vectorisers are applied without TfidfVectorizer.transform's per-n-gram overhead,
and every label's linear score and sigmoid calibration is one sparse product. `FastPath.compile`
checks the result against the pipeline itself and gives up (None) when they disagree.
"""

import weakref
from itertools import repeat

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import normalize

from .text import normalise, segment

# Texts the fast path must score exactly like the pipeline before it is used.
_PROBE = [
    "这个APP不给通讯录权限就闪退，还偷偷读取剪贴板",
    "I was charged 68 yuan for a subscription I never agreed to, call 13812345678",
    "同一個酒店，老用戶的價格比新用戶貴了200元 https://example.cn/x",
    "",
]


class FastPath:
    """Features and probabilities of one fitted pipeline, stacked into arrays."""

    def __init__(self, pipeline: Pipeline, weights, intercepts, through_sigmoid, a, b):
        self.pipeline = pipeline
        self.weights = weights
        self.intercepts = intercepts
        self.through_sigmoid = through_sigmoid
        self.a = a
        self.b = b

    @classmethod
    def compile(cls, pipeline: Pipeline, n_labels: int) -> "FastPath | None":
        """The fast path of `pipeline`, or None when it cannot reproduce the pipeline."""
        linear = _linear_compile(pipeline[-1], n_labels)
        if linear is None:
            return None
        fast = cls(pipeline, *linear)
        expected = pipeline.predict_proba(_PROBE)
        if not np.allclose(fast.proba(fast.features(_PROBE)), expected, atol=1e-6):
            return None
        return fast

    def features(self, texts) -> sparse.csr_matrix:
        """The pipeline's feature matrix, computed directly from the fitted vocabularies and
        idf weights (what TfidfVectorizer.transform does, without its per-n-gram exception
        for every n-gram outside the vocabulary)."""
        vectorizers = pipeline_vectorizers(self.pipeline)
        normalised = [normalise(text) for text in texts]
        chars = tfidf_transform(vectorizers["chars"], normalised)
        words = tfidf_transform(vectorizers["words"], [segment(text) for text in normalised])
        blocks = [chars, words]
        union = self.pipeline.named_steps["features"]
        if len(union.transformer_list) > 2:  # the lexicon (artifacts since issue 15)
            blocks.append(union.transformer_list[2][1].transform(normalised))
        return sparse.hstack(blocks, format="csr")

    def proba(self, X) -> np.ndarray:
        """What the pipeline's calibrated one-vs-rest classifier gives for features X."""
        response = np.asarray(X @ self.weights) + self.intercepts
        response = np.where(self.through_sigmoid, expit(response), response)
        return expit(-(self.a * response + self.b))


def pipeline_vectorizers(pipeline: Pipeline) -> dict:
    """The two fitted TfidfVectorizers of a `pipeline_build` pipeline, by feature block."""
    union = pipeline.named_steps["features"]
    return {
        "chars": union.transformer_list[0][1],
        "words": union.transformer_list[1][1].named_steps["tfidf"],
    }


def tfidf_transform(vectorizer: TfidfVectorizer, documents: list[str]) -> sparse.csr_matrix:
    """TfidfVectorizer.transform for the settings `features_build` uses (sublinear tf,
    l2 norm); `FastPath.compile` checks that both agree."""
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


def _linear_compile(classifier, n_labels: int):
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
