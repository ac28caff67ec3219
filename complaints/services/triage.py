"""Regulator decisions on single complaints: accept (with labels), reject, mark duplicate, ask
for more information, link to a case, close; plus priority scoring and the SLA clock.

Accepting runs supervision: recurrence of a recently closed case, linking to the open case
for the app and category, and trigger rules that open cases by themselves.
"""

import datetime
import functools
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import workflow
from ..calendar import add_working_days, is_working_day, working_days_between
from ..errors import DomainError, PermissionDenied
from ..label_support import labels_unbacked
from ..models import Case, Category, Complaint, Event, SavedFilter
from ..models.event_messages import message
from . import notifications
from .cases import complaint_case_attach
from .events import complaint_move, event_record
from .guards import require_regulator, required
from .supervision import supervision_run

S = Complaint.Status

# --- helpers ------------------------------------------------------------------------------


def categories_from_codes(codes: Iterable[str]) -> list[Category]:
    codes = list(dict.fromkeys(code.strip() for code in codes if code and code.strip()))
    found = {c.code: c for c in Category.objects.filter(code__in=codes, is_active=True)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise DomainError(
            _("Unknown category: %(codes)s.") % {"codes": ", ".join(unknown)}, field="categories"
        )
    if not codes:
        raise DomainError(_("Choose at least one category."), field="categories")
    return [found[code] for code in codes]


# --- decisions ----------------------------------------------------------------------------


@transaction.atomic
def complaint_accept(
    *,
    complaint: Complaint,
    actor,
    category_codes: list[str] | None = None,
    note: str = "",
    relabel_reason: str = "",
    app=None,
    at: datetime.datetime | None = None,
) -> Complaint:
    """Accept a complaint, confirming or correcting its labels (which become training data),
    then run recurrence and trigger rules for its app and categories. A new label the text
    does not back (label_support) needs `relabel_reason`, recorded with the relabel."""
    require_regulator(actor)
    now = at or timezone.now()
    if app is not None:
        complaint.app = app
    if complaint.app_id is None:
        raise DomainError(
            _("Say which app this complaint is about before accepting it."), field="app"
        )
    fields = ["app"]
    if category_codes is not None:
        categories = categories_from_codes(category_codes)
        before = sorted(complaint.categories.values_list("code", flat=True))
        after = sorted(c.code for c in categories)
        unbacked = labels_unbacked(complaint, after)
        relabel_reason = relabel_reason.strip()
        if unbacked and not relabel_reason:
            names = "”, “".join(c.name for c in categories if c.code in unbacked)
            raise DomainError(
                _(
                    "The complaint's text does not back “%(labels)s”: none of its keywords "
                    "occurs and the classifier gave it little weight. To label it so anyway, "
                    "say why under “Why these categories”."
                )
                % {"labels": names},
                field="relabel_reason",
            )
        complaint.categories.set(categories)
        complaint.label_source = Complaint.LabelSource.REGULATOR
        fields.append("label_source")
        if before != after:
            event_record(
                actor=actor,
                kind=Event.Kind.LABELS,
                complaint=complaint,
                reason=relabel_reason if unbacked else "",
                message=message("relabel_unbacked", labels=unbacked) if unbacked else None,
                data={"from": before, "to": after, **({"unbacked": unbacked} if unbacked else {})},
                public=False,
                at=now,
            )
    else:
        categories = list(complaint.categories.all())
        if not categories:
            raise DomainError(_("Choose at least one category."), field="categories")
    # The operator's clock starts at acceptance, and again when a dispute sends it back.
    if complaint.app.operator_id and (
        complaint.operator_due_date is None or complaint.status == S.DISPUTED
    ):
        complaint.operator_due_date = timezone.localdate(now) + datetime.timedelta(
            days=settings.OPERATOR_RESPONSE_DAYS
        )
        fields.append("operator_due_date")
    event = notifications.complaint_move_and_notify(
        complaint=complaint,
        to_status=S.ACCEPTED,
        actor=actor,
        reason=note,
        data={"categories": sorted(c.code for c in categories)},
        extra_fields=tuple(fields),
        at=now,
    )
    if complaint.app.operator_id:
        notifications.notification_enqueue(
            kind=notifications.Kind.COMPLAINT_FOR_OPERATOR, event=event
        )
    supervision_run(complaint=complaint, categories=categories, actor=actor, at=now)
    return complaint


@transaction.atomic
def complaint_reject(
    *, complaint: Complaint, actor, reason: str, note: str = "", at: datetime.datetime | None = None
) -> Complaint:
    """Reject with one of Complaint.RejectReason; the consumer sees the reason."""
    require_regulator(actor)
    if reason not in Complaint.RejectReason.values:
        raise DomainError(_("Choose a reason for the rejection."), field="reason")
    complaint.reject_reason = reason
    notifications.complaint_move_and_notify(
        complaint=complaint,
        to_status=S.REJECTED,
        actor=actor,
        reason=note,
        message=None if note else message("rejected", reject_reason=reason),
        data={"reject_reason": reason},
        extra_fields=("reject_reason",),
        at=at,
    )
    return complaint


@transaction.atomic
def complaint_mark_duplicate(
    *,
    complaint: Complaint,
    original: Complaint,
    actor,
    note: str = "",
    at: datetime.datetime | None = None,
) -> Complaint:
    """Merge into an earlier complaint; chains are followed so every duplicate points at the root.

    A duplicate counts once, as its original, on the original's app's record (never as an
    accepted complaint of its own). Merged across apps, it therefore leaves its own app's
    record: that happens only with the regulator's reason (the consumer named the wrong
    app, say), which the event keeps beside both apps."""
    require_regulator(actor)
    seen = {complaint.pk}
    while original.duplicate_of_id is not None and original.pk not in seen:
        seen.add(original.pk)
        original = original.duplicate_of
    if original.pk in seen:
        raise DomainError(_("A complaint cannot be a duplicate of itself."), field="original")
    data = {"original": original.tracking_number}
    if complaint.app_id and original.app_id and complaint.app_id != original.app_id:
        note = required(
            note,
            "note",
            _(
                "%(number)s is about %(other)s and this complaint about %(app)s. To merge "
                "complaints about different apps, give the reason: this one will then count "
                "on %(other)s's record only."
            )
            % {
                "number": original.tracking_number,
                "other": original.app.name,
                "app": complaint.app.name,
            },
        )
        data |= {"app": complaint.app.name, "original_app": original.app.name}
    complaint.duplicate_of = original
    notifications.complaint_move_and_notify(
        complaint=complaint,
        to_status=S.DUPLICATE,
        actor=actor,
        reason=note,
        data=data,
        extra_fields=("duplicate_of",),
        at=at,
    )
    return complaint


@transaction.atomic
def complaint_request_info(
    *, complaint: Complaint, actor, question: str, at: datetime.datetime | None = None
) -> Complaint:
    """Ask the consumer a question; the decision clock stops until they answer."""
    require_regulator(actor)
    question = required(question, "question", _("Write the question for the consumer."))
    notifications.complaint_move_and_notify(
        complaint=complaint, to_status=S.INFO_REQUESTED, actor=actor, reason=question, at=at
    )
    return complaint


def _paused_working_days(complaint: Complaint, until: datetime.date) -> int:
    asked = (
        Event.objects.filter(complaint=complaint, to_status=S.INFO_REQUESTED)
        .order_by("-created_at", "-id")
        .values_list("created_at", flat=True)
        .first()
    )
    if asked is None:
        return 0
    return max(0, working_days_between(timezone.localdate(asked), until))


@transaction.atomic
def complaint_info_provide(
    *, complaint: Complaint, text: str, actor=None, at: datetime.datetime | None = None
) -> Complaint:
    """The consumer's answer to a request for information: back to review, and the decision
    deadline moves on by the working days spent waiting."""
    text = required(text, "text", _("Write your answer."))
    now = at or timezone.now()
    fields: tuple[str, ...] = ()
    paused = _paused_working_days(complaint, timezone.localdate(now))
    if complaint.decision_due_date and paused:
        complaint.decision_due_date = add_working_days(complaint.decision_due_date, paused)
        fields = ("decision_due_date",)
    complaint_move(
        complaint=complaint,
        to_status=S.NEEDS_REVIEW,
        actor=actor,
        actor_role="consumer",
        reason=text,
        data={"paused_working_days": paused},
        extra_fields=fields,
        at=now,
    )
    return complaint


@functools.lru_cache(maxsize=4096)
def _is_working_day(day: datetime.date) -> bool:
    return is_working_day(day)


@functools.lru_cache(maxsize=4096)
def _working_days_between(start: datetime.date, end: datetime.date) -> int:
    """calendar.working_days_between, memoised: a queue page asks for the same spans of days
    fifty times over, and a long-breached complaint spans hundreds of days."""
    if end < start:
        return -_working_days_between(end, start)
    return sum(
        1
        for n in range(1, (end - start).days + 1)
        if _is_working_day(start + datetime.timedelta(days=n))
    )


def sla_state(complaint: Complaint, today: datetime.date) -> dict:
    """The 7-working-day decision clock as the queue shows it."""
    due = complaint.decision_due_date
    paused = complaint.status == S.INFO_REQUESTED
    if due is None or complaint.status not in workflow.TRIAGE_QUEUE:
        return {"due_date": due, "remaining": None, "paused": False, "breached": False}
    remaining = _working_days_between(today, due)
    return {
        "due_date": due,
        "remaining": remaining,
        "paused": paused,
        "breached": not paused and today > due,
    }


@transaction.atomic
def complaint_link_case(
    *, complaint: Complaint, case: Case, actor, at: datetime.datetime | None = None
) -> Complaint:
    """Add an accepted complaint to a rectification case about the same app."""
    require_regulator(actor)
    if not case.is_open:
        raise DomainError(
            _("Case %(reference)s is closed.") % {"reference": case.reference}, field="case"
        )
    if complaint.app_id != case.app_id:
        raise DomainError(_("This complaint is about a different app from the case."), field="case")
    if not workflow.can_link_case(complaint):
        raise DomainError(_("Accept the complaint before linking it to a case."), field="case")
    complaint_case_attach(complaint=complaint, case=case, actor=actor, at=at or timezone.now())
    return complaint


@transaction.atomic
def complaint_close(
    *, complaint: Complaint, actor, reason: str, at: datetime.datetime | None = None
) -> Complaint:
    """A regulator ends a complaint's loop (typically a dispute that needs nothing more)."""
    require_regulator(actor)
    reason = required(reason, "reason", _("Give a reason for closing the complaint."))
    notifications.complaint_move_and_notify(
        complaint=complaint, to_status=S.CLOSED, actor=actor, reason=reason, at=at
    )
    return complaint


# --- bulk ---------------------------------------------------------------------------------

BULK_ACTIONS = ("accept", "reject", "request_info", "link_case")


def complaints_bulk(
    *, action: str, complaints: Iterable[Complaint], actor, **params
) -> tuple[list, list]:
    """Apply one decision to many complaints, each in its own transaction; returns
    (done, failed) where failed holds (complaint, message) pairs."""
    functions = {
        "accept": complaint_accept,
        "reject": complaint_reject,
        "request_info": complaint_request_info,
        "link_case": complaint_link_case,
    }
    if action not in functions:
        raise DomainError(_("Unknown action."), field="action")
    require_regulator(actor)
    done, failed = [], []
    for complaint in complaints:
        try:
            functions[action](complaint=complaint, actor=actor, **params)
        except DomainError as error:
            complaint.refresh_from_db()
            failed.append((complaint, error.message))
        else:
            done.append(complaint)
    return done, failed


# --- saved filters ------------------------------------------------------------------------


def saved_filter_save(*, user, name: str, query: str, scope: str = "triage"):
    """Keep (or update) a named filter for this regulator's queue or case list."""
    require_regulator(user)
    name = required(name, "name", _("Name the filter."))[:80]
    if scope not in SavedFilter.Scope.values:
        raise DomainError(_("Unknown list."), field="scope")
    saved, _created = SavedFilter.objects.update_or_create(
        user=user, scope=scope, name=name, defaults={"query": query.lstrip("?")[:500]}
    )
    return saved


def saved_filter_delete(*, user, saved_filter) -> None:
    if saved_filter.user_id != user.pk:
        raise PermissionDenied(_("This filter belongs to someone else."))
    saved_filter.delete()
