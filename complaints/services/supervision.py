"""Supervision after an acceptance: recurrence of a recently closed or rectified case, joining
the open case for the app and category, and trigger rules that open cases by themselves.

Above both triage (which runs it on every acceptance) and cases (whose services it calls).
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from .. import workflow
from ..errors import DomainError
from ..models import Case, CaseCategory, Category, Complaint, Event, TriggerRule
from ..models.event_messages import message
from . import notifications
from .cases import case_open, complaint_case_attach
from .events import case_move, event_record

K = Case.Status
# pg_advisory_xact_lock(SUPERVISION_LOCK, app id): the first of its two 32-bit keys.
SUPERVISION_LOCK = 0x53555056  # "SUPV"


def _supervision_lock(app_id: int | None) -> None:
    """Serialise supervision of one app until the commit (PostgreSQL; SQLite serialises writers
    already): two acceptances that each cross a trigger rule's threshold must see each other,
    or each opens the case alone and one complaint is left out of it."""
    if app_id is not None and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [SUPERVISION_LOCK, app_id])


def case_inspection_request(*, case: Case, at: datetime.datetime) -> Case:
    """A trigger rule asks for the app's package: the case shows the request, the operator is
    asked to upload it, and regulators see it pending until an inspection arrives."""
    case.inspection_requested_at = at
    case.save(update_fields=["inspection_requested_at", "updated_at"])
    event_record(
        actor_role="system",
        kind=Event.Kind.NOTE,
        case=case,
        message=message("inspection_requested", app=case.app.name),
        data={"inspection_requested": True},
        at=at,
    )
    return case


def case_reopen_for_recurrence(
    *, case: Case, complaint: Complaint, at: datetime.datetime
) -> Case | None:
    """A new accepted complaint after the case was rectified or closed: reopen it, count the
    recurrence on the app's record and alert. None when another open case now covers one of
    its categories (the caller links to that one instead)."""
    try:
        with transaction.atomic():
            case.recurrence_count += 1
            case_move(
                case=case,
                to_status=K.OPEN,
                message=message("recurrence", number=complaint.tracking_number),
                data={"complaint": complaint.tracking_number, "recurrence": case.recurrence_count},
                extra_fields=("recurrence_count",),
                at=at,
            )
    except IntegrityError:
        case.refresh_from_db()
        return None
    notifications.alert_raise(
        alert=notifications.Alert.RECURRENCE,
        case=case,
        message=message(
            "recurrence_alert",
            app=case.app.name,
            number=complaint.tracking_number,
            reference=case.reference,
        ),
        data={"complaint": complaint.tracking_number},
        at=at,
    )
    return case


def supervision_run(
    *, complaint: Complaint, categories: list[Category], actor, at: datetime.datetime
) -> None:
    """After an acceptance: for each category, join the open case, reopen a recently closed
    or rectified one (a recurrence), or let the trigger rules open a new one, which holds
    every complaint its rule counted."""
    window_start = at - datetime.timedelta(days=settings.RECURRENCE_WINDOW_DAYS)
    _supervision_lock(complaint.app_id)
    for category in categories:
        open_link = (
            CaseCategory.objects.filter(app_id=complaint.app_id, category=category, is_open=True)
            .select_related("case")
            .first()
        )
        if open_link is not None:
            case = open_link.case
            if (
                case.status == Case.Status.RECTIFIED
                and case.rectified_at
                and case.rectified_at >= window_start
            ):
                case_reopen_for_recurrence(case=case, complaint=complaint, at=at)
            if complaint.case_id is None:
                complaint_case_attach(complaint=complaint, case=case, actor=actor, at=at)
            continue
        closed_link = (
            CaseCategory.objects.filter(
                app_id=complaint.app_id,
                category=category,
                is_open=False,
                case__status=Case.Status.CLOSED,
                case__closed_at__gte=window_start,
            )
            .select_related("case")
            .order_by("-case__closed_at")
            .first()
        )
        if closed_link is not None:
            case = case_reopen_for_recurrence(case=closed_link.case, complaint=complaint, at=at)
            if case is not None:
                if complaint.case_id is None:
                    complaint_case_attach(complaint=complaint, case=case, actor=actor, at=at)
                continue
        for rule in TriggerRule.objects.filter(category=category, is_active=True).order_by(
            "threshold"
        ):
            since = at - datetime.timedelta(days=rule.window_days)
            # The rule counts the complaints the new case will hold, and only those: a
            # complaint belongs to one case, so one already on another case (a multi-label
            # complaint that joined the open case for its other category) is dealt with
            # there and counts for nothing here. A case that says "6 accepted complaints"
            # then holds those 6, never fewer.
            joining = list(
                Complaint.objects.filter(
                    app_id=complaint.app_id,
                    categories=category,
                    status__in=workflow.CONFIRMED,
                    decided_at__gte=since,
                    decided_at__lte=at,
                    case__isnull=True,
                ).order_by("submitted_at", "pk")
            )
            count = len(joining)
            if count < rule.threshold:
                continue
            # Why it opened: the case's first summary and the regulators' alert say the same.
            why = _(
                "%(count)s accepted complaints about %(app)s in “%(category)s” within %(days)s days."
            ) % {
                "count": count,
                "app": complaint.app.name,
                "category": category.name,
                "days": rule.window_days,
            }
            try:
                case = case_open(
                    app=complaint.app,
                    categories=[category],
                    actor=None,
                    summary=why,
                    origin=Case.Origin.TRIGGER,
                    trigger_rule=rule,
                    complaints=joining,
                    at=at,
                )
            except DomainError:
                # Another acceptance opened it a moment ago (the database kept it to one):
                # join that case instead.
                existing = (
                    CaseCategory.objects.filter(
                        app_id=complaint.app_id, category=category, is_open=True
                    )
                    .select_related("case")
                    .first()
                )
                if existing is not None and complaint.case_id is None:
                    complaint_case_attach(
                        complaint=complaint, case=existing.case, actor=actor, at=at
                    )
                break
            notifications.alert_raise(
                alert=notifications.Alert.TRIGGER,
                case=case,
                message=message(
                    "trigger_alert",
                    count=count,
                    app=complaint.app.name,
                    category=category.code,
                    days=rule.window_days,
                ),
                data={"rule_id": rule.pk, "count": count, "category": category.code},
                at=at,
            )
            if rule.asks_for_inspection():
                case_inspection_request(case=case, at=at)
            break
