"""Train the classifier on the corpus, register the version and promote it through the gate."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from classifier import dataset
from classifier.models import ModelVersion
from classifier.pipeline import ALGORITHMS
from classifier.services import TrainingBusy, confirmed_examples, model_train


class Command(BaseCommand):
    help = (
        "Train candidates on the corpus (plus regulator-confirmed complaints with --with-confirmed), "
        "register the best, and activate it if its macro-F1 on the test split is at least the "
        "active version's minus 0.01 and at least CLASSIFIER_MIN_MACRO_F1."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Activate even if the gate says no."
        )
        parser.add_argument(
            "--no-activate", action="store_true", help="Register as a candidate only."
        )
        parser.add_argument(
            "--if-none-active",
            action="store_true",
            help="Do nothing when a version is already active.",
        )
        parser.add_argument(
            "--with-confirmed",
            action="store_true",
            help="Add regulator-confirmed complaints to training.",
        )
        parser.add_argument(
            "--algorithms",
            default=",".join(ALGORITHMS),
            help=f"Comma-separated candidates (default: {','.join(ALGORITHMS)}).",
        )
        parser.add_argument(
            "--record-split",
            action="store_true",
            help="Write classifier/corpus/test_split.txt and stop.",
        )
        parser.add_argument("--json", action="store_true", help="Print the outcome as JSON.")
        parser.add_argument(
            "--corpus",
            type=Path,
            help="Corpus directory (default: settings.CLASSIFIER_CORPUS_DIR).",
        )

    def handle(self, *args, **options):
        directory = options["corpus"] or settings.CLASSIFIER_CORPUS_DIR
        if options["record_split"]:
            path = dataset.split_record_path(directory)
            try:
                count = dataset.split_record_write(dataset.corpus_load(directory), path)
            except dataset.CorpusError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"Recorded {count} test examples in {path}")
            return
        if (
            options["if_none_active"]
            and ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).exists()
        ):
            self.stdout.write("A classifier version is already active; nothing to do.")
            return
        algorithms = tuple(a.strip() for a in options["algorithms"].split(",") if a.strip())
        unknown = sorted(set(algorithms) - set(ALGORITHMS))
        if unknown or not algorithms:
            raise CommandError(
                f"Unknown algorithm(s): {', '.join(unknown) or '(none given)'}. Choose from {', '.join(ALGORITHMS)}."
            )
        try:
            outcome = model_train(
                extra_examples=confirmed_examples() if options["with_confirmed"] else (),
                algorithms=algorithms,
                force=options["force"],
                activate=not options["no_activate"],
                corpus_dir=directory,
            )
        except dataset.CorpusError as exc:
            raise CommandError(str(exc)) from exc
        except TrainingBusy as exc:
            raise CommandError(exc.message) from exc
        version, result, decision = outcome.version, outcome.result, outcome.decision
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "version": version.version,
                        "status": version.status,
                        "algorithm": version.algorithm,
                        "activated": outcome.activated,
                        "gate": decision.as_dict(),
                        "training_seconds": version.training_seconds,
                        "artifact_size": version.artifact_size,
                        "candidates": [
                            c.as_dict()
                            | {"test": {k: c.test[k] for k in ("macro_f1", "micro_f1", "n")}}
                            for c in result.candidates
                        ],
                    },
                    ensure_ascii=False,
                )
            )
            return
        counts = version.example_counts
        self.stdout.write(
            f"Examples: {counts['train']} train ({counts['confirmed']} confirmed), {counts['test']} test"
        )
        self.stdout.write(
            f"{'candidate':22} {'cv macro':>9} {'cv micro':>9} {'test macro':>11} {'test micro':>11} {'zh':>7} {'en':>7}"
        )
        for c in result.candidates:
            by_lang = {lang: s["macro_f1"] for lang, s in c.test_by_lang.items()}
            self.stdout.write(
                f"{c.algorithm:22} {c.cv_macro_f1:9.4f} {c.cv_micro_f1:9.4f} {c.test['macro_f1']:11.4f} "
                f"{c.test['micro_f1']:11.4f} {by_lang.get('zh', 0):7.4f} {by_lang.get('en', 0):7.4f}"
            )
        self.stdout.write(
            f"Best by cross-validation: {version.algorithm}; trained in {version.training_seconds:.1f}s"
        )
        active = (
            f"{decision.active_version} ({decision.active_macro_f1:.4f})"
            if decision.active_version
            else "none"
        )
        verdict = "activated" if outcome.activated else version.get_status_display()
        self.stdout.write(
            f"Version {version.version}: test macro-F1 {decision.candidate_macro_f1:.4f} vs active {active} -> {verdict}"
        )
