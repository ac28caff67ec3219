"""The complaint and case lifecycles: one table of allowed moves for each.

Services call `check_complaint_move` / `check_case_move` before changing a status; anything
not in the table raises TransitionNotAllowed.
"""

from django.utils.translation import gettext as _

from .errors import TransitionNotAllowed
from .models import Case, Complaint

C = Complaint.Status
K = Case.Status

COMPLAINT_TRANSITIONS: dict[str, frozenset[str]] = {
    C.SUBMITTED: frozenset(
        {
            C.CLASSIFIED,
            C.NEEDS_REVIEW,
            C.INFO_REQUESTED,
            C.ACCEPTED,
            C.REJECTED,
            C.DUPLICATE,
            C.WITHDRAWN,
        }
    ),
    # A new model may reclassify: classified <-> needs_review.
    C.CLASSIFIED: frozenset(
        {C.NEEDS_REVIEW, C.INFO_REQUESTED, C.ACCEPTED, C.REJECTED, C.DUPLICATE, C.WITHDRAWN}
    ),
    C.NEEDS_REVIEW: frozenset(
        {C.CLASSIFIED, C.INFO_REQUESTED, C.ACCEPTED, C.REJECTED, C.DUPLICATE, C.WITHDRAWN}
    ),
    # The consumer's answer sends it back to review; silence may end in rejection.
    C.INFO_REQUESTED: frozenset({C.NEEDS_REVIEW, C.ACCEPTED, C.REJECTED, C.WITHDRAWN}),
    # An operator's "not our app" sends an accepted complaint back to review.
    C.ACCEPTED: frozenset({C.LINKED, C.ANSWERED, C.NEEDS_REVIEW, C.CLOSED, C.WITHDRAWN}),
    C.LINKED: frozenset({C.ANSWERED, C.NEEDS_REVIEW, C.CLOSED, C.WITHDRAWN}),
    C.ANSWERED: frozenset({C.CLOSED, C.DISPUTED, C.NEEDS_REVIEW, C.WITHDRAWN}),
    # A dispute goes back to the regulator, who may ask the operator again or close it.
    C.DISPUTED: frozenset({C.ACCEPTED, C.LINKED, C.ANSWERED, C.CLOSED, C.WITHDRAWN}),
    C.REJECTED: frozenset({C.NEEDS_REVIEW}),  # reopened on appeal
    C.DUPLICATE: frozenset({C.NEEDS_REVIEW}),  # unmerged
    C.CLOSED: frozenset(),
    C.WITHDRAWN: frozenset(),
}

CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    K.OPEN: frozenset({K.NOTICE_ISSUED, K.CLOSED}),
    K.NOTICE_ISSUED: frozenset(
        {K.RESPONSE_RECEIVED, K.OVERDUE, K.RECTIFIED, K.NOT_RECTIFIED, K.CLOSED}
    ),
    K.RESPONSE_RECEIVED: frozenset({K.RECTIFIED, K.NOT_RECTIFIED}),
    # Not rectified: a new notice with a new deadline, or escalation.
    K.NOT_RECTIFIED: frozenset({K.NOTICE_ISSUED, K.ESCALATED, K.CLOSED}),
    K.OVERDUE: frozenset({K.RESPONSE_RECEIVED, K.NOTICE_ISSUED, K.ESCALATED, K.RECTIFIED}),
    K.ESCALATED: frozenset({K.RESPONSE_RECEIVED, K.RECTIFIED, K.CLOSED}),
    K.RECTIFIED: frozenset({K.CLOSED, K.OPEN}),
    # Recurrence: new confirmed complaints reopen a closed case.
    K.CLOSED: frozenset({K.OPEN}),
}

# Statuses in which a complaint is still with the platform (not final).
COMPLAINT_FINAL = frozenset({C.CLOSED, C.WITHDRAWN})
CASE_ACTIVE = frozenset(set(K) - {K.CLOSED})


def complaint_can_move(from_status: str, to_status: str) -> bool:
    return to_status in COMPLAINT_TRANSITIONS.get(from_status, frozenset())


def case_can_move(from_status: str, to_status: str) -> bool:
    return to_status in CASE_TRANSITIONS.get(from_status, frozenset())


def check_complaint_move(from_status: str, to_status: str) -> None:
    if not complaint_can_move(from_status, to_status):
        raise TransitionNotAllowed(
            _("A complaint cannot go from “%(from)s” to “%(to)s”.")
            % {"from": C(from_status).label, "to": C(to_status).label}
        )


def check_case_move(from_status: str, to_status: str) -> None:
    if not case_can_move(from_status, to_status):
        raise TransitionNotAllowed(
            _("A case cannot go from “%(from)s” to “%(to)s”.")
            % {"from": K(from_status).label, "to": K(to_status).label}
        )
