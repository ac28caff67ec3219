"""Erase what is kept longer than needed: personal data of complaints closed more than
RETENTION_YEARS ago, and evidence files of forms never sent (older than a day). Beat runs both
daily; this command runs them now."""

from django.core.management.base import BaseCommand

from complaints.services.evidence import evidence_drafts_purge
from complaints.services.retention import complaints_past_retention, retention_purge


class Command(BaseCommand):
    help = (
        "Erase the personal data of complaints closed more than RETENTION_YEARS ago and "
        "delete evidence drafts older than a day."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be erased."
        )

    def handle(self, *args, dry_run: bool, **options):
        if dry_run:
            count = complaints_past_retention().count()
            self.stdout.write(f"{count} complaints are past retention (nothing erased).")
            return
        erased = retention_purge()
        drafts = evidence_drafts_purge()
        self.stdout.write(
            f"Erased the personal data of {erased} complaints; deleted {drafts} evidence drafts."
        )
