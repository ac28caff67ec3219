"""The complaint and case lifecycles, in one place: the statuses, the groups of statuses the
platform reasons with, the tables of allowed moves and one `can_<action>` check per action.

Services call `check_complaint_move` / `check_case_move` before changing a status (anything
not in the tables raises TransitionNotAllowed) and the `can_<action>` checks before acting;
views and the API ask the same checks which actions to offer; selectors, statistics and the
load generator filter by the groups. Nothing else lists statuses.
"""

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import TransitionNotAllowed


class ComplaintStatus(models.TextChoices):
    """Where a complaint is; `Complaint.Status` is this class."""

    SUBMITTED = "submitted", gettext_lazy("submitted")
    CLASSIFIED = "classified", gettext_lazy("classified")
    NEEDS_REVIEW = "needs_review", gettext_lazy("needs review")
    INFO_REQUESTED = "info_requested", gettext_lazy("more information requested")
    ACCEPTED = "accepted", gettext_lazy("accepted")
    REJECTED = "rejected", gettext_lazy("rejected")
    DUPLICATE = "duplicate", gettext_lazy("duplicate")
    LINKED = "linked", gettext_lazy("linked to a case")
    ANSWERED = "answered", gettext_lazy("answered by the operator")
    DISPUTED = "disputed", gettext_lazy("disputed by the consumer")
    CLOSED = "closed", gettext_lazy("closed")
    WITHDRAWN = "withdrawn", gettext_lazy("withdrawn")


class CaseStatus(models.TextChoices):
    """Where a rectification case is; `Case.Status` is this class."""

    OPEN = "open", gettext_lazy("open")
    NOTICE_ISSUED = "notice_issued", gettext_lazy("notice issued")
    RESPONSE_RECEIVED = "response_received", gettext_lazy("response received")
    RECTIFIED = "rectified", gettext_lazy("rectified")
    NOT_RECTIFIED = "not_rectified", gettext_lazy("not rectified")
    OVERDUE = "overdue", gettext_lazy("overdue")
    ESCALATED = "escalated", gettext_lazy("escalated")
    CLOSED = "closed", gettext_lazy("closed")


C = ComplaintStatus
K = CaseStatus

# --- groups --------------------------------------------------------------------------------
# Tuples, in lifecycle order, so that pages listing them read in that order.

# Waiting for a regulator's decision, on the 7-working-day clock (a dispute restarts it).
AWAITING_DECISION = (C.SUBMITTED, C.CLASSIFIED, C.NEEDS_REVIEW, C.DISPUTED)
# The triage queue: awaiting a decision, or paused while the consumer is asked a question.
TRIAGE_QUEUE = (*AWAITING_DECISION, C.INFO_REQUESTED)
# The classifier may (re)label these; a regulator's decision ends that.
CLASSIFIABLE = (C.SUBMITTED, C.CLASSIFIED, C.NEEDS_REVIEW)
# Accepted by a regulator (and not sent back since): counted as "accepted" on every page and
# in every statistic, shown to the app's operator, publishable, able to join a case. A
# dispute is about the operator's answer, not the acceptance, so it stays in.
CONFIRMED = (C.ACCEPTED, C.LINKED, C.ANSWERED, C.DISPUTED, C.CLOSED)
# A regulator's decisions: the first of them stamps the complaint's decision time.
DECISIONS = (C.ACCEPTED, C.REJECTED, C.DUPLICATE)
# The operator owes an answer.
AWAITING_OPERATOR = (C.ACCEPTED, C.LINKED)
# Over, one way or another: the consumer may rate how it was handled.
RATEABLE = (C.CLOSED, C.REJECTED, C.DUPLICATE)
# Nothing more will happen.
COMPLAINT_FINAL = (C.CLOSED, C.WITHDRAWN)
# Ended: final, or decided against (rejected, a duplicate). A complaint entering one of these
# is stamped `closed_at`, and the retention period runs from then; an appeal that reopens a
# rejected or duplicate one clears the stamp.
COMPLAINT_ENDED = (C.REJECTED, C.DUPLICATE, *COMPLAINT_FINAL)

