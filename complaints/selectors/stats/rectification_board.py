"""The public rectification board: cases after a rectification notice with their public
status, most urgent first, and counts per status.
"""

import datetime
from dataclasses import dataclass

from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from ...models import Case, CaseCategory, Category, Company, Notice
from .shared import PUBLIC, Shared, shared_figures
from .tables import Column, Table

K = Case.Status


# --- public statistics -----------------------------------------------------------------------
# What the public reads is derived from the case's current status (and, for a notice still
# running, today's date), never from a label set when something happened: a page shows the
# same status as the case the regulator sees.

PUBLIC_STATUS_UNDER_RECTIFICATION = "under_rectification"
PUBLIC_STATUS_AWAITING_VERIFICATION = "awaiting_verification"
PUBLIC_STATUS_NOT_RECTIFIED = "not_rectified"
PUBLIC_STATUS_RECTIFIED = "rectified"
PUBLIC_STATUS_OVERDUE = "overdue"
PUBLIC_STATUS_ESCALATED = "escalated"
PUBLIC_STATUS_REOPENED = "reopened"
PUBLIC_STATUS_CLOSED = "closed"
PUBLIC_STATUSES = (
    PUBLIC_STATUS_UNDER_RECTIFICATION,
    PUBLIC_STATUS_AWAITING_VERIFICATION,
    PUBLIC_STATUS_NOT_RECTIFIED,
    PUBLIC_STATUS_RECTIFIED,
    PUBLIC_STATUS_OVERDUE,
    PUBLIC_STATUS_ESCALATED,
    PUBLIC_STATUS_REOPENED,
    PUBLIC_STATUS_CLOSED,
)


def public_status_labels() -> dict[str, str]:
    return {
        PUBLIC_STATUS_UNDER_RECTIFICATION: _("under rectification"),
        PUBLIC_STATUS_AWAITING_VERIFICATION: _("report received, awaiting verification"),
        PUBLIC_STATUS_NOT_RECTIFIED: _("not rectified"),
        PUBLIC_STATUS_RECTIFIED: _("rectified"),
        PUBLIC_STATUS_OVERDUE: _("overdue"),
        PUBLIC_STATUS_ESCALATED: _("escalated"),
        PUBLIC_STATUS_REOPENED: _("reopened after new complaints"),
        PUBLIC_STATUS_CLOSED: _("closed without rectification"),
    }


def _public_status_expression(today: datetime.date):
    return models.Case(
        # Past its deadline with no report: overdue, whether or not tonight's sweep has
        # marked it yet.
        When(
            status=K.NOTICE_ISSUED,
            deadline_date__lt=today,
            then=Value(PUBLIC_STATUS_OVERDUE),
        ),
        When(status=K.NOTICE_ISSUED, then=Value(PUBLIC_STATUS_UNDER_RECTIFICATION)),
        When(status=K.RESPONSE_RECEIVED, then=Value(PUBLIC_STATUS_AWAITING_VERIFICATION)),
        When(status=K.NOT_RECTIFIED, then=Value(PUBLIC_STATUS_NOT_RECTIFIED)),
        When(status=K.OVERDUE, then=Value(PUBLIC_STATUS_OVERDUE)),
        When(status=K.ESCALATED, then=Value(PUBLIC_STATUS_ESCALATED)),
        When(status=K.RECTIFIED, then=Value(PUBLIC_STATUS_RECTIFIED)),
        # Open again although a notice went out: a recurrence reopened it.
        When(status=K.OPEN, then=Value(PUBLIC_STATUS_REOPENED)),
        # Closed: rectified if the fix was verified after the latest notice, not before it.
        When(
            status=K.CLOSED,
            rectified_at__gte=F("last_notice_at"),
            then=Value(PUBLIC_STATUS_RECTIFIED),
        ),
        default=Value(PUBLIC_STATUS_CLOSED),
    )


