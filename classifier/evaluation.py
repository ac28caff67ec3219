"""Scores for label sets: macro and micro F1, per-label precision/recall/F1/support and
confusion, the same numbers for the registry, the reports and `evaluate_classifier`.
"""

import numpy as np
from sklearn.metrics import f1_score, multilabel_confusion_matrix, precision_recall_fscore_support
from sklearn.preprocessing import MultiLabelBinarizer


def binarise(label_sets, labels: list[str]) -> np.ndarray:
    """Indicator matrix in the given label order; labels outside it are ignored."""
    return MultiLabelBinarizer(classes=labels).fit_transform(
        [[x for x in s if x in labels] for s in label_sets]
    )


def scores(truth, predicted, *, labels: list[str] | None = None, confusion: bool = True) -> dict:
    """Macro/micro F1 and per-label figures for lists of label sets.

    Labels default to every label that occurs in the truth or in the predictions: a label
    nobody used and nobody predicted says nothing about the model and is left out of the
    macro average instead of counting as zero or as perfect.
    """
    truth = [list(t) for t in truth]
    predicted = [list(p) for p in predicted]
    if labels is None:
        labels = sorted({x for s in truth for x in s} | {x for s in predicted for x in s})
    Y = binarise(truth, labels)
    P = binarise(predicted, labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        Y, P, average=None, zero_division=0
    )
    result = {
        "n": len(truth),
        "macro_f1": round(float(f1_score(Y, P, average="macro", zero_division=0)), 4),
        "micro_f1": round(float(f1_score(Y, P, average="micro", zero_division=0)), 4),
        "exact_match": round(float(np.mean(np.all(Y == P, axis=1))), 4) if len(truth) else 0.0,
        "labels": labels,
        "per_label": {
            label: {
                "precision": round(float(precision[i]), 4),
                "recall": round(float(recall[i]), 4),
                "f1": round(float(f1[i]), 4),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        },
    }
    if confusion:
        result["confusion"] = confusion_tables(Y, P, labels)
    return result


def confusion_tables(Y: np.ndarray, P: np.ndarray, labels: list[str]) -> dict:
    """Per label tn/fp/fn/tp, and a label-by-label table: how often a complaint truly about
    row label was given column label (the diagonal is the hits; off it, the mix-ups)."""
    per_label = {
        label: dict(zip(("tn", "fp", "fn", "tp"), (int(x) for x in m.ravel()), strict=True))
        for label, m in zip(labels, multilabel_confusion_matrix(Y, P), strict=True)
    }
    matrix = (Y.T.astype(int) @ P.astype(int)).tolist()
    return {"per_label": per_label, "matrix": {"labels": labels, "rows": matrix}}


def scores_by(examples, predicted, field: str) -> dict:
    """Macro-F1 and exact match per value of an example field (lang, register) when set."""
    groups = {}
    for value in sorted({getattr(e, field) for e in examples if getattr(e, field)}):
        idx = [i for i, e in enumerate(examples) if getattr(e, field) == value]
        part = scores(
            [examples[i].labels for i in idx], [predicted[i] for i in idx], confusion=False
        )
        groups[value] = {
            "n": len(idx),
            "macro_f1": part["macro_f1"],
            "exact_match": part["exact_match"],
        }
    return groups


def review_figures(examples, predicted, confidence, threshold: float) -> dict:
    """What a confidence threshold does: the share sent to review (confidence below it) and
    how often the label set of the rest, accepted automatically, is exactly right."""
    exact = [set(e.labels) == set(p) for e, p in zip(examples, predicted, strict=True)]
    auto = [i for i, c in enumerate(confidence) if c >= threshold]
    return {
        "confidence_threshold": threshold,
        "needs_review_share": round(1 - len(auto) / len(examples), 4) if examples else 0.0,
        "auto_exact_match": round(sum(exact[i] for i in auto) / len(auto), 4) if auto else None,
    }
