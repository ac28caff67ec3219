"""The audit log and the two status-move primitives every other service uses."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from .. import roles, workflow
from ..models import Case, CaseCategory, Complaint, Event
from .bulk_writes import objects_insert, objects_update
from .row_insert import row_insert


def event_record(
    *,
    actor=None,
    actor_role: str | None = None,
    kind: str = Event.Kind.TRANSITION,
    complaint: Complaint | None = None,
    case: Case | None = None,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    message: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    public: bool = True,
    at=None,
) -> Event:
    """Append one audit row. `reason` is what a person typed, kept as typed; `message` is the
    system's own sentence as an id and parameters (models.event_messages.message), put into
    words in each reader's language."""
    if actor is not None and not actor.is_authenticated:
        actor = None
    if actor_role is None:
        actor_role = roles.role_of(actor) if actor is not None else "system"
    event = Event(
        actor=actor,
        actor_role=actor_role,
        kind=kind,
        complaint=complaint,
        case=case,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        message=message or {},
        data=data or {},
        public=public,
        created_at=at or timezone.now(),
    )
    # save() without the ORM's per-call compilation: every service writes one of these.
    row_insert(event)
    return event


def _closing_stamp(complaint: Complaint, to_status: str, now) -> bool:
    """Set or clear `closed_at` for a move to `to_status` (workflow.COMPLAINT_ENDED); whether
    the field changed."""
    closed_at = now if to_status in workflow.COMPLAINT_ENDED else None
    if closed_at == complaint.closed_at:
        return False
    complaint.closed_at = closed_at
    return True


@transaction.atomic
def complaint_move(
    *,
    complaint: Complaint,
    to_status: str,
    actor=None,
    actor_role: str | None = None,
    reason: str = "",
    message: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    public: bool = True,
    extra_fields: tuple[str, ...] = (),
    at=None,
) -> Event:
    """Move a complaint along the workflow table and log it; returns the event it wrote (the
    complaint object is updated in place). Raises TransitionNotAllowed."""
    from_status = complaint.status
    workflow.check_complaint_move(from_status, to_status)
    complaint.status = to_status
    now = at or timezone.now()
    fields = {"status", "updated_at", *extra_fields}
    if to_status in workflow.DECISIONS and not complaint.decided_at:
        complaint.decided_at = now
        fields.add("decided_at")
    if _closing_stamp(complaint, to_status, now):
        fields.add("closed_at")
    complaint.save(update_fields=sorted(fields))
    return event_record(
        actor=actor,
        actor_role=actor_role,
        complaint=complaint,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        message=message,
        data=data,
        public=public,
        at=now,
    )


# No savepoint inside the batch's transaction (its caller's): nothing here is worth keeping
# when a later statement fails, and the pair of statements came with every batch.
@transaction.atomic(savepoint=False)
def complaints_move_many(
    *,
    moves: list[tuple[Complaint, str, str, dict[str, Any]]],
    actor_role: str = "system",
    public: bool = True,
    extra_fields: tuple[str, ...] = (),
    at=None,
) -> list[Event]:
    """`complaint_move` for many complaints (a classification batch): each (complaint,
    to_status, message, data) checked against the workflow table, then one UPDATE and one
    INSERT for them all. The message is the system's sentence as an id and parameters
    (models.event_messages), translated when read. The complaint objects are updated in
    place."""
    now = at or timezone.now()
    fields = {"status", "updated_at", *extra_fields}
    events = []
    for complaint, to_status, text, data in moves:
        from_status = complaint.status
        workflow.check_complaint_move(from_status, to_status)
        complaint.status = to_status
        complaint.updated_at = now
        if to_status in workflow.DECISIONS and not complaint.decided_at:
            complaint.decided_at = now
            fields.add("decided_at")
        if _closing_stamp(complaint, to_status, now):
            fields.add("closed_at")
        events.append(
            Event(
                actor_role=actor_role,
                kind=Event.Kind.TRANSITION,
                complaint=complaint,
                from_status=from_status,
                to_status=to_status,
                message=text,
                data=data or {},
                public=public,
                created_at=now,
            )
        )
    if not moves:
        return []
    objects_update([move[0] for move in moves], sorted(fields))
    return objects_insert(events)


@transaction.atomic
def case_move(
    *,
    case: Case,
    to_status: str,
    actor=None,
    actor_role: str | None = None,
    reason: str = "",
    message: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    extra_fields: tuple[str, ...] = (),
    at=None,
) -> Event:
    """Move a case along the workflow table, keep its open flags in step, and log it; returns
    the event it wrote (the case object is updated in place)."""
    from_status = case.status
    workflow.check_case_move(from_status, to_status)
    case.status = to_status
    now = at or timezone.now()
    fields = {"status", "updated_at", *extra_fields}
    if to_status == Case.Status.CLOSED:
        case.closed_at = now
        fields.add("closed_at")
    if to_status == Case.Status.RECTIFIED:
        case.rectified_at = now
        fields.add("rectified_at")
    case.save(update_fields=sorted(fields))
    is_open = to_status != Case.Status.CLOSED
    # Reopening may collide with another open case for the same app and category: the
    # database constraint raises IntegrityError, which the caller turns into a domain error.
    CaseCategory.objects.filter(case=case).exclude(is_open=is_open).update(is_open=is_open)
    return event_record(
        actor=actor,
        actor_role=actor_role,
        case=case,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        message=message,
        data=data,
        at=now,
    )
