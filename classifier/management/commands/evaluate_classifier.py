"""Score the active classifier on a JSON Lines file of labelled complaints."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from classifier.dataset import CorpusError, examples_read
from classifier.evaluation import scores
from classifier.pipeline import ArtifactError
from classifier.serving import active_model


class Command(BaseCommand):
    help = (
        "Evaluate the active model on PATH (one JSON object per line with `text` and `labels`; "
        "other fields ignored): macro-F1, micro-F1, n and per-label precision, recall, F1, support."
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
        predicted = served.model.predict_labels([e.text for e in examples])
        result = scores([e.labels for e in examples], predicted, confusion=False)
        report = {
            "model_version": served.version,
            "n": result["n"],
            "macro_f1": result["macro_f1"],
            "micro_f1": result["micro_f1"],
            "per_label": result["per_label"],
        }
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
            return
        self.stdout.write(f"Model {served.version} on {report['n']} examples from {path}")
        self.stdout.write(f"macro-F1 {report['macro_f1']:.4f}   micro-F1 {report['micro_f1']:.4f}")
        self.stdout.write(f"{'label':24} {'precision':>9} {'recall':>7} {'F1':>7} {'support':>8}")
        for label, row in report["per_label"].items():
            self.stdout.write(
                f"{label:24} {row['precision']:9.4f} {row['recall']:7.4f} {row['f1']:7.4f} {row['support']:8d}"
            )
