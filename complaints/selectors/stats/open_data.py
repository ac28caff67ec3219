"""Open data: the platform's public statistics and tables, published (masked) complaints,
and the home page's figures.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ... import workflow
from ...models import App, Case, Category, Company, Complaint
from .cases import case_figures
from .rectification_board import public_cases, table_cases_by_public_status
from .scorecards import response_figures, table_by_month
from .summary import StatsFilter, filtered_cases, reads_summary, summary_rows, summary_sums
from .tables import Table, table_category_mix, table_top_apps, table_top_operators


@dataclass
class PlatformStatistics:
    filter: StatsFilter
    figures: dict
    tables: list[Table]


@reads_summary
def platform_figures(f: StatsFilter) -> dict:
    """The platform's headline figures: complaints, operators' answers, cases and their ends."""
    totals = summary_sums(summary_rows(f))
    cases = case_figures(f)
    return {
        **response_figures(totals),
        "cases": cases["cases"],
        "noticed": cases["noticed"],
        "rectified": cases["rectified"],
        "overdue_now": cases["overdue_now"],
        "rectification_rate": cases["rectification_rate"],
        "median_days_to_rectify": cases["median_days_to_rectify"],
        "recurrences": cases["recurrences"],
    }


@reads_summary
def platform_statistics(f: StatsFilter) -> PlatformStatistics:
    """The public statistics page: complaints accepted, how cases end, who draws most."""
    tables = [public_table(f, key) for key in PUBLIC_TABLES]
    return PlatformStatistics(filter=f, figures=platform_figures(f), tables=tables)


@reads_summary
def public_table(f: StatsFilter, key: str, *, limit: int = 10) -> Table:
    """One open-data table by name (the statistics page's, and the API's /stats/<name>/)."""
    if key == "by_month":
        return table_by_month(f)
    if key == "category_mix":
        return table_category_mix(f, measure="accepted", key=key, title=_("Kinds of problem"))
    if key == "top_apps":
        return table_top_apps(
            f,
            measure="accepted",
            key=key,
            title=_("Apps with the most accepted complaints"),
            limit=limit,
        )
    if key == "top_operators":
        title = _("Operators with the most accepted complaints")
        return table_top_operators(f, measure="accepted", key=key, title=title, limit=limit)
    if key == "cases_by_status":
        return table_cases_by_public_status(
            public_cases().filter(pk__in=filtered_cases(f).values("pk"))
        )
    raise KeyError(key)


PUBLIC_TABLES = ("by_month", "category_mix", "top_apps", "top_operators", "cases_by_status")


# --- published complaints --------------------------------------------------------------------


def published_complaints(
    *, app: App | None = None, category: Category | None = None, apps: QuerySet | None = None
) -> QuerySet:
    """Complaints whose consumer agreed to publication, accepted by a regulator, not erased;
    newest first. Callers show only the masked text."""
    complaints = Complaint.objects.filter(
        consent_publish=True, erased_at__isnull=True, status__in=workflow.CONFIRMED
    )
    if app is not None:
        complaints = complaints.filter(app=app)
    elif apps is not None:
        complaints = complaints.filter(app__in=apps)
    if category is not None:
        complaints = complaints.filter(
            Exists(
                Complaint.categories.through.objects.filter(
                    complaint_id=OuterRef("pk"), category=category
                )
            )
        )
    return (
        complaints.select_related("app")
        .prefetch_related("categories")
        .only(
            "pk",
            "submitted_at",
            "status",
            "description",
            "description_masked",
            "app_name",
            "app__name",
            "app__id",
            "amount",
            "currency",
        )
        .order_by("-submitted_at", "-pk")
    )


def published_page(
    complaints: QuerySet, *, before: tuple[datetime.datetime, int] | None, size: int = 20
) -> tuple[list[Complaint], tuple | None]:
    """One page of a newest-first list, continuing after `before` (submitted_at, id): keyset
    paging, which stays fast on page 1,000 where OFFSET would not."""
    if before is not None:
        at, pk = before
        # The first condition alone lets the database range-scan the submitted_at index.
        complaints = complaints.filter(
            Q(submitted_at__lte=at), Q(submitted_at__lt=at) | Q(pk__lt=pk)
        )
    rows = list(complaints[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, ((rows[-1].submitted_at, rows[-1].pk) if more and rows else None)


@reads_summary
def published_count(
    *, app: App | None = None, category: Category | None = None, operator: Company | None = None
) -> int:
    """How many complaints are published (from the summary, so it costs nothing at scale)."""
    f = StatsFilter(
        start_date=datetime.date(2000, 1, 1),
        end_date=timezone.localdate(),
        app=app,
        category=category,
        operator=operator,
    )
    return summary_sums(summary_rows(f, dated=False), ["published"])["published"]


def home_figures() -> dict:
    complaints = Complaint.objects.aggregate(
        total=Count("id"),
        accepted=Count("id", filter=Q(status__in=workflow.CONFIRMED)),
    )
    cases = Case.objects.aggregate(
        under_notice=Count("id", filter=Q(status__in=workflow.CASE_UNDER_NOTICE)),
        overdue=Count("id", filter=Q(status__in=workflow.CASE_LATE)),
        rectified=Count(
            "id",
            filter=Q(status=Case.Status.RECTIFIED)
            | Q(status=Case.Status.CLOSED, rectified_at__isnull=False),
        ),
    )
    return {**complaints, **cases}
