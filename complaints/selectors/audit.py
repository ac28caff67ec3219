"""The audit log's own check: walk the hash chain (models/audit_chain) and report where it
breaks. Read-only; `manage.py audit_verify` prints the result."""

import datetime
import itertools
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from ..models import AuditChainHead, Event
from ..models.audit_chain import (
    HASHED_COLUMNS,
    HEAD_ID,
    ChainBreak,
    chain_verify,
    content_seal_holds,
)

# What the hash covers, the row's place in the chain, what erasure checks (the reason, actor
# and salt) and the content seal, plus the id to name a row by.
_COLUMNS = (
    "id",
    "actor_id",
    "reason",
    *HASHED_COLUMNS,
    "chain_seq",
    "prev_hash",
    "row_hash",
    "personal_salt",
    "content_seal",
)


def audit_chain_breaks(*, chunk_size: int = 5000, now=None) -> Iterator[ChainBreak]:
    """Every break in the chain, first one first, then every unchained row that is not simply
    waiting for the sealer (audit_unsealed_breaks); an empty iterator when the log is whole."""
    erased_after = dict(
        Event.objects.filter(kind=Event.Kind.ERASURE, complaint__isnull=False)
        .values("complaint_id")
        .annotate(last=Max("chain_seq"))
        .values_list("complaint_id", "last")
    )
    head = (
        AuditChainHead.objects.filter(pk=HEAD_ID)
        .values_list("length", "last_hash", "broken_at", "seal")
        .first()
    )
    return itertools.chain(
        chain_verify(_in_chain_order(chunk_size), erased_after, head),
        audit_unsealed_breaks(now=now),
    )


def audit_unsealed_breaks(*, now=None) -> Iterator[ChainBreak]:
    """Rows outside the chain that should not be: written around the audit log (no content
    seal), changed after they were written (a seal that no longer holds: the sealer leaves them
    out), or older than AUDIT_SEALING_BOUND_SECONDS (the sealer is not running)."""
    bound = datetime.timedelta(seconds=settings.AUDIT_SEALING_BOUND_SECONDS)
    oldest_waiting = (now or timezone.now()) - bound
    for event in _unsealed(chunk_size=5000):
        if not event.content_seal:
            yield ChainBreak(event.pk, None, "not in the chain (written around the audit log)")
        elif not content_seal_holds(event):
            yield ChainBreak(event.pk, None, "changed after it was written, before it was sealed")
        elif event.created_at < oldest_waiting:
            yield ChainBreak(
                event.pk, None, f"not sealed {bound.total_seconds():.0f} s after it was written"
            )


def audit_unsealed_count() -> int:
    return Event.objects.filter(chain_seq__isnull=True).count()


def _unsealed(chunk_size: int) -> Iterator[Event]:
    after = 0
    while True:
        rows = list(
            Event.objects.only(*_COLUMNS)
            .filter(chain_seq__isnull=True, pk__gt=after)
            .order_by("pk")[:chunk_size]
        )
        yield from rows
        if len(rows) < chunk_size:
            return
        after = rows[-1].pk


def _in_chain_order(chunk_size: int) -> Iterator[Event]:
    """Every event by chain position, a page at a time (keyset pages: no server-side cursor
    left open when the caller stops at the first break)."""
    after = None
    while True:
        page = Event.objects.only(*_COLUMNS).filter(chain_seq__isnull=False).order_by("chain_seq")
        if after is not None:
            page = page.filter(chain_seq__gt=after)
        rows = list(page[:chunk_size])
        yield from rows
        if len(rows) < chunk_size:
            return
        after = rows[-1].chain_seq


def audit_chain_length() -> int:
    return Event.objects.filter(chain_seq__isnull=False).count()


def audit_checkpoint_problem(position: int, row_hash: str) -> str:
    """Whether the chain still holds, at `position`, the row a logged checkpoint names ("" when
    it does): a cut together with an older head put back would otherwise pass."""
    found = Event.objects.filter(chain_seq=position).values_list("row_hash", flat=True).first()
    if found is None:
        return f"the checkpoint's row at position {position} is gone"
    if found != row_hash:
        return f"the row at position {position} is not the checkpoint's"
    return ""
