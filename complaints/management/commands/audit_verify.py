"""Check the audit log's hash chain: links the events waiting for the sealer first (unless
--no-seal), then exits 0 when every event is where it was written and as it was written and
the chain ends where its sealed head says, 1 naming the first row (or the chain's end) that was
changed, removed, reordered or cut off, or left unchained longer than
AUDIT_SEALING_BOUND_SECONDS."""

import itertools
import re

from django.core.management.base import BaseCommand, CommandError

from complaints.errors import DomainError
from complaints.selectors.audit import (
    audit_chain_breaks,
    audit_chain_length,
    audit_checkpoint_problem,
    audit_unsealed_count,
)
from complaints.services.audit import audit_chain_reseal, audit_chain_seal


def checkpoint(text: str) -> tuple[int, str]:
    found = re.fullmatch(r"([0-9]+):([0-9a-f]{64})", text.strip())
    if found is None:
        raise ValueError(text)
    return int(found.group(1)), found.group(2)


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exit 1 with the first broken row."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="List every broken row, not only the first."
        )
        parser.add_argument(
            "--checkpoint",
            type=checkpoint,
            action="append",
            default=[],
            metavar="POSITION:HASH",
            help="A head logged earlier ('audit chain checkpoint …'): the row must still be there.",
        )
        parser.add_argument(
            "--reseal",
            action="store_true",
            help="After changing AUDIT_CHAIN_KEY: seal the head under the new key, if the "
            "chain is otherwise whole.",
        )

        parser.add_argument(
            "--no-seal",
            action="store_true",
            help="Only report: leave the events waiting for the sealer as they are.",
        )

    def handle(self, *args, **options):
        if not options["no_seal"] and (sealed := audit_chain_seal()):
            self.stdout.write(f"sealed {sealed} events that were waiting")
        if options["reseal"]:
            try:
                event = audit_chain_reseal()
            except DomainError as error:
                raise CommandError(error.message) from None
            self.stdout.write(f"audit chain head sealed again: {event.text}")
        breaks = audit_chain_breaks()
        found = [str(item) for item in (breaks if options["all"] else itertools.islice(breaks, 1))]
        for position, row_hash in options["checkpoint"]:
            if problem := audit_checkpoint_problem(position, row_hash):
                found.append(f"checkpoint {position}: {problem}")
        if not found:
            waiting = audit_unsealed_count()
            tail = f", {waiting} waiting to be sealed" if waiting else ""
            self.stdout.write(f"audit chain intact: {audit_chain_length()} events{tail}")
            return
        for item in found[1:]:
            self.stderr.write(f"also broken: {item}")
        raise CommandError(f"audit chain broken at {found[0]}")
