"""What a verdict is explained by: a readable term for each of the model's features (whole
words only), each feature's weight towards a label, and the words never shown to a reader.
LabelModel.top_terms (pipeline.py) ranks a text's terms with them."""

import re

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import FeatureUnion, Pipeline

from .text import NEGATION_PREFIX, RESOLVED_PREFIX

TERM_DISPLAY = {"urltok": "[URL]", "phonetok": "[phone number]", "moneytok": "[amount]"}
# Function words carry weight in the model but explain nothing to a reader: per language,
# and a word pair containing one is not shown either.
_STOP_EN = (
    "a about after again all also am an and any are as at be because been before but by can "
    "could did do does even every for from get got had has have here how i if in into is it "
    "its just me my of on once one only or our out over so still that the their them then "
    "there they this to too two up us very was we were what when which who why will with "
    "would you your 0"
)
_STOP_ZH = (
    "的 了 是 我 你 他 她 它 在 就 也 都 又 还 和 跟 想 找 要 说 很 被 让 给 把 会 能 可以 已经 "
    "之后 现在 一直 这样 这种 自己 还是 就是 结果 时候 知道 觉得 一个 这个 那个 什么 怎么 然后 但是 "
    "因为 所以 我们 他们 你们 我的 没有 不 没 有 个 吗 呢 吧 啊 后 上 下 里 中 到 去 来 过 着 "
    "再 才 而 并 等 与 及 或 对 从 向 以 为 于 这 那 其 该 之 次 多 每 些"
)
NOT_SHOWN = frozenset(_STOP_EN.split()) | frozenset(_STOP_ZH.split())


def linear_weights(estimator, n_features: int) -> np.ndarray:
    """The per-feature weight of a fitted binary estimator, for explanations.

    Calibration is monotone, so the base model's weights rank terms correctly.
    """
    if isinstance(estimator, CalibratedClassifierCV):
        return np.mean(
            [linear_weights(c.estimator, n_features) for c in estimator.calibrated_classifiers_],
            axis=0,
        )
    if hasattr(estimator, "coef_"):
        return np.asarray(estimator.coef_).ravel()
    if hasattr(estimator, "feature_log_prob_"):
        # Binary ComplementNB: the decision is X @ (w_positive - w_negative).
        return np.asarray(estimator.feature_log_prob_[1] - estimator.feature_log_prob_[0]).ravel()
    # A constant predictor (a label with no positive example) leans on no term.
    return np.zeros(n_features)


def feature_terms(features: FeatureUnion) -> list[str | None]:
    """A readable term for each feature, or None for features not worth showing.

    Only whole words of the segmenter are shown (a word or a pair of words, a Chinese pair
    joined up): character n-grams help the model but cut across words ("规收" out of
    "违规收集"), negated words ("not_杀熟") speak against a label, and stop words and pairs
    holding one explain nothing.
    """
    terms: list[str | None] = []
    for name, transformer in features.transformer_list:
        vectorizer = transformer[-1] if isinstance(transformer, Pipeline) else transformer
        names = vectorizer.get_feature_names_out()
        if name != "words":
            terms.extend([None] * len(names))
            continue
        for feature in names:
            words = str(feature).split()
            if not words or any(
                w in NOT_SHOWN or w.startswith((NEGATION_PREFIX, RESOLVED_PREFIX)) for w in words
            ):
                terms.append(None)
            elif all(_CJK_ONLY_RE.fullmatch(w) for w in words):
                terms.append("".join(words))
            else:
                terms.append(" ".join(words))
    return terms


_CJK_ONLY_RE = re.compile(r"[\u3400-\u9fff ]+")
