"""The training recipe: cross-validate every candidate and the keyword baseline on the training
split, pick the best by cross-validated macro-F1, fit it on all training data with per-label
thresholds from out-of-fold probabilities, and score everything once on the test split.
"""

import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from .baseline import KeywordBaseline
from .dataset import Example
from .evaluation import binarise, scores
from .pipeline import (
    ALGORITHMS,
    SEED,
    LabelModel,
    labels_from_proba,
    listed_merge,
    pipeline_build,
    thresholds_choose,
)
from .shift import (
    calibration_report,
    register_folds,
    second_label_choose,
    shifted_scores,
    threshold_weights,
)
from .text import problem_items

FOLDS = 5


@dataclass
class CandidateReport:
    algorithm: str
    cv_macro_f1: float
    cv_micro_f1: float
    cv_macro_f1_std: float
    test: dict
    test_by_lang: dict
    fit_seconds: float
    thresholds: dict[str, float] = field(default_factory=dict)
    folds: int = FOLDS
    # Out-of-register figures (classifier.shift); empty without register examples.
    shifted: dict = field(default_factory=dict)
    decision_rule: dict = field(default_factory=dict)
    calibration: dict = field(default_factory=dict)

    @property
    def selection_score(self) -> tuple[float, float]:
        """Leave-one-register-out macro-F1 when there are register examples, then CV."""
        return (self.shifted.get("macro_f1", self.cv_macro_f1), self.cv_macro_f1)

    def as_dict(self) -> dict:
        return {
            "algorithm": self.algorithm,
            "shifted": self.shifted,
            "decision_rule": self.decision_rule,
            "calibration": self.calibration,
            "cv": {
                "folds": self.folds,
                "macro_f1": self.cv_macro_f1,
                "micro_f1": self.cv_micro_f1,
                "macro_f1_std": self.cv_macro_f1_std,
            },
            "test": self.test,
            "test_by_lang": self.test_by_lang,
            "fit_seconds": round(self.fit_seconds, 2),
            "thresholds": self.thresholds,
        }


@dataclass
class TrainingResult:
    model: LabelModel
    best: CandidateReport
    candidates: list[CandidateReport]
    labels: list[str]
    seconds: float

    @property
    def metrics(self) -> dict:
        """What the registry keeps: the winner's test scores and every candidate's figures."""
        return {
            "test": self.best.test,
            "test_by_lang": self.best.test_by_lang,
            "cv": self.best.as_dict()["cv"],
            "shifted": self.best.shifted,
            "calibration": self.best.calibration,
            "selection": (
                "highest leave-one-register-out macro-F1 on the training split's register "
                "examples (then cross-validated macro-F1)"
                if self.best.shifted
                else "highest 5-fold cross-validated macro-F1 on the training split"
            ),
            "candidates": [c.as_dict() for c in self.candidates],
        }


def folds_for(examples: list[Example], folds: int = FOLDS) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified on each example's rarest label, so every fold sees every label."""
    frequency = Counter(label for e in examples for label in e.labels)
    strata = [min(e.labels, key=lambda label: (frequency[label], label)) for e in examples]
    smallest = min(Counter(strata).values())
    splitter = StratifiedKFold(
        n_splits=max(2, min(folds, smallest)), shuffle=True, random_state=SEED
    )
    return list(splitter.split(np.zeros(len(examples)), strata))


def _by_lang(examples: list[Example], predicted: list[list[str]], labels: list[str]) -> dict:
    result = {}
    for lang in sorted({e.lang for e in examples if e.lang}):
        idx = [i for i, e in enumerate(examples) if e.lang == lang]
        result[lang] = scores(
            [examples[i].labels for i in idx],
            [predicted[i] for i in idx],
            labels=labels,
            confusion=False,
        )
    return result


def _features_fit(texts: list[str]) -> tuple[Pipeline, sparse.csr_matrix]:
    """The feature steps of `pipeline_build`, which are the same for every candidate."""
    features = pipeline_build()[:-1]
    return features, features.fit_transform(texts)


