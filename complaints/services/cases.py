"""Rectification cases (整改): opening, assignment, notices with deadlines, the operator's
report, verification, overdue marking, escalation, recurrence and closing.

The database keeps one open case per app and category (CaseCategory); a collision becomes a
Conflict with the existing case named.
"""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .. import roles, workflow
from ..calendar import (
    calendar_used,
    calendar_version,
    working_days_between,
    years_not_covered,
)
from ..errors import Conflict, DomainError
from ..models import (
    App,
    Case,
    CaseCategory,
    CaseNote,
    Category,
    Complaint,
    Event,
    Notice,
    OperatorResponse,
)
from ..models.event_messages import message
from . import notifications
from .deadlines import deadline_check, notice_default_deadline
from .events import case_move, event_record
from .evidence import case_evidence_attach
from .guards import require_case_operator, require_regulator, required

K = Case.Status


def _categories(categories: Iterable) -> list[Category]:
    items = list(categories)
    codes = [c for c in items if isinstance(c, str)]
    objects = [c for c in items if isinstance(c, Category)]
    if codes:
        found = {c.code: c for c in Category.objects.filter(code__in=codes)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise DomainError(
                _("Unknown category: %(codes)s.") % {"codes": ", ".join(unknown)},
                field="categories",
            )
        objects += [found[code] for code in codes]
    unique = list({c.pk: c for c in objects}.values())
    if not unique:
        raise DomainError(_("Choose at least one category."), field="categories")
    return unique


def _reference_new(year: int) -> str:
    prefix = f"RC-{year}-"
    last = (
        Case.objects.filter(reference__startswith=prefix)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:05d}"


def _open_conflict_message(app: App, categories: list[Category]) -> str:
    existing = (
        CaseCategory.objects.filter(app=app, category__in=categories, is_open=True)
        .select_related("case", "category")
        .first()
    )
    if existing is None:
        return _("%(app)s already has an open case for one of these categories.") % {
            "app": app.name
        }
    return _("%(app)s already has an open case for “%(category)s”: %(reference)s.") % {
        "app": app.name,
        "category": existing.category.name,
        "reference": existing.case.reference,
    }


def complaint_case_attach(*, complaint: Complaint, case: Case, actor, at) -> None:
    """Put a complaint on a case: accepted or disputed ones move to linked; ones already
    answered or closed keep their status and only gain the link."""
    if complaint.case_id == case.pk:
        return
    complaint.case = case
    if workflow.complaint_can_move(complaint.status, Complaint.Status.LINKED):
        notifications.complaint_move_and_notify(
            complaint=complaint,
            to_status=Complaint.Status.LINKED,
            actor=actor,
            data={"case": case.reference},
            extra_fields=("case",),
            at=at,
        )
    else:
        complaint.save(update_fields=["case", "updated_at"])
        event_record(
            actor=actor,
            kind=Event.Kind.NOTE,
            complaint=complaint,
            data={"case": case.reference},
            public=False,
            at=at,
        )


@transaction.atomic
def case_open(
    *,
    app: App,
    categories: list,
    actor,
    title: str = "",
    summary: str = "",
    origin: str = Case.Origin.MANUAL,
    trigger_rule=None,
    complaints: Iterable[Complaint] = (),
    language: str | None = None,
    at: datetime.datetime | None = None,
) -> Case:
    """Open a case against one app for one or more categories (Category objects or codes)."""
    require_regulator(actor)
    now = at or timezone.now()
    categories = _categories(categories)
    language = language or settings.LANGUAGE_CODE
    if not title:
        with translation.override(language):
            names = "、".join(c.name for c in categories)
            title = f"{app.name}: {names}"
    for _attempt in range(5):
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    reference=_reference_new(timezone.localdate(now).year),
                    app=app,
                    origin=origin,
                    trigger_rule=trigger_rule,
                    title=title[:200],
                    summary=summary,
                    language=language,
                    opened_at=now,
                )
            break
        except IntegrityError:
            continue  # someone took the same reference number; take the next one
    else:
        raise Conflict(_("Could not give the case a reference number; try again."))
    try:
        with transaction.atomic():
            CaseCategory.objects.bulk_create(
                [CaseCategory(case=case, category=c, app=app, is_open=True) for c in categories]
            )
    except IntegrityError:
        raise Conflict(_open_conflict_message(app, categories), field="categories") from None
    event_record(
        actor=actor,
        kind=Event.Kind.CREATED,
        case=case,
        to_status=K.OPEN,
        data={"categories": [c.code for c in categories], "origin": origin},
        at=now,
    )
    for complaint in complaints:
        if complaint.app_id != app.pk:
            raise DomainError(
                _("Complaint %(number)s is about a different app.")
                % {"number": complaint.tracking_number},
                field="complaints",
            )
        complaint_case_attach(complaint=complaint, case=case, actor=actor, at=now)
    return case


