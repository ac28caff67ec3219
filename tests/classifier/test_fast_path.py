"""The serving fast path predicts exactly what the scikit-learn pipeline predicts."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.fast_path import FastPath, pipeline_vectorizers, tfidf_transform
from classifier.pipeline import LabelModel
from classifier.text import normalise, segment

from .helpers import small_corpus, small_training


@pytest.fixture(scope="module")
def model() -> LabelModel:
    return small_training().model


def test_fast_path_predicts_exactly_like_the_pipeline(model):
    _, test = small_corpus()
    texts = [e.text for e in test] + ["", "a", "😀 emoji", "  多  空格  "]
    assert model.uses_fast_path
    assert np.allclose(model.predict_proba(texts), model.pipeline.predict_proba(texts), atol=1e-9)
    assert abs(model.features(texts) - model.pipeline[:-1].transform(texts)).max() < 1e-6


def test_a_classifier_the_fast_path_cannot_stack_falls_back_to_the_pipeline(model):
    assert FastPath.compile(model.pipeline, len(model.labels) + 1) is None


@pytest.mark.parametrize("ngram_range", [(1, 3), (1, 2), (2, 3), (3, 3), (1, 4)])
def test_fast_character_ngrams_match_sklearn(ngram_range):
    train, test = small_corpus()
    fitted = TfidfVectorizer(
        analyzer="char_wb", ngram_range=ngram_range, min_df=2, sublinear_tf=True
    )
    fitted.fit([normalise(e.text) for e in train])
    documents = [normalise(e.text) for e in test] + ["a", "ab cd", "", "  x  y ", "注销 账号"]
    assert abs(tfidf_transform(fitted, documents) - fitted.transform(documents)).max() < 1e-6


def test_fast_tfidf_equals_sklearn_on_the_corpus(model):
    train, test = small_corpus()
    documents = [normalise(e.text) for e in [*train, *test]] + [
        "",
        "a",
        "x\x00y",
        "  多  空格  ",
        "😀 emoji",
    ]
    vectorizers = pipeline_vectorizers(model.pipeline)
    chars = tfidf_transform(vectorizers["chars"], documents)
    assert abs(chars - vectorizers["chars"].transform(documents)).max() < 1e-6
    words_in = [segment(d) for d in documents]
    words = tfidf_transform(vectorizers["words"], words_in)
    assert abs(words - vectorizers["words"].transform(words_in)).max() < 1e-6
