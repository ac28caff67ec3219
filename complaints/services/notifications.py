"""Email notifications: every one starts from an Event, is enqueued after commit, and is
rendered from complaints/templates/complaints/email/ in each recipient's language: the one a
signed-in person chose (Preference), else the complaint's or the case's, else the site's.

Who hears what: the consumer on status changes and operator replies; the operator on new
complaints, notices and approaching deadlines; regulators on alerts (triggers, recurrences,
disputes, overdue cases, "not our app").
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from .. import roles
from ..models import Event, Notice, OperatorResponse
from .enqueue import enqueue_on_commit
from .events import complaint_move, event_record
from .preferences import languages_by_email

logger = logging.getLogger(__name__)


class Kind:
    COMPLAINT_STATUS = "complaint_status"
    OPERATOR_REPLY = "operator_reply"
    COMPLAINT_FOR_OPERATOR = "complaint_for_operator"
    NOTICE_ISSUED = "notice_issued"
    DEADLINE_REMINDER = "deadline_reminder"
    REGULATOR_ALERT = "regulator_alert"


ALL_KINDS = frozenset(
    {
        Kind.COMPLAINT_STATUS,
        Kind.OPERATOR_REPLY,
        Kind.COMPLAINT_FOR_OPERATOR,
        Kind.NOTICE_ISSUED,
        Kind.DEADLINE_REMINDER,
        Kind.REGULATOR_ALERT,
    }
)
TEMPLATE_LANGUAGES = ("zh-hans", "en")


class MailNotSent(OSError):
    """A message the mail server did not take (an OSError, so the task retries it)."""


def notification_enqueue(*, kind: str, event: Event) -> None:
    """Send `kind` about `event` once the surrounding transaction commits."""
    if kind not in ALL_KINDS:
        raise ValueError(f"Unknown notification kind {kind!r}")
    enqueue_on_commit(
        "complaints.tasks.send_notification",
        kind,
        event.pk,
        what=f"{kind} notification for event {event.pk}",
    )


def complaint_move_and_notify(*, complaint, to_status: str, **kwargs) -> Event:
    """complaint_move, then tell the consumer about the new status; returns the event."""
    event = complaint_move(complaint=complaint, to_status=to_status, **kwargs)
    notification_enqueue(kind=Kind.COMPLAINT_STATUS, event=event)
    return event


def template_language(code: str | None) -> str:
    """The template set for a language code: English or simplified Chinese."""
    code = (code or settings.LANGUAGE_CODE).lower()
    return "en" if code.startswith("en") else "zh-hans"


def _consumer_recipients(complaint) -> tuple[list[str], list]:
    if complaint.is_erased:
        return [], []
    email = complaint.consumer_email
    return ([email] if email else []), ([complaint.submitter] if complaint.submitter_id else [])


def _operator_recipients(app) -> tuple[list[str], list]:
    company = app.operator if app else None
    if company is None:
        return [], []
    members = list(
        get_user_model()
        .objects.filter(memberships__company=company, is_active=True)
        .exclude(email="")
    )
    emails = {company.contact_email} if company.contact_email else set()
    emails |= {member.email for member in members}
    return sorted(emails), members


def _regulator_recipients() -> tuple[list[str], list]:
    regulators = list(
        get_user_model()
        .objects.filter(groups__name=roles.REGULATOR, is_active=True)
        .exclude(email="")
    )
    return sorted({user.email for user in regulators}), regulators


def _recipients(kind: str, event: Event) -> list[tuple[str, str]]:
    """(address, template language) for everyone who hears of `event`: the language a person
    chose for themselves, else the complaint's or case's, else the site's."""
    complaint, case = event.complaint, event.case
    if kind in (Kind.COMPLAINT_STATUS, Kind.OPERATOR_REPLY):
        (addresses, users), fallback = _consumer_recipients(complaint), complaint.language
    elif kind == Kind.COMPLAINT_FOR_OPERATOR:
        (addresses, users), fallback = _operator_recipients(complaint.app), None
    elif kind in (Kind.NOTICE_ISSUED, Kind.DEADLINE_REMINDER):
        (addresses, users), fallback = _operator_recipients(case.app), case.language
    else:
        (addresses, users), fallback = _regulator_recipients(), None
    chosen = languages_by_email(users)
    return [
        (address, template_language(chosen.get(address.lower(), fallback))) for address in addresses
    ]


def notification_render(*, kind: str, event: Event, language: str) -> tuple[str, str]:
    """Subject and body: the template's first line is the subject, the rest the body."""
    context = {
        "event": event,
        "complaint": event.complaint,
        "case": event.case,
        "data": event.data,
        "site_url": settings.SITE_URL,
    }
    if event.data.get("notice_id"):
        context["notice"] = Notice.objects.filter(pk=event.data["notice_id"]).first()
    if event.data.get("response_id"):
        context["response"] = OperatorResponse.objects.filter(pk=event.data["response_id"]).first()
    return email_render(kind, language, context)


def email_render(name: str, language: str, context: dict) -> tuple[str, str]:
    """Subject and body of complaints/email/<name>.<language>.txt: its first line is the
    subject, the rest the body."""
    with translation.override(language):
        text = render_to_string(f"complaints/email/{name}.{language}.txt", context)
    subject, _, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def notification_send(*, kind: str, event_id: int) -> int:
    """Send one notification; returns how many recipients it went to (0 if none apply)."""
    event = (
        Event.objects.select_related(
            "complaint__app__operator", "complaint__submitter", "case__app__operator"
        )
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return 0
    recipients = _recipients(kind, event)
    rendered: dict[str, tuple[str, str]] = {}
    # One message per recipient: operators and consumers must not see each other's addresses.
    for address, language in recipients:
        if language not in rendered:
            rendered[language] = notification_render(kind=kind, event=event, language=language)
        subject, body = rendered[language]
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
        except OSError as error:
            # Retried by the task; what reaches the logs names neither the address nor the
            # server's answer (which quotes it).
            raise MailNotSent(f"{kind} for event {event_id}: {type(error).__name__}") from None
    return len(recipients)


class Alert:
    TRIGGER = "trigger"
    RECURRENCE = "recurrence"
    OVERDUE = "overdue"
    DISPUTE = "dispute"
    NOT_OUR_APP = "not_our_app"


def alert_raise(
    *,
    alert: str,
    case=None,
    complaint=None,
    reason: str = "",
    message: dict | None = None,
    data: dict | None = None,
    at=None,
) -> Event:
    """Record an internal alert on the case or complaint and email the regulators about it."""
    event = event_record(
        actor=None,
        actor_role="system",
        kind=Event.Kind.ALERT,
        case=case,
        complaint=complaint,
        reason=reason,
        message=message,
        data={"alert": alert, **(data or {})},
        public=False,
        at=at,
    )
    notification_enqueue(kind=Kind.REGULATOR_ALERT, event=event)
    return event
