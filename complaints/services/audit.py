"""The audit log's one write outside an append: sealing its head again under a new
AUDIT_CHAIN_KEY, after the chain has been checked up to it (models/audit_chain)."""

from django.db import router, transaction
from django.utils.translation import gettext as _

from ..errors import DomainError
from ..models import AuditChainHead, Event, audit_chain
from ..models.event_messages import message
from ..selectors.audit import audit_chain_breaks
from .events import event_record


@transaction.atomic
def audit_chain_reseal(*, actor=None) -> Event:
    """Seal the head under the current AUDIT_CHAIN_KEY (a key rotation) and record it. Refused
    unless the chain is whole and its only fault is the seal: a key change must not launder a
    cut, a reorder or a changed row."""
    using = router.db_for_write(Event)
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