@transaction.atomic
def case_assign(*, case: Case, assignee, actor, at: datetime.datetime | None = None) -> Case:
    """Give the case to a regulator (or take it away with assignee=None)."""
    require_regulator(actor)
    if assignee is not None and not roles.is_regulator(assignee):
        raise DomainError(_("Cases can only be assigned to regulators."), field="assignee")
    before = case.assignee.get_username() if case.assignee_id else ""
    case.assignee = assignee
    case.save(update_fields=["assignee", "updated_at"])
    event_record(
        actor=actor,
        kind=Event.Kind.ASSIGNMENT,
        case=case,
        data={"from": before, "to": assignee.get_username() if assignee else ""},
        at=at,
    )
    return case


@transaction.atomic
def case_note_add(*, case: Case, actor, text: str, at: datetime.datetime | None = None) -> CaseNote:
    """An internal note, seen by regulators only."""
    require_regulator(actor)
    text = required(text, "text", _("Write the note."))
    note = CaseNote.objects.create(case=case, author=actor, text=text)
    if at is not None:
        CaseNote.objects.filter(pk=note.pk).update(created_at=at)
        note.created_at = at
    event_record(actor=actor, kind=Event.Kind.NOTE, case=case, reason=text, public=False, at=at)
    return note


def _legal_basis(categories: Iterable[Category], language: str) -> str:
    field = "legal_basis_en" if language.startswith("en") else "legal_basis_zh"
    lines = [getattr(c, field) for c in categories if getattr(c, field)]
    return "\n".join(dict.fromkeys(lines))


@transaction.atomic
def notice_issue(
    *,
    case: Case,
    actor,
    problems: str,
    deadline_date: datetime.date | None = None,
    legal_basis: str | None = None,
    at: datetime.datetime | None = None,
) -> Notice:
    """Issue a rectification notice with its legal basis and deadline; the operator is told."""
    require_regulator(actor)
    problems = required(problems, "problems", _("Describe the problems found."))
    now = at or timezone.now()
    issued_date = timezone.localdate(now)
    categories = list(case.categories.all())
    if deadline_date is None:
        deadline_date = notice_default_deadline(categories=categories, issued_date=issued_date)
    else:
        deadline_check(deadline_date, issued_date=issued_date)
    if legal_basis is None or not legal_basis.strip():
        legal_basis = _legal_basis(categories, case.language)
    number = f"{case.reference}-{case.notices.count() + 1}"
    with translation.override(case.language):
        text = render_to_string(
            f"complaints/cases/notice_text.{notifications.template_language(case.language)}.txt",
            {
                "case": case,
                "company": case.app.operator,
                "number": number,
                "problems": problems,
                "legal_basis": legal_basis,
                "issued_date": issued_date,
                "deadline_date": deadline_date,
                "working_days": working_days_between(issued_date, deadline_date),
                "categories": categories,
                "calendar_version": calendar_version(),
                "weekday_years": [str(y) for y in years_not_covered(issued_date, deadline_date)],
            },
        ).strip()
    notice = Notice.objects.create(
        case=case,
        number=number,
        issued_at=now,
        issued_by=actor,
        deadline_date=deadline_date,
        legal_basis=legal_basis,
        text=text,
    )
    case.deadline_date = deadline_date
    fields = ["deadline_date"]
    if not case.summary:
        case.summary = problems
        fields.append("summary")
    event = case_move(
        case=case,
        to_status=K.NOTICE_ISSUED,
        actor=actor,
        reason=problems,
        data={
            "notice_id": notice.pk,
            "notice": number,
            "deadline_date": deadline_date.isoformat(),
            "calendar": calendar_used(issued_date, deadline_date),
        },
        extra_fields=tuple(fields),
        at=now,
    )
    notifications.notification_enqueue(kind=notifications.Kind.NOTICE_ISSUED, event=event)
    return notice


@transaction.atomic
def rectification_report_submit(
    *, case: Case, actor, text: str, files=(), at: datetime.datetime | None = None
) -> OperatorResponse:
    """The operator reports what it fixed, with evidence; the case awaits verification."""
    require_case_operator(actor, case)
    text = required(text, "text", _("Describe what you changed."))
    response = OperatorResponse.objects.create(
        kind=OperatorResponse.Kind.RECTIFICATION_REPORT,
        case=case,
        notice=case.notices.order_by("-issued_at", "-id").first(),
        company_id=case.app.operator_id,
        author=actor,
        text=text,
    )
    if at is not None:
        OperatorResponse.objects.filter(pk=response.pk).update(created_at=at)
        response.created_at = at
    case_evidence_attach(files=files, uploaded_by=actor, response=response)
    case_move(
        case=case,
        to_status=K.RESPONSE_RECEIVED,
        actor=actor,
        reason=text,
        data={"response_id": response.pk},
        at=at,
    )
    return response


