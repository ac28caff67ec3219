"""Validation that predicts performance on text unlike the first corpus (issue 15).

The first corpus is all first-person complaints; corpus v2 adds examples in other registers
(news reports, regulator notices, bug reports, reviews …), each with a `register` field.
Cross-validation folds here hold out one register at a time, together with a slice of the
first corpus, so every register example is predicted by a model that never saw its register:
the "leave-one-register-out" (LORO) predictions. On them training

- scores candidates (the selection metric, reported beside the ordinary CV score),
- weighs the per-label thresholds (register examples count as much as the first corpus),
- measures the decision rule (how probable a second label must be),
- chooses the review threshold (confidence below which a complaint goes to a person) and
- draws the reliability table (mean confidence against accuracy, per confidence bin).
"""

from collections import Counter

import numpy as np
from sklearn.model_selection import StratifiedKFold

from .dataset import Example
from .evaluation import scores
from .pipeline import SEED, confidence_of, labels_from_proba

REGISTERS = (
    "first_person",
    "news_report",
    "third_person",
    "notice",
    "bug_report",
    "review",
    "long_narrative",
)
SECOND_LABEL_GRID = (None, 0.5, 0.6, 0.7, 0.8, 0.9)
REVIEW_GRID = tuple(np.round(np.arange(0.30, 0.951, 0.05), 2))
TARGET_AUTO_EXACT = 0.90
TARGET_REVIEW_SHARE = 0.25
MIN_REGISTERS = 3


def registers_of(examples: list[Example]) -> list[str]:
    """The registers present, in the fixed order above."""
    present = {e.register for e in examples if e.register}
    return [r for r in REGISTERS if r in present] + sorted(present - set(REGISTERS))


def register_folds(examples: list[Example]) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """One fold per register: its register examples plus a stratified slice of the rest.

    None when fewer than MIN_REGISTERS registers are present (ordinary folds then).
    """
    registers = registers_of(examples)
    if len(registers) < MIN_REGISTERS:
        return None
    first = [i for i, e in enumerate(examples) if not e.register]
    fold_of = np.zeros(len(examples), dtype=int)
    if first:
        frequency = Counter(label for i in first for label in examples[i].labels)
        strata = [
            min(examples[i].labels, key=lambda label: (frequency[label], label)) for i in first
        ]
        smallest = min(Counter(strata).values())
        n = max(2, min(len(registers), smallest))
        splitter = StratifiedKFold(n_splits=n, shuffle=True, random_state=SEED)
        for k, (_, held) in enumerate(splitter.split(np.zeros(len(first)), strata)):
            fold_of[np.asarray(first)[held]] = k
    for i, e in enumerate(examples):
        if e.register:
            fold_of[i] = registers.index(e.register)
    everything = np.arange(len(examples))
    return [
        (everything[fold_of != k], everything[fold_of == k])
        for k in range(len(registers))
        if (fold_of == k).any()
    ]


def threshold_weights(examples: list[Example]) -> np.ndarray:
    """Register examples together weigh as much as the first corpus when cuts are chosen."""
    shifted = np.array([bool(e.register) for e in examples])
    if not shifted.any() or shifted.all():
        return np.ones(len(examples))
    return np.where(shifted, 0.5 / shifted.sum(), 0.5 / (~shifted).sum()) * len(examples)


def shifted_scores(examples: list[Example], chosen: list[list[str]], labels: list[str]) -> dict:
    """Scores of the register examples' out-of-register label sets `chosen` (one per
    example; others ignored), overall and per register and language."""
    idx = [i for i, e in enumerate(examples) if e.register]
    if not idx:
        return {}
    truth = [examples[i].labels for i in idx]
    picked = [chosen[i] for i in idx]
    result = scores(truth, picked, labels=labels, confusion=False)
    result.pop("per_label", None)
    for key in ("register", "lang"):
        groups = {}
        for value in sorted({getattr(examples[i], key) for i in idx}):
            part = [n for n, i in enumerate(idx) if getattr(examples[i], key) == value]
            s = scores([truth[n] for n in part], [picked[n] for n in part], confusion=False)
            groups[value] = {
                "n": len(part),
                "macro_f1": s["macro_f1"],
                "exact_match": s["exact_match"],
            }
        result[f"by_{key}"] = groups
    return result


