"""Classifier figures on text unlike the first corpus (issue 15), for classifier_bench:

- the outside set (classifier/corpus/outside/registers.jsonl, never trained on), overall,
  per language and per register, with review share, auto exact match and a reliability table;
- leave-one-register-out (LORO) figures of the chosen candidate, beside its ordinary CV;
- the decision rule as measured (second-label minimum) and the review threshold chosen on the
  register-shifted predictions;
- the gain from 100 regulator confirmations taken in the "help the model" order (lowest
  confidence first) against 100 taken at random, each added to the training data.
"""

import random
from pathlib import Path

from classifier import dataset, training
from classifier.evaluation import review_figures, scores, scores_by
from classifier.shift import reliability

OUTSIDE = Path(dataset.CORPUS_DIR) / "outside" / "registers.jsonl"
CONFIRMATIONS = 100
TARGETS = {"macro_f1": 0.85, "lang_macro_f1": 0.80, "review_share": 0.25, "auto_exact": 0.90}


def outside_load() -> list[dataset.Example]:
    return dataset.examples_read(OUTSIDE, require_lang=True)


def outside_figures(model, threshold: float, examples=None) -> dict:
    examples = examples if examples is not None else outside_load()
    predicted, confidence = model.predict_with_confidence([e.text for e in examples])
    result = scores([e.labels for e in examples], predicted, labels=model.labels, confusion=False)
    return {
        "n": result["n"],
        "macro_f1": result["macro_f1"],
        "exact_match": result["exact_match"],
        **review_figures(examples, predicted, confidence, threshold),
        "by_lang": scores_by(examples, predicted, "lang"),
        "by_register": scores_by(examples, predicted, "register"),
        "per_label_f1": {label: row["f1"] for label, row in result["per_label"].items()},
        "reliability": reliability([e.labels for e in examples], predicted, confidence),
    }


def confirmations_gain(train, test, algorithm: str, model) -> dict:
    """What 100 confirmations teach, by the order regulators work in.

    The queue mixes ordinary complaints (the corpus's test split) with half the outside set;
    the other half of the outside set is scored. "help the model": the CONFIRMATIONS least
    confident complaints of the queue are confirmed (their true labels join training, as
    `model_train_with_confirmed` does); "random": as many drawn at random. Each retrains the
    chosen algorithm.
    """
    examples = outside_load()
    half = [e for e in examples if int(e.split_key[-1], 16) % 2 == 0]
    scored = [e for e in examples if int(e.split_key[-1], 16) % 2 == 1]
    queue = [*half, *test]
    count = min(CONFIRMATIONS, len(queue))
    _, confidence = model.predict_with_confidence([e.text for e in queue])
    lowest = [queue[i] for i in confidence.argsort(kind="stable")[:count]]
    drawn = random.Random(15).sample(queue, count)
    outside_keys = {e.split_key for e in half}

    def confirmed(chosen):
        # Confirmed complaints carry no register: they are ordinary training examples.
        return [dataset.Example(e.text, e.labels, e.lang, "confirmed") for e in chosen]

    def score(m) -> dict:
        predicted = m.predict_labels([e.text for e in scored])
        s = scores([e.labels for e in scored], predicted, labels=m.labels, confusion=False)
        by_lang = scores_by(scored, predicted, "lang")
        return {
            "macro_f1": s["macro_f1"],
            "exact_match": s["exact_match"],
            **{f"{lang}_macro_f1": row["macro_f1"] for lang, row in by_lang.items()},
        }

    result = {
        "queue": len(queue),
        "queue_outside": len(half),
        "scored": len(scored),
        "confirmed": count,
        "outside_among_confirmed": {
            "help_the_model": sum(e.split_key in outside_keys for e in lowest),
            "random": sum(e.split_key in outside_keys for e in drawn),
        },
    }
    result["none"] = score(model)
    for name, chosen in (("help_the_model", lowest), ("random", drawn)):
        retrained = training.train([*train, *confirmed(chosen)], test, algorithms=(algorithm,))
        result[name] = score(retrained.model)
    return result


def _f(x) -> str:
    return f"{x:.3f}" if isinstance(x, int | float) else "-"


