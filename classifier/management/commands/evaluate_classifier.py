"""Score the active classifier on a JSON Lines file of labelled complaints."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from classifier.dataset import CorpusError, examples_read
from classifier.evaluation import review_figures, scores, scores_by
from classifier.pipeline import ArtifactError
from classifier.serving import active_model


class Command(BaseCommand):
    help = (
        "Evaluate the active model on PATH (one JSON object per line with `text` and `labels`; "
        "`lang` and `register` used when present): macro-F1, micro-F1, exact match, the share "
        "the confidence threshold sends to review and exact match on the rest, per-label "
        "precision, recall, F1, support, and macro-F1 per language and register."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, path: Path, **options):
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            examples = examples_read(path)
        except CorpusError as exc:
            raise CommandError(str(exc)) from exc
        if not examples:
            raise CommandError(f"{path}: no examples")
        try:
            served = active_model(refresh=True)
        except ArtifactError as exc:
            raise CommandError(f"The active classifier version cannot be loaded: {exc}") from exc
        if served is None:
            raise CommandError(
                "No classifier version is active; run `manage.py train_classifier` first."
            )
        predicted, confidence = served.model.predict_with_confidence([e.text for e in examples])
        result = scores([e.labels for e in examples], predicted, confusion=False)
        report = {
            "model_version": served.version,
            "n": result["n"],
            "macro_f1": result["macro_f1"],
            "micro_f1": result["micro_f1"],
            "exact_match": result["exact_match"],
            **review_figures(
                examples, predicted, confidence, settings.CLASSIFIER_CONFIDENCE_THRESHOLD
            ),
            "per_label": result["per_label"],
            "by_lang": scores_by(examples, predicted, "lang"),
            "by_register": scores_by(examples, predicted, "register"),
        }
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
            return
        self.stdout.write(f"Model {served.version} on {report['n']} examples from {path}")
        self.stdout.write(
            f"macro-F1 {report['macro_f1']:.4f}   micro-F1 {report['micro_f1']:.4f}   "
            f"exact match {report['exact_match']:.4f}"
        )
        auto_exact = report["auto_exact_match"]
        self.stdout.write(
            f"needs review (confidence < {report['confidence_threshold']}) "
            f"{report['needs_review_share']:.1%}; exact match on the rest "
            + (f"{auto_exact:.4f}" if auto_exact is not None else "-")
        )
        for key in ("by_lang", "by_register"):
            for value, row in report[key].items():
                self.stdout.write(
                    f"  {key[3:]} {value}: n {row['n']}, macro-F1 {row['macro_f1']:.4f}, "
                    f"exact match {row['exact_match']:.4f}"
                )
        self.stdout.write(f"{'label':24} {'precision':>9} {'recall':>7} {'F1':>7} {'support':>8}")
        for label, row in report["per_label"].items():
            self.stdout.write(
                f"{label:24} {row['precision']:9.4f} {row['recall']:7.4f} {row['f1']:7.4f} {row['support']:8d}"
            )