def second_label_choose(
    examples: list[Example], P: np.ndarray, labels: list[str], thresholds: np.ndarray
) -> tuple[float | None, list[dict]]:
    """The second-label rule measured on out-of-register predictions: each candidate minimum
    with its macro-F1 and exact match; the best by their mean (ties: the stricter rule)."""
    idx = [i for i, e in enumerate(examples) if e.register]
    if not idx:
        return None, []
    truth = [examples[i].labels for i in idx]
    table = []
    for second_min in SECOND_LABEL_GRID:
        chosen = labels_from_proba(P[idx], labels, thresholds, second_min=second_min)
        s = scores(truth, chosen, labels=labels, confusion=False)
        table.append(
            {
                "second_label_min": second_min,
                "macro_f1": s["macro_f1"],
                "exact_match": s["exact_match"],
                "multi_label_share": round(float(np.mean([len(c) > 1 for c in chosen])), 4),
            }
        )
    best = max(
        table,
        key=lambda row: (
            round((row["macro_f1"] + row["exact_match"]) / 2, 3),
            row["second_label_min"] or 0.0,
        ),
    )
    return best["second_label_min"], table


def review_threshold_choose(
    truth: list[tuple[str, ...]], chosen: list[list[str]], confidence: np.ndarray
) -> dict:
    """The confidence cut below which complaints go to review, with each cut's review share
    and exact match of the automatically accepted rest.

    Of the cuts meeting both targets (review share ≤ TARGET_REVIEW_SHARE, auto exact match
    ≥ TARGET_AUTO_EXACT), the one nearest the middle of their range: real text is further
    from the corpus than these examples, and drift can push either figure past its target.
    With no cut meeting both, the one with the best auto exact match within the review share.
    """
    exact = np.array([set(t) == set(c) for t, c in zip(truth, chosen, strict=True)])
    table = []
    for cut in REVIEW_GRID:
        auto = confidence >= cut
        table.append(
            {
                "threshold": float(cut),
                "review_share": round(float(1 - auto.mean()), 4),
                "auto_exact_match": round(float(exact[auto].mean()), 4) if auto.any() else None,
            }
        )
    within = [row for row in table if row["review_share"] <= TARGET_REVIEW_SHARE]
    meeting = [row for row in within if (row["auto_exact_match"] or 0) >= TARGET_AUTO_EXACT]
    if meeting:
        middle = (meeting[0]["threshold"] + meeting[-1]["threshold"]) / 2
        best = min(meeting, key=lambda row: (abs(row["threshold"] - middle), row["threshold"]))
    else:
        best = max(within or table[:1], key=lambda row: row["auto_exact_match"] or 0)
    return {
        "chosen": best,
        "meeting_targets": [meeting[0]["threshold"], meeting[-1]["threshold"]] if meeting else [],
        "table": table,
    }


def reliability(
    truth: list[tuple[str, ...]], chosen: list[list[str]], confidence: np.ndarray, bins: int = 10
) -> list[dict]:
    """Reliability diagram as a table: per confidence bin, how many predictions, their mean
    confidence and how often their label set was exactly right. Calibrated when equal."""
    exact = np.array([set(t) == set(c) for t, c in zip(truth, chosen, strict=True)])
    edges = np.linspace(0.0, 1.0, bins + 1)
    table = []
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence >= low) & ((confidence < high) | (high == 1.0))
        if inside.any():
            table.append(
                {
                    "bin": f"{low:.1f}-{high:.1f}",
                    "n": int(inside.sum()),
                    "mean_confidence": round(float(confidence[inside].mean()), 3),
                    "accuracy": round(float(exact[inside].mean()), 3),
                }
            )
    return table


def calibration_report(
    examples: list[Example],
    P: np.ndarray,
    labels: list[str],
    thresholds: np.ndarray,
    second_min: float | None,
) -> dict:
    """Review threshold and reliability table from the register examples' shifted predictions."""
    idx = [i for i, e in enumerate(examples) if e.register]
    if not idx:
        return {}
    chosen = labels_from_proba(P[idx], labels, thresholds, second_min=second_min)
    confidence = confidence_of(P[idx], labels, chosen)
    truth = [examples[i].labels for i in idx]
    return {
        "review": review_threshold_choose(truth, chosen, confidence),
        "reliability": reliability(truth, chosen, confidence),
    }