@transaction.atomic
def rectification_verify(
    *,
    case: Case,
    actor,
    rectified: bool,
    notes: str,
    new_deadline_date: datetime.date | None = None,
    escalate_measure: str = "",
    files=(),
    at: datetime.datetime | None = None,
) -> Case:
    """The regulator's verdict on the fix: rectified, or not, and then in the same step a new
    notice with a new deadline or an escalation: a case is never left "not rectified" with
    nothing due, which the public board would have no honest status for."""
    require_regulator(actor)
    notes = required(notes, "notes", _("Write the verification notes."))
    now = at or timezone.now()
    if rectified and (new_deadline_date or escalate_measure):
        raise DomainError(
            _("A rectified case takes neither a new deadline nor an escalation."), field="rectified"
        )
    if new_deadline_date and escalate_measure:
        raise DomainError(
            _("Give a new deadline or an escalation, not both."), field="escalate_measure"
        )
    if escalate_measure and escalate_measure not in Case.Escalation.values:
        raise DomainError(_("Choose an escalation measure."), field="escalate_measure")
    if not rectified and not (new_deadline_date or escalate_measure):
        raise DomainError(
            _("Not rectified: give a new deadline (a new notice) or an escalation."),
            field="new_deadline_date",
        )
    if new_deadline_date:
        deadline_check(
            new_deadline_date, issued_date=timezone.localdate(now), field="new_deadline_date"
        )
    case.verification_notes = notes
    case_move(
        case=case,
        to_status=K.RECTIFIED if rectified else K.NOT_RECTIFIED,
        actor=actor,
        reason=notes,
        extra_fields=("verification_notes",),
        at=now,
    )
    case_evidence_attach(files=files, uploaded_by=actor, case=case)
    if new_deadline_date:
        notice_issue(
            case=case, actor=actor, problems=notes, deadline_date=new_deadline_date, at=now
        )
    elif escalate_measure:
        case_escalate(case=case, actor=actor, measure=escalate_measure, reason=notes, at=now)
    return case


@transaction.atomic
def case_escalate(
    *, case: Case, actor, measure: str, reason: str, at: datetime.datetime | None = None
) -> Case:
    """Record the escalation measure (public notice, store removal recommended, referral)."""
    require_regulator(actor)
    if measure not in Case.Escalation.values:
        raise DomainError(_("Choose an escalation measure."), field="measure")
    reason = required(reason, "reason", _("Give a reason for the escalation."))
    case.escalation = measure
    case_move(
        case=case,
        to_status=K.ESCALATED,
        actor=actor,
        reason=reason,
        data={"measure": measure},
        extra_fields=("escalation",),
        at=at,
    )
    return case


@transaction.atomic
def case_close(*, case: Case, actor, reason: str, at: datetime.datetime | None = None) -> Case:
    """Close the case; complaints waiting on it (linked, unanswered) close with it."""
    require_regulator(actor)
    reason = required(reason, "reason", _("Give a reason for closing the case."))
    now = at or timezone.now()
    case_move(case=case, to_status=K.CLOSED, actor=actor, reason=reason, at=now)
    for complaint in case.complaints.filter(status=Complaint.Status.LINKED):
        notifications.complaint_move_and_notify(
            complaint=complaint,
            to_status=Complaint.Status.CLOSED,
            actor=actor,
            message=message("case_closed", reference=case.reference),
            at=now,
        )
    return case


@transaction.atomic
def cases_mark_overdue(*, today: datetime.date) -> list[Case]:
    """Cases under notice past their deadline become overdue; regulators are alerted."""
    marked = []
    cases = (
        Case.objects.select_for_update()
        .filter(status=K.NOTICE_ISSUED, deadline_date__lt=today)
        .select_related("app")
        .order_by("deadline_date", "pk")
    )
    for case in cases:
        case_move(
            case=case,
            to_status=K.OVERDUE,
            message=message("deadline_passed", date=case.deadline_date.isoformat()),
        )
        notifications.alert_raise(
            alert=notifications.Alert.OVERDUE,
            case=case,
            message=message(
                "overdue_alert",
                reference=case.reference,
                app=case.app.name,
                date=case.deadline_date.isoformat(),
            ),
            data={"deadline_date": case.deadline_date.isoformat()},
        )
        marked.append(case)
    return marked


@transaction.atomic
def notice_acknowledge(*, notice: Notice, actor, at: datetime.datetime | None = None) -> Notice:
    """The operator opened the notice: record when, once (a read receipt for the regulator)."""
    require_case_operator(actor, notice.case)
    if notice.acknowledged_at is not None:
        return notice
    now = at or timezone.now()
    updated = Notice.objects.filter(pk=notice.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now
    )
    notice.acknowledged_at = now
    if updated:
        event_record(
            actor=actor,
            kind=Event.Kind.MESSAGE,
            case=notice.case,
            message=message("notice_read", number=notice.number),
            data={"notice_id": notice.pk, "acknowledged": True},
            at=now,
        )
    return notice