def candidates_train(
    algorithms: tuple[str, ...],
    train: list[Example],
    test: list[Example],
    labels: list[str],
    splits,
) -> list[tuple[LabelModel, CandidateReport]]:
    """Out-of-fold probabilities give both the CV score and the thresholds; then one final fit.

    The features do not depend on the candidate, so each fold's are fitted once and shared
    by all candidates. A fold's CV score uses thresholds chosen on the other folds'
    out-of-fold predictions, so no fold is scored with cuts tuned on itself. The final
    model of every candidate is `pipeline_build(algorithm)` fitted on all of `train`.
    """
    texts = [e.text for e in train]
    Y = binarise([e.labels for e in train], labels)
    oof = {algorithm: np.zeros(Y.shape, dtype=float) for algorithm in algorithms}
    # Out-of-fold probabilities of each listed problem (classifier.text.problem_items), so the
    # item rule is scored out of register like the rest of the decision.
    items = {i: found for i, text in enumerate(texts) if (found := problem_items(text))}
    oof_items: dict[str, dict[int, np.ndarray]] = {algorithm: {} for algorithm in algorithms}
    seconds = dict.fromkeys(algorithms, 0.0)
    for fit_idx, held_idx in splits:
        features, X_fit = _features_fit([texts[i] for i in fit_idx])
        X_held = features.transform([texts[i] for i in held_idx])
        listed = [i for i in held_idx if i in items]
        X_items = (
            features.transform([item for i in listed for item in items[i]]) if listed else None
        )
        for algorithm in algorithms:
            started = time.perf_counter()
            classifier = pipeline_build(algorithm)[-1].fit(X_fit, Y[fit_idx])
            oof[algorithm][held_idx] = classifier.predict_proba(X_held)
            if listed:
                item_P = classifier.predict_proba(X_items)
                start = 0
                for i in listed:
                    oof_items[algorithm][i] = item_P[start : start + len(items[i])]
                    start += len(items[i])
            seconds[algorithm] += time.perf_counter() - started
    weights = threshold_weights(train)
    results = []
    for algorithm in algorithms:
        started = time.perf_counter()
        thresholds = thresholds_choose(Y, oof[algorithm], weights)
        second_min, rule_table = second_label_choose(train, oof[algorithm], labels, thresholds)
        fold_scores = []
        oof_labels: list[list[str]] = [[] for _ in train]
        for _, held_idx in splits:
            others = np.setdiff1d(np.arange(len(train)), held_idx)
            cuts = thresholds_choose(Y[others], oof[algorithm][others], weights[others])
            predicted = labels_from_proba(
                oof[algorithm][held_idx], labels, cuts, second_min=second_min
            )
            for n, i in enumerate(held_idx):
                if i in oof_items[algorithm]:
                    predicted[n], _ = listed_merge(
                        predicted[n],
                        oof[algorithm][i],
                        oof_items[algorithm][i],
                        labels,
                        cuts,
                        second_min,
                    )
            for i, chosen in zip(held_idx, predicted, strict=True):
                oof_labels[i] = chosen
            fold_scores.append(
                scores(
                    [train[i].labels for i in held_idx], predicted, labels=labels, confusion=False
                )
            )
        pipeline = pipeline_build(algorithm).fit(texts, Y)
        model = LabelModel(pipeline, labels, thresholds, algorithm, second_min)
        predicted = model.predict_labels([e.text for e in test]) if test else []
        seconds[algorithm] += time.perf_counter() - started
        report = CandidateReport(
            algorithm=algorithm,
            cv_macro_f1=round(float(np.mean([s["macro_f1"] for s in fold_scores])), 4),
            cv_micro_f1=round(float(np.mean([s["micro_f1"] for s in fold_scores])), 4),
            cv_macro_f1_std=round(float(np.std([s["macro_f1"] for s in fold_scores])), 4),
            test=scores([e.labels for e in test], predicted, labels=labels) if test else {},
            test_by_lang=_by_lang(test, predicted, labels) if test else {},
            fit_seconds=seconds[algorithm],
            thresholds={label: float(t) for label, t in zip(labels, thresholds, strict=True)},
            folds=len(splits),
            shifted=shifted_scores(train, oof_labels, labels),
            decision_rule={"second_label_min": second_min, "measured": rule_table},
            calibration=calibration_report(train, oof[algorithm], labels, thresholds, second_min),
        )
        results.append((model, report))
    return results


def baseline_report(
    train: list[Example], test: list[Example], labels: list[str], splits
) -> CandidateReport:
    started = time.perf_counter()
    baseline = KeywordBaseline()
    fold_scores = [
        scores(
            [train[i].labels for i in held],
            baseline.predict_labels([train[i].text for i in held]),
            labels=labels,
            confusion=False,
        )
        for _, held in splits
    ]
    predicted = baseline.predict_labels([e.text for e in test])
    return CandidateReport(
        algorithm=KeywordBaseline.algorithm,
        cv_macro_f1=round(float(np.mean([s["macro_f1"] for s in fold_scores])), 4),
        cv_micro_f1=round(float(np.mean([s["micro_f1"] for s in fold_scores])), 4),
        cv_macro_f1_std=round(float(np.std([s["macro_f1"] for s in fold_scores])), 4),
        test=scores([e.labels for e in test], predicted, labels=labels) if test else {},
        test_by_lang=_by_lang(test, predicted, labels) if test else {},
        fit_seconds=time.perf_counter() - started,
        folds=len(splits),
        shifted=shifted_scores(train, baseline.predict_labels([e.text for e in train]), labels),
    )


def train(
    train: list[Example], test: list[Example], *, algorithms: tuple[str, ...] = ALGORITHMS
) -> TrainingResult:
    """Run the recipe; the model returned is the best candidate fitted on all of `train`."""
    started = time.perf_counter()
    labels = sorted({label for e in train for label in e.labels})
    splits = register_folds(train) or folds_for(train)
    fitted = candidates_train(algorithms, train, test, labels, splits)
    model, best = max(fitted, key=lambda pair: pair[1].selection_score)
    reports = [report for _, report in fitted] + [baseline_report(train, test, labels, splits)]
    return TrainingResult(
        model=model,
        best=best,
        candidates=reports,
        labels=labels,
        seconds=time.perf_counter() - started,
    )
