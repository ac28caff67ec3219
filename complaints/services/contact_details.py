"""Regulators reading a consumer's name, phone and e-mail: every reading is an audit Event
(who saw whose contact details, when), in the same transaction that hands them out.

The pages show contact details only after a "Show contact details" POST, not on every load:
the log then records deliberate views (a regulator paging through a queue is not reading
anyone's phone number), a GET stays free of side effects (prefetching and reloads write
nothing), and the details are not on screen for whoever looks over a shoulder.
"""

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

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
