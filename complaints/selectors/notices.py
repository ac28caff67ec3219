"""The printable rectification notice: everything the formal A4 document shows, read from the
notice, its case and the event that issued it (issue 13, item 12)."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from ..calendar import calendar_version, working_days_between, years_not_covered
from ..models import Case, Category, Complaint, Event, Notice

EXAMPLES_PER_CATEGORY = 2
EXAMPLE_CHARS = 90


@dataclass
class NoticeProblem:
    """One category named in the notice: how many complaints of the case concern it, and a
    few of them as the operator may read them (personal data masked)."""

    category: Category
    complaint_count: int
    examples: list[tuple[str, str]]  # (tracking number, masked excerpt)


@dataclass
class NoticeDocument:
    notice: Notice
    case: Case
    language: str
    authority: str
    issued_date: datetime.date
    working_days: int
    statutory_calendar: bool
    calendar_version: str
    weekday_years: list[int]
    problems_text: str
    problems: list[NoticeProblem]
    respond_url: str


def _excerpt(complaint: Complaint) -> str:
    text = " ".join(complaint.masked_text.split())
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"


def notice_document(notice: Notice) -> NoticeDocument:
    """The notice as a formal document, in its case's language (a legal text is not translated
    for the reader: the regulator and the operator print the same words)."""
    case = notice.case
    issued_date = timezone.localdate(notice.issued_at)
    issued = (
        Event.objects.filter(
            case=case, to_status=Case.Status.NOTICE_ISSUED, data__notice_id=notice.pk
        )
        .only("reason")
        .first()
    )
    problems = []
    for category in case.categories.all():
        complaints = case.complaints.filter(categories=category)
        examples = [
            (c.tracking_number, _excerpt(c))
            for c in complaints.filter(erased_at__isnull=True).order_by("submitted_at", "id")[
                :EXAMPLES_PER_CATEGORY
            ]
        ]
        problems.append(NoticeProblem(category, complaints.count(), examples))
    language = "en" if case.language == "en" else "zh-hans"
    weekday_years = years_not_covered(issued_date, notice.deadline_date)
    return NoticeDocument(
        notice=notice,
        case=case,
        language=language,
        authority=settings.NOTICE_AUTHORITY_EN if language == "en" else settings.NOTICE_AUTHORITY,
        issued_date=issued_date,
        working_days=working_days_between(issued_date, notice.deadline_date),
        statutory_calendar=not weekday_years,
        calendar_version=calendar_version(),
        weekday_years=weekday_years,
        problems_text=issued.reason if issued else "",
        problems=problems,
        respond_url=settings.SITE_URL + reverse("operator:case", args=[case.pk]),
    )
