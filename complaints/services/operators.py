"""Operator answers to complaints, and the consumer's confirmation or dispute of them.

A complaint closes only when the consumer confirms the answer, or after CONSUMER_REPLY_DAYS
without a word from them; a dispute and a "not our app" both go back to the regulator.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import workflow
from ..calendar import add_working_days
from ..errors import DomainError, TransitionNotAllowed
from ..models import Complaint, OperatorResponse
from ..models.event_messages import message
from . import notifications
from .events import complaint_move
from .guards import require_complaint_operator, required

S = Complaint.Status
Code = OperatorResponse.ClosureCode


@transaction.atomic
def complaint_answer(
    *,
    complaint: Complaint,
    actor,
    text: str,
    closure_code: str,
    at: datetime.datetime | None = None,
) -> OperatorResponse:
    """The operator's reply, which the consumer sees; "not our app" returns it to the regulator."""
    require_complaint_operator(actor, complaint)
    text = required(text, "text", _("Write your answer to the consumer."))
    if closure_code not in Code.values:
        raise DomainError(_("Choose a closure code."), field="closure_code")
    if closure_code == Code.NOT_OUR_APP and not workflow.can_disown(complaint):
        raise TransitionNotAllowed(
            _(
                "Only a complaint still waiting for your answer can be sent back as not about your app."
            )
        )
    now = at or timezone.now()
    response = OperatorResponse.objects.create(
        kind=OperatorResponse.Kind.COMPLAINT_REPLY,
        complaint=complaint,
        company_id=complaint.app.operator_id,
        author=actor,
        text=text,
        closure_code=closure_code,
    )
    if at is not None:
        OperatorResponse.objects.filter(pk=response.pk).update(created_at=at)
        response.created_at = at
    data = {"response_id": response.pk, "closure_code": closure_code}
    if closure_code == Code.NOT_OUR_APP:
        # Back to the regulator, with a fresh decision clock.
        complaint.decision_due_date = add_working_days(
            timezone.localdate(now), settings.TRIAGE_SLA_WORKING_DAYS
        )
        notifications.complaint_move_and_notify(
            complaint=complaint,
            to_status=S.NEEDS_REVIEW,
            actor=actor,
            reason=text,
            data=data,
            extra_fields=("decision_due_date",),
            at=now,
        )
        notifications.alert_raise(
            alert=notifications.Alert.NOT_OUR_APP,
            complaint=complaint,
            message=message(
                "not_our_app",
                company=complaint.app.operator.name,
                number=complaint.tracking_number,
            ),
            at=now,
        )
        return response
    event = complaint_move(
        complaint=complaint, to_status=S.ANSWERED, actor=actor, reason=text, data=data, at=now
    )
    notifications.notification_enqueue(kind=notifications.Kind.OPERATOR_REPLY, event=event)
    return response


@transaction.atomic
def complaint_confirm(
    *,
    complaint: Complaint,
    actor=None,
    rating: int | None = None,
    at: datetime.datetime | None = None,
) -> Complaint:
    """The consumer accepts the operator's answer: the complaint closes."""
    if not workflow.can_confirm_answer(complaint):
        # The table lets a regulator close an accepted complaint; a consumer only confirms answers.
        raise TransitionNotAllowed(_("There is no answer to confirm."))
    fields: tuple[str, ...] = ()
    if rating is not None:
        if not 1 <= rating <= 5:
            raise DomainError(_("Rate from 1 to 5."), field="rating")
        complaint.rating = rating
        fields = ("rating",)
    notifications.complaint_move_and_notify(
        complaint=complaint,
        to_status=S.CLOSED,
        actor=actor,
        actor_role="consumer",
        message=message("consumer_accepted"),
        data={"confirmed": True},
        extra_fields=fields,
        at=at,
    )
    return complaint


@transaction.atomic
def complaint_dispute(
    *, complaint: Complaint, reason: str, actor=None, at: datetime.datetime | None = None
) -> Complaint:
    """The consumer rejects the operator's answer: back to the regulator's queue."""
    if not workflow.can_dispute(complaint):
        raise TransitionNotAllowed(_("There is no answer to dispute."))
    reason = required(reason, "reason", _("Say why the answer does not resolve your complaint."))
    now = at or timezone.now()
    complaint.decision_due_date = add_working_days(
        timezone.localdate(now), settings.TRIAGE_SLA_WORKING_DAYS
    )
    notifications.complaint_move_and_notify(
        complaint=complaint,
        to_status=S.DISPUTED,
        actor=actor,
        actor_role="consumer",
        reason=reason,
        extra_fields=("decision_due_date",),
        at=now,
    )
    notifications.alert_raise(
        alert=notifications.Alert.DISPUTE,
        complaint=complaint,
        message=message("dispute_alert", number=complaint.tracking_number),
        at=now,
    )
    return complaint


def complaints_awaiting_consumer(*, now: datetime.datetime):
    """Answered complaints whose latest reply is older than the consumer's reply period."""
    cutoff = now - datetime.timedelta(days=settings.CONSUMER_REPLY_DAYS)
    return (
        Complaint.objects.filter(status=S.ANSWERED)
        .annotate(
            answered_at=Max(
                "responses__created_at",
                filter=Q(responses__kind=OperatorResponse.Kind.COMPLAINT_REPLY),
            )
        )
        .filter(answered_at__lt=cutoff)
    )


def complaints_auto_close(*, now: datetime.datetime | None = None) -> list[Complaint]:
    """Close answered complaints the consumer left unanswered; each in its own transaction."""
    now = now or timezone.now()
    closed = []
    for complaint in complaints_awaiting_consumer(now=now):
        with transaction.atomic():
            locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
            if locked.status != S.ANSWERED:
                continue  # the consumer replied meanwhile
            notifications.complaint_move_and_notify(
                complaint=locked,
                to_status=S.CLOSED,
                actor_role="system",
                message=message("auto_closed", days=settings.CONSUMER_REPLY_DAYS),
                data={"auto_closed": True},
                at=now,
            )
        closed.append(locked)
    return closed
