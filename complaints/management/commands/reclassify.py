"""Classify complaints again with the active model version (after training a new one)."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from classifier.selectors import model_version_active
from complaints.models import Complaint
from complaints.services.classification import complaints_reclassify, complaints_to_reclassify


class Command(BaseCommand):
    help = (
        "Classify complaints that the active model version has not classified yet. By default "
        "only those still with the classifier (submitted, classified, needs_review); --all adds "
        "decided ones (their status and regulator-confirmed labels stay as they are)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="Include complaints people have already decided on."
        )
        parser.add_argument(
            "--status",
            action="append",
            default=[],
            choices=Complaint.Status.values,
            help="Only this status (repeatable).",
        )
        parser.add_argument("--app", type=int, help="Only complaints about this app id.")
        parser.add_argument(
            "--category", default="", help="Only complaints with this category code (or hint)."
        )
        parser.add_argument(
            "--since",
            type=datetime.date.fromisoformat,
            help="Only complaints submitted on or after YYYY-MM-DD.",
        )
        parser.add_argument("--ids", default="", help="Only these complaint ids, comma-separated.")
        parser.add_argument(
            "--inline",
            action="store_true",
            help="Classify here instead of enqueueing for the worker.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")

    def handle(self, *args, **options):
        active = model_version_active()
        if active is None:
            raise CommandError(
                "No classifier version is active; run `manage.py train_classifier` first."
            )
        try:
            ids = [int(part) for part in options["ids"].split(",") if part.strip()]
        except ValueError as exc:
            raise CommandError("--ids takes comma-separated numbers, e.g. --ids 12,15") from exc
        since = options["since"]
        queryset = complaints_to_reclassify(
            model_version_id=active.pk,
            include_decided=options["all"],
            statuses=options["status"],
            app_id=options["app"],
            category_code=options["category"],
            submitted_since=timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
            if since
            else None,
            complaint_ids=ids,
        )
        if options["dry_run"]:
            self.stdout.write(
                f"{queryset.count()} complaint(s) would be classified by {active.version}."
            )
            return
        count = complaints_reclassify(
            queryset=queryset, model_version_id=active.pk, inline=options["inline"]
        )
        verb = "classified" if options["inline"] else "queued for classification"
        self.stdout.write(f"{count} complaint(s) {verb} by {active.version}.")