def markdown(r: dict) -> list[str]:
    """The issue-15 tables of the classifier section."""
    best = next(c for c in r["candidates"] if c["algorithm"] == r["chosen"])
    o, shift, calib = r["outside"], best["shifted"], best["calibration"]
    ok = lambda passed: "meets target" if passed else "**misses target**"  # noqa: E731
    lines = [
        "",
        f"**Out of register** (issue 15). Selection metric: leave-one-register-out (LORO) macro-F1 "
        f"over the {shift.get('n', 0)} register examples of the training split, each predicted by a "
        f"model that never saw its register (thresholds from the other folds).",
        "",
        "| candidate | LORO macro-F1 | LORO exact match | ordinary CV macro-F1 |",
        "|---|---|---|---|",
    ]
    for c in r["candidates"]:
        s = c.get("shifted") or {}
        lines.append(
            f"| {c['algorithm']} | {_f(s.get('macro_f1'))} | {_f(s.get('exact_match'))} | {_f(c['cv']['macro_f1'])} |"
        )
    lines += [
        "",
        f"Outside set ({o['n']} texts never trained on, `classifier/corpus/outside/`), model **{r['chosen']}**:",
        "",
        "| figure | value | target |",
        "|---|---|---|",
        f"| macro-F1 | {_f(o['macro_f1'])} | ≥ {TARGETS['macro_f1']} ({ok(o['macro_f1'] >= TARGETS['macro_f1'])}) |",
    ]
    for lang, row in o["by_lang"].items():
        lines.append(
            f"| macro-F1 {lang} (n {row['n']}) | {_f(row['macro_f1'])} | ≥ {TARGETS['lang_macro_f1']} "
            f"({ok(row['macro_f1'] >= TARGETS['lang_macro_f1'])}) |"
        )
    auto = o["auto_exact_match"] or 0.0
    lines += [
        f"| exact match | {_f(o['exact_match'])} | |",
        f"| needs review at confidence < {o['confidence_threshold']} | {o['needs_review_share']:.1%} "
        f"| ≤ 25% ({ok(o['needs_review_share'] <= TARGETS['review_share'])}) |",
        f"| exact match of the auto-accepted | {_f(auto)} | ≥ 0.90 ({ok(auto >= TARGETS['auto_exact'])}) |",
        "",
        "| register | n | outside macro-F1 | outside exact | LORO macro-F1 | LORO exact |",
        "|---|---|---|---|---|---|",
    ]
    for register, row in o["by_register"].items():
        loro = shift.get("by_register", {}).get(register, {})
        lines.append(
            f"| {register} | {row['n']} | {_f(row['macro_f1'])} | {_f(row['exact_match'])} "
            f"| {_f(loro.get('macro_f1'))} | {_f(loro.get('exact_match'))} |"
        )
    rule = best["decision_rule"]
    lines += [
        "",
        "Decision rule, measured on the LORO predictions (`other` only when no other label passes; "
        f"a second label only at probability ≥ the minimum). Chosen: **{rule['second_label_min']}**.",
        "",
        "| second-label minimum | LORO macro-F1 | LORO exact match | multi-label share |",
        "|---|---|---|---|",
    ]
    for row in rule["measured"]:
        lines.append(
            f"| {row['second_label_min'] or 'none (every label over its threshold)'} | {_f(row['macro_f1'])} "
            f"| {_f(row['exact_match'])} | {row['multi_label_share']:.1%} |"
        )
    review = calib["review"]
    lines += [
        "",
        f"Review threshold from the LORO predictions: cuts from {review['meeting_targets'] or '-'} keep the "
        f"review share ≤ 25% and the auto-accepted ≥ 90% exactly right; the middle one: "
        f"**{review['chosen']['threshold']}** (LORO review share "
        f"{review['chosen']['review_share']:.1%}, auto exact match {_f(review['chosen']['auto_exact_match'])}); "
        f"the setting `CLASSIFIER_CONFIDENCE_THRESHOLD` is {o['confidence_threshold']}.",
        "",
        "Reliability (confidence = probability of the least certain chosen label; accuracy = exact label set):",
        "",
        "| confidence bin | LORO n | LORO mean confidence | LORO accuracy | outside n | outside mean confidence | outside accuracy |",
        "|---|---|---|---|---|---|---|",
    ]
    outside_bins = {row["bin"]: row for row in o["reliability"]}
    loro_bins = {row["bin"]: row for row in calib["reliability"]}
    for name in sorted(set(outside_bins) | set(loro_bins)):
        a, b = loro_bins.get(name, {}), outside_bins.get(name, {})
        lines.append(
            f"| {name} | {a.get('n', 0)} | {_f(a.get('mean_confidence'))} | {_f(a.get('accuracy'))} "
            f"| {b.get('n', 0)} | {_f(b.get('mean_confidence'))} | {_f(b.get('accuracy'))} |"
        )
    g = r.get("confirmations")
    if g:
        lines += [
            "",
            f"Learning from confirmations: a queue of {g['queue']} complaints ({g['queue_outside']} outside texts, "
            f"the rest the corpus's test split); {g['confirmed']} confirmed and added to training, then the "
            f"other {g['scored']} outside texts scored. Outside texts among the confirmed: "
            f"{g['outside_among_confirmed']['help_the_model']} least sure first, {g['outside_among_confirmed']['random']} at random.",
            "",
            "| confirmations | macro-F1 | exact match | zh macro-F1 | en macro-F1 |",
            "|---|---|---|---|---|",
        ]
        for name, label in (
            ("none", "none"),
            ("random", f"{g['confirmed']} at random"),
            ("help_the_model", f"{g['confirmed']} lowest confidence first (help the model)"),
        ):
            row = g[name]
            lines.append(
                f"| {label} | {_f(row['macro_f1'])} | {_f(row['exact_match'])} "
                f"| {_f(row.get('zh_macro_f1'))} | {_f(row.get('en_macro_f1'))} |"
            )
    return lines
