"""Notice deadlines: the default one, the checks a chosen one must pass, which holiday
calendar counted its working days (the regulator is warned, the notice says so), and the
reminders before a deadline.
"""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from ..calendar import add_working_days, is_working_day, next_working_day, years_not_covered
from ..errors import DomainError
from ..models import Case, Category, Event, Notice
from ..models.event_messages import message
from . import notifications
from .events import event_record


def notice_default_deadline(
    *, categories: Iterable[Category], issued_date: datetime.date
) -> datetime.date:
    """The shortest of the categories' default deadlines, in working days: the most urgent
    problem named in a notice sets its pace (the regulator may give more time)."""
    days = min((c.default_deadline_working_days for c in categories), default=15)
    return add_working_days(issued_date, days)


def deadline_check(
    deadline_date: datetime.date, *, issued_date: datetime.date, field: str = "deadline_date"
) -> None:
    """A deadline the regulator chose: after the notice, and on a working day. A weekend or
    holiday is refused with the next working day offered, the day a period ending on a
    holiday runs to under Chinese law, so the operator never loses time to it."""
    if deadline_date <= issued_date:
        raise DomainError(_("The deadline must be after the date of the notice."), field=field)
    if not is_working_day(deadline_date):
        raise DomainError(
            _(
                "%(date)s is not a working day (a weekend or a public holiday). The nearest "
                "working day after it is %(offered)s: choose that date or another working day."
            )
            % {
                "date": deadline_date.isoformat(),
                "offered": next_working_day(deadline_date).isoformat(),
            },
            field=field,
        )


def calendar_warning(*, issued_date: datetime.date, deadline_date: datetime.date) -> str:
    """What the regulator should know when the deadline reaches a year the holiday calendar
    does not cover (its working days were counted Monday to Friday); empty otherwise."""
    years = years_not_covered(issued_date, deadline_date)
    if not years:
        return ""
    return _(
        "The holiday calendar does not cover %(years)s yet: working days there were counted "
        "Monday to Friday, holidays not known. Check the deadline once the State Council "
        "publishes that year's holidays."
    ) % {"years": ", ".join(str(year) for year in years)}


@transaction.atomic
def notices_remind(*, today: datetime.date) -> list[Notice]:
    """Remind operators whose notice deadline is a few working days away, once per notice."""
    reminded = []
    horizon = add_working_days(today, settings.DEADLINE_REMINDER_WORKING_DAYS)
    cases = Case.objects.filter(
        status=Case.Status.NOTICE_ISSUED, deadline_date__gte=today, deadline_date__lte=horizon
    ).select_related("app")
    for case in cases:
        notice = case.notices.order_by("-issued_at", "-id").first()
        if notice is None:
            continue
        already = Event.objects.filter(
            case=case, kind=Event.Kind.MESSAGE, data__reminder_notice_id=notice.pk
        ).exists()
        if already:
            continue
        event = event_record(
            kind=Event.Kind.MESSAGE,
            case=case,
            message=message(
                "deadline_reminder",
                number=notice.number,
                date=notice.deadline_date.isoformat(),
            ),
            data={"reminder_notice_id": notice.pk, "notice_id": notice.pk},
            public=False,
        )
        notifications.notification_enqueue(kind=notifications.Kind.DEADLINE_REMINDER, event=event)
        reminded.append(notice)
    return reminded