def public_cases(today: datetime.date | None = None) -> QuerySet:
    """Cases the public may see: every case that got a rectification notice, with its public
    status (as of `today`, by default today) and first notice date. Cases still being
    prepared (no notice yet) stay internal."""
    today = today or timezone.localdate()
    notices = Notice.objects.filter(case=OuterRef("pk"))
    return (
        Case.objects.filter(Exists(notices))
        .annotate(
            first_notice_at=Subquery(notices.order_by("issued_at").values("issued_at")[:1]),
            last_notice_at=Subquery(notices.order_by("-issued_at").values("issued_at")[:1]),
        )
        .annotate(public_status=_public_status_expression(today))
        .select_related("app", "app__operator")
        .prefetch_related("categories")
    )


def board(
    *,
    query: str = "",
    status: str = "",
    category: Category | None = None,
    operator: Company | None = None,
) -> QuerySet:
    """The public rectification board, most urgent first: overdue and escalated, then the
    nearest deadlines, then the rest newest first."""
    cases = public_cases()
    if query:
        cases = cases.filter(
            Q(app__name__icontains=query)
            | Q(app__operator__name__icontains=query)
            | Q(app__operator__name_en__icontains=query)
            | Q(reference__icontains=query)
            | Q(app__package_name__icontains=query)
        )
    if status:
        cases = cases.filter(public_status=status)
    if category is not None:
        cases = cases.filter(
            Exists(CaseCategory.objects.filter(case=OuterRef("pk"), category=category))
        )
    if operator is not None:
        cases = cases.filter(app__operator=operator)
    urgency = models.Case(
        When(
            public_status__in=(
                PUBLIC_STATUS_OVERDUE,
                PUBLIC_STATUS_ESCALATED,
                PUBLIC_STATUS_NOT_RECTIFIED,
            ),
            then=Value(0),
        ),
        When(
            public_status__in=(
                PUBLIC_STATUS_UNDER_RECTIFICATION,
                PUBLIC_STATUS_AWAITING_VERIFICATION,
                PUBLIC_STATUS_REOPENED,
            ),
            then=Value(1),
        ),
        default=Value(2),
    )
    return cases.annotate(urgency=urgency).order_by("urgency", "deadline_date", "-opened_at", "pk")


def board_counts() -> dict[str, int]:
    counts = dict(public_cases().order_by().values_list("public_status").annotate(n=Count("pk")))
    return {status: counts.get(status, 0) for status in public_status_labels()}


def table_cases_by_public_status(cases: QuerySet, key: str = "cases_by_status") -> Table:
    counts = dict(cases.order_by().values_list("public_status").annotate(n=Count("pk")))
    labels = public_status_labels()
    return Table(
        key=key,
        title=_("Cases after a rectification notice"),
        chart="pie",
        columns=[
            Column("status", _("Status code"), "key"),
            Column("label", _("Status"), "text"),
            Column("cases", _("Cases")),
        ],
        rows=[[status, label, counts.get(status, 0)] for status, label in labels.items()],
    )


@dataclass
class BoardPage:
    """One page of the board with the total it is a page of."""

    count: int
    cases: list[Case]


def _board_scope(status: str, category: Category | None, operator: Company | None) -> tuple:
    return (status, category.code if category else "", operator.pk if operator else 0)


def board_page_shared(
    *,
    status: str = "",
    category: Category | None = None,
    operator: Company | None = None,
    start: int,
    size: int,
) -> Shared[BoardPage]:
    """Cases `start` to `start + size` of the board as every reader sees it (no text search:
    those vary too much to share and are counted live by `board`)."""

    def compute() -> BoardPage:
        cases = board(status=status, category=category, operator=operator)
        return BoardPage(count=cases.count(), cases=list(cases[start : start + size]))

    scope = (*_board_scope(status, category, operator), start, size)
    return shared_figures(PUBLIC, "board-page", scope, compute)


def board_counts_shared() -> Shared[dict[str, int]]:
    return shared_figures(PUBLIC, "board-counts", (), board_counts)
