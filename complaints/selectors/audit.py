"""The audit log's own check: walk the hash chain (models/audit_chain) and report where it
breaks. Read-only; `manage.py audit_verify` prints the result."""

from collections.abc import Iterator

from django.db.models import Max

from ..models import AuditChainHead, Event
from ..models.audit_chain import HEAD_ID, ChainBreak, chain_verify

# Only what the hash covers, plus the id to name a row by.
_COLUMNS = (
    "id",
    "kind",
    "complaint_id",
    "case_id",
    "actor_id",
    "actor_role",
    "from_status",
    "to_status",
    "reason",
    "message",
    "data",
    "public",
    "created_at",
    "chain_seq",
    "prev_hash",
    "row_hash",
    "personal_salt",
    "reason_digest",
    "actor_digest",
)


def audit_chain_breaks(*, chunk_size: int = 5000) -> Iterator[ChainBreak]:
    """Every break in the chain, first one first (an empty iterator when the log is whole)."""
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
    return chain_verify(_in_chain_order(chunk_size), erased_after, head)


def _in_chain_order(chunk_size: int) -> Iterator[Event]:
    """Every event by chain position, a page at a time (keyset pages: no server-side cursor
    left open when the caller stops at the first break)."""
    after = None
    while True:
        page = Event.objects.only(*_COLUMNS).order_by("chain_seq")
        if after is not None:
            page = page.filter(chain_seq__gt=after)
        rows = list(page[:chunk_size])
        yield from rows
        if len(rows) < chunk_size:
            return
        after = rows[-1].chain_seq


def audit_chain_length() -> int:
    return Event.objects.count()


def audit_checkpoint_problem(position: int, row_hash: str) -> str:
    """Whether the chain still holds, at `position`, the row a logged checkpoint names ("" when
    it does): a cut together with an older head put back would otherwise pass."""
    found = Event.objects.filter(chain_seq=position).values_list("row_hash", flat=True).first()
    if found is None:
        return f"the checkpoint's row at position {position} is gone"
    if found != row_hash:
        return f"the row at position {position} is not the checkpoint's"
    return ""
