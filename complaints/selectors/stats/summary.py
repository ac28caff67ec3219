"""Reading the ComplaintStat summary table: the filter every figure takes, summary rows
and their sums, the cases a filter covers, and keeping the summary fresh.
"""

import datetime
import functools
from contextvars import ContextVar
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from ...calendar import working_days_between
from ...models import App, Case, CaseCategory, Category, Company, ComplaintStat
from ...services.statistics import MEASURES, statistics_ensure_fresh

# --- freshness -------------------------------------------------------------------------------

# Set while a selector that reads the summary runs, so the selectors it calls do not check again.
_freshness_checked: ContextVar[bool] = ContextVar("statistics_freshness_checked", default=False)


def reads_summary(selector):
    """Marks a selector that reads ComplaintStat: a stale summary is refreshed (or a refresh
    requested) before the read, once per outermost call, so pages need not remember to."""

    @functools.wraps(selector)
    def wrapper(*args, **kwargs):
        if _freshness_checked.get():
            return selector(*args, **kwargs)
        statistics_ensure_fresh()
        token = _freshness_checked.set(True)
        try:
            return selector(*args, **kwargs)
        finally:
            _freshness_checked.reset(token)

    return wrapper


# --- filters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatsFilter:
    """Which complaints and cases a figure covers: submitted (or opened) within the dates,
    about the category, the app, or any app of the operator."""

    start_date: datetime.date
    end_date: datetime.date
    category: Category | None = None
    app: App | None = None
    operator: Company | None = None

    @classmethod
    def last_days(cls, days: int, **kwargs) -> "StatsFilter":
        today = timezone.localdate()
        return cls(start_date=today - datetime.timedelta(days=days - 1), end_date=today, **kwargs)

    def as_query(self) -> dict[str, str]:
        """The filter as query-string parameters (for CSV and API links)."""
        query = {"start_date": self.start_date.isoformat(), "end_date": self.end_date.isoformat()}
        if self.category:
            query["category"] = self.category.code
        if self.app:
            query["app"] = str(self.app.pk)
        if self.operator:
            query["operator"] = str(self.operator.pk)
        return query


def summary_rows(
    f: StatsFilter, *, by_category: bool = False, by_app: bool = False, dated: bool = True
) -> QuerySet:
    """Summary rows for the filter. by_category: one row set per category (instead of
    complaints counted once); by_app: per-app rows (needed to rank apps or operators)."""
    rows = ComplaintStat.objects.all()
    if dated:
        rows = rows.filter(submitted_date__gte=f.start_date, submitted_date__lte=f.end_date)
    if f.category is not None:
        rows = rows.filter(category=f.category)
    elif by_category:
        rows = rows.filter(category__isnull=False)
    else:
        rows = rows.filter(category__isnull=True)
    if f.app is not None:
        rows = rows.filter(app=f.app)
    elif f.operator is not None:
        rows = rows.filter(app__in=App.objects.filter(operator=f.operator).values("pk"))
    elif by_app:
        rows = rows.filter(app__isnull=False)
    else:
        rows = rows.filter(app__isnull=True)
    return rows.order_by()


def summary_sums(rows: QuerySet, names: list[str] = MEASURES) -> dict[str, int]:
    totals = rows.aggregate(**{name: Coalesce(Sum(name), 0) for name in names})
    return {name: int(totals[name]) for name in names}


def filtered_cases(f: StatsFilter, *, dated: bool = True) -> QuerySet:
    cases = Case.objects.all()
    if dated:
        cases = cases.filter(opened_at__date__gte=f.start_date, opened_at__date__lte=f.end_date)
    if f.category is not None:
        cases = cases.filter(
            Exists(CaseCategory.objects.filter(case=OuterRef("pk"), category=f.category))
        )
    if f.app is not None:
        cases = cases.filter(app=f.app)
    elif f.operator is not None:
        cases = cases.filter(app__operator=f.operator)
    return cases.order_by()


# The Chinese calendar is looked up day by day; the same spans recur on every page view.
working_days = functools.lru_cache(maxsize=8192)(working_days_between)


def day_start(day: datetime.date) -> datetime.datetime:
    """Local midnight starting the day: datetime bounds keep created_at indexes usable."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def rate(part: int | float, whole: int | float) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None


def months_back(months: int) -> datetime.date:
    today = timezone.localdate()
    year, month = divmod(today.year * 12 + today.month - 1 - (months - 1), 12)
    return datetime.date(year, month + 1, 1)
