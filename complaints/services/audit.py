"""The audit log's writes besides an append: linking unchained events into the hash chain
(the sealer), and sealing its head again under a new AUDIT_CHAIN_KEY after the chain has been
checked up to it (models/audit_chain)."""

import logging

from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import DomainError
from ..models import AuditChainHead, Event, audit_chain
from ..models.audit_chain import HASHED_COLUMNS
from ..models.event_messages import message
from ..selectors.audit import audit_chain_breaks
from .events import event_record

logger = logging.getLogger("complaints.audit")

# Beyond this wait, a sealing is reported: the sealer had not run (beat or the worker away).
SEAL_LATE_SECONDS = 60
# What the content seal and the row hash read, plus the id to name a row by.
SEALED_COLUMNS = ("id", "actor_id", *HASHED_COLUMNS, "content_seal")


def audit_chain_seal(*, batch_size: int | None = None) -> int:
    """Link every unchained event into the chain, oldest id first, a batch per transaction
    under the chain's lock; returns how many were linked. A row whose content seal no longer
    holds (changed after it was written) is left out, logged, and named by `audit_verify`.
    Safe to run twice at once (the lock) and to kill at any point (a batch commits whole)."""
    batch_size = batch_size or settings.AUDIT_SEAL_BATCH
    using = router.db_for_write(Event)
    table = Event._meta.db_table
    sealed, after, oldest = 0, 0, None
    while True:
        with transaction.atomic(using=using):
            head = audit_chain.chain_head(using, table)  # the lock, to the commit
            rows = list(
                Event.objects.using(using)
                .filter(chain_seq__isnull=True, pk__gt=after)
                .only(*SEALED_COLUMNS)
                .order_by("pk")[:batch_size]
            )
            if not rows:
                break
            whole = [event for event in rows if audit_chain.content_seal_holds(event)]
            for event in rows:
                if event not in whole:
                    logger.error("audit event %s changed before it was sealed: left out", event.pk)
            if whole:
                new_head = audit_chain.chain_link(whole, head, stored=True)
                _links_store(using, table, whole)
                audit_chain.chain_head_store(using, new_head, previous=head.seq)
                oldest = min(oldest or whole[0].created_at, whole[0].created_at)
        sealed += len(whole)
        after = rows[-1].pk
        if len(rows) < batch_size:
            break
    _report_late(sealed, oldest)
    return sealed


def _report_late(sealed: int, oldest) -> None:
    """Every AUDIT_SEAL_SECONDS the sealer links what was just written, and says nothing;
    events that had waited SEAL_LATE_SECONDS (the sealer was not running) are worth a line."""
    if not sealed:
        return
    waited = (timezone.now() - oldest).total_seconds()
    if waited > SEAL_LATE_SECONDS:
        logger.info(
            "Audit chain: %s event(s) linked, the oldest written %.0f s before.", sealed, waited
        )


def _links_store(using: str, table: str, events: list[Event]) -> None:
    """The one UPDATE the events trigger lets through: chain fields from NULL to set. On
    PostgreSQL one statement for the batch (the rows as arrays), not one per row."""
    connection = connections[using]
    quote = connection.ops.quote_name
    rows = [(e.chain_seq, e.prev_hash, e.row_hash, e.pk) for e in events]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {quote(table)} AS t SET chain_seq = v.seq, prev_hash = v.prev, "  # noqa: S608
                "row_hash = v.hash FROM unnest(%s::bigint[], %s::text[], %s::text[], "
                "%s::bigint[]) AS v(seq, prev, hash, id) WHERE t.id = v.id AND t.chain_seq IS NULL",
                [list(column) for column in zip(*rows, strict=True)],
            )
        else:
            cursor.executemany(
                f"UPDATE {quote(table)} SET chain_seq = %s, prev_hash = %s, row_hash = %s "  # noqa: S608
                "WHERE id = %s AND chain_seq IS NULL",
                rows,
            )


@transaction.atomic
def audit_chain_reseal(*, actor=None) -> Event:
    """Seal the head under the current AUDIT_CHAIN_KEY (a key rotation) and record it. Refused
    unless the chain is whole and its only fault is the seal: a key change must not launder a
    cut, a reorder or a changed row."""
    using = router.db_for_write(Event)
    audit_chain_seal()  # the pending tail first: its rows belong to the chain being checked
    audit_chain.chain_head(using, Event._meta.db_table)  # the chain's lock, to the commit
    head = AuditChainHead.objects.filter(pk=audit_chain.HEAD_ID).first()
    breaks = [str(item) for item in audit_chain_breaks()]
    if head is None or breaks != [
        f"the chain's end (position {head.length}): {audit_chain.SEAL_BROKEN}"
    ]:
        raise DomainError(
            _("Only a whole chain whose head was sealed with another key can be sealed again.")
        )
    sealed = audit_chain.ChainHead(head.length, head.last_hash, head.broken_at)
    audit_chain.chain_head_store(using, sealed, previous=head.length)
    return event_record(
        actor=actor,
        kind=Event.Kind.NOTE,
        message=message("audit_chain_resealed", position=head.length),
        public=False,
    )
