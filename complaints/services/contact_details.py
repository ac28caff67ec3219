"""Regulators reading a consumer's name, phone and e-mail: every reading is an audit Event
(who saw whose contact details, when), in the same transaction that hands them out.

The pages show contact details only after a "Show contact details" POST, not on every load:
the log then records deliberate views (a regulator paging through a queue is not reading
anyone's phone number), a GET stays free of side effects (prefetching and reloads write
nothing), and the details are not on screen for whoever looks over a shoulder.
"""

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from ..encryption import email_index
from ..errors import PermissionDenied
from ..models import Case, Complaint, Event
from ..models.event_messages import message
from .events import event_record
from .guards import require_regulator


def contact_details_of(complaint: Complaint) -> dict[str, str]:
    """The consumer's contact details on one complaint (empty strings where none were given;
    all empty once erased). The e-mail is the one we write to: given, else the account's."""
    if complaint.is_erased:
        return {"name": "", "phone": "", "email": ""}
    return {
        "name": complaint.contact_name,
        "phone": complaint.contact_phone,
        "email": complaint.consumer_email,
    }


@transaction.atomic
def contact_details_reveal(
    *, complaints: Sequence[Complaint], actor, case: Case | None = None
) -> dict[int, dict[str, str]]:
    """The contact details of each complaint's consumer for a regulator, by complaint id; one
    non-public NOTE event per complaint that has any (none for those without: nothing was
    seen). From a case page, `case` is named in the event's data."""
    if actor is None:
        raise PermissionDenied(_("Only regulators can do this."))
    require_regulator(actor)
    shown = {}
    for complaint in complaints:
        details = contact_details_of(complaint)
        seen = [field for field, value in details.items() if value]
        if seen:
            event_record(
                actor=actor,
                kind=Event.Kind.NOTE,
                complaint=complaint,
                message=message("contact_viewed"),
                data={"contact_viewed": seen, **({"case": case.reference} if case else {})},
                public=False,
            )
        shown[complaint.pk] = details
    return shown


CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email")


def contact_details_reencrypt(*, batch_size: int = 1000) -> int:
    """Encrypt every stored contact detail again under the first of FIELD_ENCRYPTION_KEYS and
    recompute the address index under CONTACT_INDEX_KEY (`manage.py rotate_contact_key`).
    Each batch commits on its own, so a large table is never locked for long and a run cut
    short can simply be started again. Returns how many complaints were rewritten."""
    has_contact = ~Q(contact_name="") | ~Q(contact_phone="") | ~Q(contact_email="")
    rewritten, after = 0, 0
    while True:
        with transaction.atomic():
            batch = list(
                Complaint.objects.select_for_update()
                .filter(has_contact, pk__gt=after)
                .order_by("pk")
                .only("pk", *CONTACT_FIELDS)[:batch_size]
            )
            if not batch:
                return rewritten
            for complaint in batch:
                # Read through any key; written back through the first.
                complaint.contact_email_index = email_index(complaint.contact_email)
            Complaint.objects.bulk_update(batch, [*CONTACT_FIELDS, "contact_email_index"])
        rewritten += len(batch)
        after = batch[-1].pk