# A notice is out and the next move is the operator's report or the regulator's verdict (the
# public board tells these apart: selectors/stats/rectification_board.py).
CASE_UNDER_NOTICE = (K.NOTICE_ISSUED, K.RESPONSE_RECEIVED, K.NOT_RECTIFIED)
# Past the notice's deadline, or escalated because of it.
CASE_LATE = (K.OVERDUE, K.ESCALATED)
# A regulator's verdict on the operator's rectification.
CASE_VERDICTS = (K.RECTIFIED, K.NOT_RECTIFIED)
# Ended, by a verified fix or by closing: new confirmed complaints reopen it (a recurrence).
CASE_ENDED = (K.RECTIFIED, K.CLOSED)
# Everything but a case still being prepared: an operator sees a case once a notice exists.
CASE_SEEN_BY_OPERATOR = tuple(s for s in K if s != K.OPEN)


# --- moves -------------------------------------------------------------------------------

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


# --- what may be done to a complaint ------------------------------------------------------
# Each takes the complaint (anything with .status; the rating check also reads .rating).


def can_classify(complaint) -> bool:
    return complaint.status in CLASSIFIABLE


def can_accept(complaint) -> bool:
    return complaint_can_move(complaint.status, C.ACCEPTED)


def can_reject(complaint) -> bool:
    return complaint_can_move(complaint.status, C.REJECTED)


def can_mark_duplicate(complaint) -> bool:
    return complaint_can_move(complaint.status, C.DUPLICATE)


def can_request_info(complaint) -> bool:
    return complaint_can_move(complaint.status, C.INFO_REQUESTED)


def can_link_case(complaint) -> bool:
    """Accepted and not over: linking moves accepted or disputed ones to "linked" and only
    adds the link to answered ones."""
    return complaint.status in CONFIRMED and complaint.status not in COMPLAINT_FINAL


def can_close(complaint) -> bool:
    """A regulator ends the loop (a dispute that needs nothing more, a silent consumer)."""
    return complaint_can_move(complaint.status, C.CLOSED)


def can_answer(complaint) -> bool:
    """The operator replies (again, after a dispute the regulator sent back)."""
    return complaint_can_move(complaint.status, C.ANSWERED)


def can_disown(complaint) -> bool:
    """The operator says "not our app", which sends it back to review; not once disputed
    (the operator has answered already and the regulator holds it)."""
    return complaint.status in CONFIRMED and complaint_can_move(complaint.status, C.NEEDS_REVIEW)


def can_provide_info(complaint) -> bool:
    return complaint.status == C.INFO_REQUESTED


def can_confirm_answer(complaint) -> bool:
    """The consumer accepts the operator's answer (only an answer: closing an accepted
    complaint is the regulator's move)."""
    return complaint.status == C.ANSWERED


def can_dispute(complaint) -> bool:
    return complaint.status == C.ANSWERED


def can_withdraw(complaint) -> bool:
    return complaint_can_move(complaint.status, C.WITHDRAWN)


def can_rate(complaint) -> bool:
    return complaint.status in RATEABLE and complaint.rating is None


# --- what may be done to a case -----------------------------------------------------------


def can_issue_notice(case) -> bool:
    return case_can_move(case.status, K.NOTICE_ISSUED)


def can_report(case) -> bool:
    """The operator sends its rectification report."""
    return case_can_move(case.status, K.RESPONSE_RECEIVED)


def package_goes_with_report(case) -> bool:
    """A package the operator sends now belongs to its report awaiting verification."""
    return case.status == K.RESPONSE_RECEIVED


def can_submit_package(case) -> bool:
    """The operator sends the app's package (APK): with the report awaiting verification, or
    because a trigger rule asked for it, until the case ends."""
    if package_goes_with_report(case):
        return True
    return case.inspection_requested_at is not None and case.status not in CASE_ENDED


def can_verify(case) -> bool:
    return case_can_move(case.status, K.RECTIFIED) or case_can_move(case.status, K.NOT_RECTIFIED)


def can_escalate(case) -> bool:
    return case_can_move(case.status, K.ESCALATED)


def can_close_case(case) -> bool:
    return case_can_move(case.status, K.CLOSED)
