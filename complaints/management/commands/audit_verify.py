"""Check the audit log's hash chain: exits 0 when every event is where it was written and as
it was written, 1 naming the first row that was changed, removed or reordered."""

import itertools

from django.core.management.base import BaseCommand, CommandError

from complaints.selectors.audit import audit_chain_breaks, audit_chain_length


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exit 1 with the first broken row."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="List every broken row, not only the first."
        )

    def handle(self, *args, **options):
        breaks = audit_chain_breaks()
        found = list(breaks) if options["all"] else list(itertools.islice(breaks, 1))
        if not found:
            self.stdout.write(f"audit chain intact: {audit_chain_length()} events")
            return
        for item in found[1:]:
            self.stderr.write(f"also broken: {item}")
        raise CommandError(f"audit chain broken at {found[0]}")
