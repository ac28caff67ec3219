"""Reads for dashboards, scorecards, the rectification board and open data.

Complaint figures come from the ComplaintStat summary table (never from scanning complaints);
cases, notices and responses are few enough to be counted live. Every chart is a Table, which
renders as an HTML table, a CSV file, an API payload and (in static/js/charts.js) a chart.
"""

import datetime
import functools
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import (
    Count,
    Exists,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from classifier.models import ModelVersion

from .calendar import working_days_between
from .models import (
    App,
    Case,
    CaseCategory,
    Category,
    Company,
    Complaint,
    ComplaintStat,
    Event,
    Notice,
)
from .services.statistics import ACCEPTED_EVER, AWAITING_OPERATOR, CONFIDENCE_FIELDS, MEASURES

K = Case.Status
S = Complaint.Status


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


def _stats(
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


def _sums(rows: QuerySet, names: list[str] = MEASURES) -> dict[str, int]:
    totals = rows.aggregate(**{name: Coalesce(Sum(name), 0) for name in names})
    return {name: int(totals[name]) for name in names}


def _cases(f: StatsFilter, *, dated: bool = True) -> QuerySet:
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
_working_days = functools.lru_cache(maxsize=8192)(working_days_between)


def _day_start(day: datetime.date) -> datetime.datetime:
    """Local midnight starting the day: datetime bounds keep created_at indexes usable."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def rate(part: int | float, whole: int | float) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None


# --- tables ----------------------------------------------------------------------------------


@dataclass
class Column:
    key: str
    label: str
    kind: str = (
        "int"  # key (machine code, not shown on pages), text, int, rate (0–1), float, date, month
    )


@dataclass
class Table:
    """One chart's data: the chart draws it, the page shows it as a table, CSV exports it."""

    key: str
    title: str
    chart: str  # stacked_bar, bar, hbar, pie, funnel, line
    columns: list[Column]
    rows: list[list[Any]]
    note: str = ""
    # Column key -> (key of the column holding the id, URL pattern): names that link somewhere.
    links: dict[str, tuple[str, str]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "chart": self.chart,
            "note": self.note,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
            "rows": [[_plain(v) for v in row] for row in self.rows],
        }

    @property
    def data_id(self) -> str:
        """The id of the page element holding this table as JSON for the chart."""
        return f"data-{self.key}"

    @property
    def is_wide(self) -> bool:
        """Too many columns to sit beside its chart: the page puts it underneath."""
        return len(self.visible_columns()) > 4

    def visible_columns(self) -> list[Column]:
        return [c for c in self.columns if c.kind != "key"]

    def display_rows(self) -> list[list[dict]]:
        """Cells as a page shows them: formatted text, and a link where the column has one."""
        index = {c.key: i for i, c in enumerate(self.columns)}
        rows = []
        for row in self.rows:
            cells = []
            for i, column in enumerate(self.columns):
                if column.kind == "key":
                    continue
                cell = {
                    "text": _display(row[i], column.kind),
                    "numeric": column.kind in ("int", "float", "rate"),
                }
                if column.key in self.links:
                    id_key, pattern = self.links[column.key]
                    cell["url"] = pattern.format(row[index[id_key]])
                cells.append(cell)
            rows.append(cells)
        return rows

    def body_html(self) -> str:
        """The table's rows as HTML: built here because a template loop over a year of weeks
        by ten categories costs more than all the dashboard's queries together."""
        lines = []
        for cells in self.display_rows():
            parts = []
            for cell in cells:
                text = (
                    format_html('<a href="{}">{}</a>', cell["url"], cell["text"])
                    if "url" in cell
                    else escape(cell["text"])
                )
                parts.append(
                    format_html('<td class="num">{}</td>', text)
                    if cell["numeric"]
                    else format_html("<td>{}</td>", text)
                )
            lines.append("<tr>" + "".join(parts) + "</tr>")
        return mark_safe("\n".join(lines))  # noqa: S308  (every part escaped above)

    def records(self) -> list[dict]:
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, (_plain(v) for v in row), strict=True)) for row in self.rows]


def _display(value, kind: str) -> str:
    if value is None or value == "":
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "int":
        return f"{value:,}"
    if kind == "float":
        return f"{value:.2f}"
    if kind == "month":
        return value.strftime("%Y-%m")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _plain(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _categories() -> list[Category]:
    return list(Category.objects.filter(is_active=True).order_by("sort_order", "code"))


def _by_period(
    f: StatsFilter, *, measure: str, period: str, key: str, title: str, note: str
) -> Table:
    """Stacked counts per week or month (date_trunc in the database), one column per category."""
    trunc = TruncWeek if period == "week" else TruncMonth
    grouped = (
        _stats(f, by_category=True)
        .annotate(period=trunc("submitted_date"))
        .values("period", "category_id")
        .annotate(n=Sum(measure))
    )
    cells: dict[datetime.date, dict[int, int]] = defaultdict(dict)
    for row in grouped:
        period_start = row["period"]
        if isinstance(period_start, datetime.datetime):
            period_start = period_start.date()
        cells[period_start][row["category_id"]] = row["n"] or 0
    categories = [c for c in _categories() if f.category is None or c.pk == f.category.pk]
    first = (
        f.start_date - datetime.timedelta(days=f.start_date.weekday())
        if period == "week"
        else f.start_date.replace(day=1)
    )
    periods = []
    current = first
    while current <= f.end_date:
        periods.append(current)
        current = (
            current + datetime.timedelta(days=7)
            if period == "week"
            else (current + datetime.timedelta(days=32)).replace(day=1)
        )
    columns = [
        Column("period", _("Week of"), "date")
        if period == "week"
        else Column("period", _("Month"), "month")
    ]
    columns += [Column(c.code, c.name) for c in categories]
    rows = [[p, *(cells.get(p, {}).get(c.pk, 0) for c in categories)] for p in periods]
    return Table(key=key, title=title, chart="stacked_bar", columns=columns, rows=rows, note=note)


def _category_mix(f: StatsFilter, *, measure: str, key: str, title: str) -> Table:
    counts = dict(_stats(f, by_category=True).values_list("category_id").annotate(n=Sum(measure)))
    rows = [[c.code, c.name, int(counts.get(c.pk) or 0)] for c in _categories() if counts.get(c.pk)]
    if measure == "received" and f.category is None:
        unlabelled = _sums(_stats(f), ["unlabelled"])["unlabelled"]
        if unlabelled:
            rows.append(["", _("not labelled yet"), unlabelled])
    rows.sort(key=lambda r: -r[2])
    return Table(
        key=key,
        title=title,
        chart="pie",
        columns=[
            Column("code", _("Code"), "key"),
            Column("category", _("Category"), "text"),
            Column("complaints", _("Complaints")),
        ],
        rows=rows,
        note=_("A complaint about two kinds of problem counts for both."),
    )


def _app_totals(f: StatsFilter, measure: str) -> dict[int, int]:
    """The measure summed per app (apps with none left out): one pass over the per-app
    summary rows, which both app and operator rankings read."""
    sums = _stats(f, by_app=True).values_list("app_id").annotate(n=Sum(measure))
    return {app_id: int(n) for app_id, n in sums if n}


def _ranked(totals: dict[int, int], limit: int) -> list[tuple[int, int]]:
    """(id, total), largest first; ties by id, so the order is stable."""
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:limit]


def _top_apps(
    f: StatsFilter,
    *,
    measure: str,
    key: str,
    title: str,
    limit: int = 10,
    totals: dict[int, int] | None = None,
) -> Table:
    totals = _app_totals(f, measure) if totals is None else totals
    ranked = _ranked(totals, limit)
    apps = App.objects.select_related("operator").in_bulk([app_id for app_id, _n in ranked])
    rows = []
    for app_id, n in ranked:
        app = apps[app_id]
        rows.append([app.pk, app.name, app.operator.name if app.operator else "", n])
    return Table(
        key=key,
        title=title,
        chart="hbar",
        columns=[
            Column("app_id", _("App id"), "key"),
            Column("app", _("App"), "text"),
            Column("operator", _("Operator"), "text"),
            Column("complaints", _("Complaints")),
        ],
        rows=rows,
        links={"app": ("app_id", "/apps/{}/")},
    )


def _top_operators(
    f: StatsFilter,
    *,
    measure: str,
    key: str,
    title: str,
    limit: int = 10,
    totals: dict[int, int] | None = None,
) -> Table:
    totals = _app_totals(f, measure) if totals is None else totals
    operators = App.objects.filter(pk__in=list(totals), operator__isnull=False).values_list(
        "pk", "operator_id"
    )
    by_operator: Counter[int] = Counter()
    for app_id, operator_id in operators:
        by_operator[operator_id] += totals[app_id]
    ranked = _ranked(by_operator, limit)
    companies = Company.objects.in_bulk([operator_id for operator_id, _n in ranked])
    rows = [[operator_id, companies[operator_id].name, n] for operator_id, n in ranked]
    return Table(
        key=key,
        title=title,
        chart="hbar",
        columns=[
            Column("operator_id", _("Operator id"), "key"),
            Column("operator", _("Operator"), "text"),
            Column("complaints", _("Complaints")),
        ],
        rows=rows,
        links={"operator": ("operator_id", "/operators/{}/")},
    )


# --- cases -----------------------------------------------------------------------------------

UNDER_NOTICE = (K.NOTICE_ISSUED, K.RESPONSE_RECEIVED, K.NOT_RECTIFIED)


def case_figures(f: StatsFilter) -> dict:
    """Open cases by status (now), and for cases opened in the period: notices, rectified,
    overdue, escalated, the rectification rate and the median working days from the first
    notice to the verified fix. Recurrences are counted when they happened."""
    open_by_status = dict(
        _cases(f, dated=False)
        .exclude(status=K.CLOSED)
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    period = _cases(f).annotate(has_notice=Exists(Notice.objects.filter(case=OuterRef("pk"))))
    counts = period.aggregate(
        cases=Count("pk"),
        noticed=Count("pk", filter=Q(has_notice=True)),
        rectified=Count("pk", filter=Q(rectified_at__isnull=False)),
        overdue=Count("pk", filter=Q(status=K.OVERDUE)),
        escalated=Count("pk", filter=Q(status=K.ESCALATED) | ~Q(escalation="")),
    )
    today = timezone.localdate()
    overdue_now = (
        _cases(f, dated=False)
        .filter(Q(status=K.OVERDUE) | Q(status=K.NOTICE_ISSUED, deadline_date__lt=today))
        .count()
    )
    rectified = (
        _cases(f, dated=False)
        .filter(rectified_at__date__gte=f.start_date, rectified_at__date__lte=f.end_date)
        .annotate(first_notice_at=Min("notices__issued_at"))
        .filter(first_notice_at__isnull=False)
        .values_list("first_notice_at", "rectified_at")
    )
    days = [
        _working_days(timezone.localdate(noticed), timezone.localdate(fixed))
        for noticed, fixed in rectified
    ]
    recurrences = Event.objects.filter(
        case__in=_cases(f, dated=False).values("pk"),
        to_status=K.OPEN,
        from_status__in=(K.RECTIFIED, K.CLOSED),
        created_at__gte=_day_start(f.start_date),
        created_at__lt=_day_start(f.end_date + datetime.timedelta(days=1)),
    ).count()
    return {
        **counts,
        "open_by_status": {
            status: open_by_status.get(status, 0) for status in K.values if status != K.CLOSED
        },
        "open": sum(open_by_status.values()),
        "overdue_now": overdue_now,
        "rectification_rate": rate(counts["rectified"], counts["noticed"]),
        "median_days_to_rectify": statistics.median(days) if days else None,
        "recurrences": recurrences,
    }


def _funnel(f: StatsFilter, totals: dict, cases: dict) -> Table:
    steps = [
        ("received", _("Complaints received"), totals["received"]),
        ("accepted", _("Accepted"), totals["accepted"]),
        ("cases", _("Cases opened"), cases["cases"]),
        ("noticed", _("Notices issued"), cases["noticed"]),
        ("rectified", _("Rectified"), cases["rectified"]),
        ("overdue", _("Overdue now"), cases["overdue"]),
        ("escalated", _("Escalated"), cases["escalated"]),
    ]
    return Table(
        key="funnel",
        title=_("Rectification funnel"),
        chart="funnel",
        columns=[
            Column("step", _("Step code"), "key"),
            Column("label", _("Step"), "text"),
            Column("count", _("Count")),
        ],
        rows=[list(step) for step in steps],
        note=_("Complaints submitted and cases opened in the period, and where they stand now."),
    )


def _open_cases_by_status(cases: dict) -> Table:
    rows = [[status, K(status).label, n] for status, n in cases["open_by_status"].items()]
    return Table(
        key="open_cases",
        title=_("Open cases by status"),
        chart="bar",
        columns=[
            Column("status", _("Status code"), "key"),
            Column("label", _("Status"), "text"),
            Column("cases", _("Cases")),
        ],
        rows=rows,
        note=_("All cases not closed, whenever they were opened."),
    )


def _overdue_by_operator(f: StatsFilter, limit: int = 15) -> Table:
    today = timezone.localdate()
    grouped = (
        _cases(f, dated=False)
        .filter(
            Q(status__in=(K.OVERDUE, K.ESCALATED))
            | Q(status=K.NOTICE_ISSUED, deadline_date__lt=today)
        )
        .filter(app__operator__isnull=False)
        .values("app__operator_id", "app__operator__name")
        .annotate(
            overdue=Count("pk", filter=~Q(status=K.ESCALATED)),
            escalated=Count("pk", filter=Q(status=K.ESCALATED)),
            total=Count("pk"),
        )
        .order_by("-total", "app__operator__name")[:limit]
    )
    rows = [
        [r["app__operator_id"], r["app__operator__name"], r["overdue"], r["escalated"]]
        for r in grouped
    ]
    return Table(
        key="overdue_by_operator",
        title=_("Overdue and escalated cases by operator"),
        chart="stacked_hbar",
        columns=[
            Column("operator_id", _("Operator id"), "key"),
            Column("operator", _("Operator"), "text"),
            Column("overdue", _("Overdue")),
            Column("escalated", _("Escalated")),
        ],
        rows=rows,
        links={"operator": ("operator_id", "/operators/{}/")},
    )


# --- classifier ------------------------------------------------------------------------------


def _confidence_histogram(totals: dict) -> Table:
    bins = ComplaintStat.CONFIDENCE_BINS
    rows = []
    for i, name in enumerate(CONFIDENCE_FIELDS):
        rows.append([f"{i / bins:.1f}–{(i + 1) / bins:.1f}", totals[name]])
    return Table(
        key="confidence",
        title=_("Classifier confidence"),
        chart="bar",
        columns=[Column("bin", _("Confidence"), "text"), Column("complaints", _("Complaints"))],
        rows=rows,
        note=_("Complaints below %(threshold)s go to a person for review.")
        % {"threshold": settings.CLASSIFIER_CONFIDENCE_THRESHOLD},
    )


def _relabel_rate(f: StatsFilter) -> Table:
    grouped = {
        r["category_id"]: r
        for r in _stats(f, by_category=True)
        .values("category_id")
        .annotate(reviewed=Sum("reviewed"), relabelled=Sum("relabelled"))
    }
    rows = []
    for c in _categories():
        r = grouped.get(c.pk)
        if not r or not r["reviewed"]:
            continue
        rows.append(
            [c.code, c.name, r["reviewed"], r["relabelled"], rate(r["relabelled"], r["reviewed"])]
        )
    return Table(
        key="relabel_rate",
        title=_("Relabel rate per category"),
        chart="rate_bar",
        columns=[
            Column("code", _("Code"), "key"),
            Column("category", _("Category"), "text"),
            Column("reviewed", _("Reviewed by a regulator")),
            Column("relabelled", _("Labels corrected")),
            Column("rate", _("Relabel rate"), "rate"),
        ],
        rows=rows,
        note=_(
            "Of the complaints a regulator reviewed in each category, the share whose labels the regulator changed."
        ),
    )


def active_model_summary() -> dict | None:
    version = (
        ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).defer("artifact").first()
    )
    if version is None:
        return None
    test = (version.metrics or {}).get("test", {})
    return {
        "version": version.version,
        "algorithm": version.algorithm,
        "activated_at": version.activated_at,
        "macro_f1": test.get("macro_f1"),
        "micro_f1": test.get("micro_f1"),
        "n": test.get("n"),
        "per_label": test.get("per_label", {}),
    }


def _model_metrics(model: dict | None) -> Table:
    names = {c.code: c.name for c in _categories()}
    rows = []
    if model:
        for code, scores in sorted(model["per_label"].items()):
            rows.append(
                [
                    code,
                    names.get(code, code),
                    scores.get("precision"),
                    scores.get("recall"),
                    scores.get("f1"),
                    scores.get("support"),
                ]
            )
    title = (
        _("Active model %(version)s: test scores") % {"version": model["version"]}
        if model
        else _("Active model: none")
    )
    return Table(
        key="model_metrics",
        title=title,
        chart="rate_bar",
        columns=[
            Column("code", _("Code"), "key"),
            Column("category", _("Category"), "text"),
            Column("precision", _("Precision"), "rate"),
            Column("recall", _("Recall"), "rate"),
            Column("f1", _("F1"), "rate"),
            Column("support", _("Test examples")),
        ],
        rows=rows,
        note=(
            _("Macro-F1 %(macro)s, micro-F1 %(micro)s on %(n)s held-out examples.")
            % {"macro": model["macro_f1"], "micro": model["micro_f1"], "n": model["n"]}
            if model
            else _("No classifier version is active: complaints wait for a person.")
        ),
    )


# --- the regulator dashboard -----------------------------------------------------------------


@dataclass
class Dashboard:
    filter: StatsFilter
    figures: dict
    tables: list[Table]

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)


DASHBOARD_TABLES = (
    "by_week",
    "category_mix",
    "top_apps",
    "top_operators",
    "funnel",
    "open_cases",
    "overdue_by_operator",
    "confidence",
    "relabel_rate",
    "model_metrics",
)


class _DashboardParts:
    """The dashboard's shared sums, each computed once and only when a table needs it."""

    def __init__(self, f: StatsFilter):
        self.f = f
        self._totals = self._cases = self._app_totals = None
        self._model: dict | None | bool = False

    @property
    def totals(self) -> dict:
        if self._totals is None:
            self._totals = _sums(_stats(self.f))
        return self._totals

    @property
    def app_totals(self) -> dict[int, int]:
        if self._app_totals is None:
            self._app_totals = _app_totals(self.f, "received")
        return self._app_totals

    @property
    def cases(self) -> dict:
        if self._cases is None:
            self._cases = case_figures(self.f)
        return self._cases

    @property
    def model(self) -> dict | None:
        if self._model is False:
            self._model = active_model_summary()
        return self._model

    def table(self, key: str) -> Table:
        f = self.f
        if key == "by_week":
            return _by_period(
                f,
                measure="received",
                period="week",
                key=key,
                title=_("Complaints per week by category"),
                note=_(
                    "Weeks start on Monday. A complaint about two kinds of problem counts for both."
                ),
            )
        if key == "category_mix":
            return _category_mix(f, measure="received", key=key, title=_("Category mix"))
        if key == "top_apps":
            return _top_apps(
                f,
                measure="received",
                key=key,
                title=_("Apps with the most complaints"),
                totals=self.app_totals,
            )
        if key == "top_operators":
            return _top_operators(
                f,
                measure="received",
                key=key,
                title=_("Operators with the most complaints"),
                totals=self.app_totals,
            )
        if key == "funnel":
            return _funnel(f, self.totals, self.cases)
        if key == "open_cases":
            return _open_cases_by_status(self.cases)
        if key == "overdue_by_operator":
            return _overdue_by_operator(f)
        if key == "confidence":
            return _confidence_histogram(self.totals)
        if key == "relabel_rate":
            return _relabel_rate(f)
        if key == "model_metrics":
            return _model_metrics(self.model)
        raise KeyError(key)


def dashboard_table(f: StatsFilter, key: str) -> Table:
    """One dashboard table (for its CSV download). KeyError for an unknown key."""
    if key not in DASHBOARD_TABLES:
        raise KeyError(key)
    return _DashboardParts(f).table(key)


def dashboard(f: StatsFilter) -> Dashboard:
    """Everything on the regulator dashboard for one filter."""
    parts = _DashboardParts(f)
    totals, cases = parts.totals, parts.cases
    backlog = _sums(
        _stats(f, dated=False), ["awaiting_decision", "decision_overdue", "info_requested"]
    )
    answered_or_due = totals["replied"] + totals["reply_overdue"]
    figures = {
        "received": totals["received"],
        "accepted": totals["accepted"],
        "backlog": backlog["awaiting_decision"] + backlog["info_requested"],
        "awaiting_decision": backlog["awaiting_decision"],
        "info_requested": backlog["info_requested"],
        "decision_overdue": backlog["decision_overdue"],
        "open_cases": cases["open"],
        "open_by_status": cases["open_by_status"],
        "overdue_cases": cases["overdue_now"],
        "rectification_rate": cases["rectification_rate"],
        "median_days_to_rectify": cases["median_days_to_rectify"],
        "recurrences": cases["recurrences"],
        "operator_response_rate": rate(totals["replied"], totals["sent_to_operator"]),
        "operator_on_time_rate": rate(totals["replied_on_time"], answered_or_due),
        "auto_routed_share": rate(totals["auto_routed"], totals["classified"]),
        "model": parts.model,
    }
    return Dashboard(
        filter=f, figures=figures, tables=[parts.table(key) for key in DASHBOARD_TABLES]
    )


# --- public statistics -----------------------------------------------------------------------

PUBLIC_STATUS_UNDER_RECTIFICATION = "under_rectification"
PUBLIC_STATUS_RECTIFIED = "rectified"
PUBLIC_STATUS_OVERDUE = "overdue"
PUBLIC_STATUS_ESCALATED = "escalated"
PUBLIC_STATUS_CLOSED = "closed"
PUBLIC_STATUSES = (
    PUBLIC_STATUS_UNDER_RECTIFICATION,
    PUBLIC_STATUS_RECTIFIED,
    PUBLIC_STATUS_OVERDUE,
    PUBLIC_STATUS_ESCALATED,
    PUBLIC_STATUS_CLOSED,
)


def public_status_labels() -> dict[str, str]:
    return {
        PUBLIC_STATUS_UNDER_RECTIFICATION: _("under rectification"),
        PUBLIC_STATUS_RECTIFIED: _("rectified"),
        PUBLIC_STATUS_OVERDUE: _("overdue"),
        PUBLIC_STATUS_ESCALATED: _("escalated"),
        PUBLIC_STATUS_CLOSED: _("closed without rectification"),
    }


def _public_status_expression():
    return models.Case(
        When(status__in=UNDER_NOTICE, then=Value(PUBLIC_STATUS_UNDER_RECTIFICATION)),
        When(status=K.OVERDUE, then=Value(PUBLIC_STATUS_OVERDUE)),
        When(status=K.ESCALATED, then=Value(PUBLIC_STATUS_ESCALATED)),
        When(
            Q(status=K.RECTIFIED) | Q(status=K.CLOSED, rectified_at__isnull=False),
            then=Value(PUBLIC_STATUS_RECTIFIED),
        ),
        When(
            status=K.OPEN, rectified_at__isnull=False, then=Value(PUBLIC_STATUS_UNDER_RECTIFICATION)
        ),
        default=Value(PUBLIC_STATUS_CLOSED),
    )


def public_cases() -> QuerySet:
    """Cases the public may see: every case that got a rectification notice, with its public
    status and first notice date. Cases still being prepared (no notice yet) stay internal."""
    notices = Notice.objects.filter(case=OuterRef("pk"))
    return (
        Case.objects.filter(Exists(notices))
        .annotate(
            public_status=_public_status_expression(),
            first_notice_at=Subquery(notices.order_by("issued_at").values("issued_at")[:1]),
        )
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
        When(public_status__in=(PUBLIC_STATUS_OVERDUE, PUBLIC_STATUS_ESCALATED), then=Value(0)),
        When(public_status=PUBLIC_STATUS_UNDER_RECTIFICATION, then=Value(1)),
        default=Value(2),
    )
    return cases.annotate(urgency=urgency).order_by("urgency", "deadline_date", "-opened_at", "pk")


def board_counts() -> dict[str, int]:
    counts = dict(public_cases().order_by().values_list("public_status").annotate(n=Count("pk")))
    return {status: counts.get(status, 0) for status in public_status_labels()}


def _cases_by_public_status(cases: QuerySet, key: str = "cases_by_status") -> Table:
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


def _response_figures(totals: dict) -> dict:
    answered_or_due = totals["replied"] + totals["reply_overdue"]
    return {
        "received": totals["received"],
        "accepted": totals["accepted"],
        "sent_to_operator": totals["sent_to_operator"],
        "replied": totals["replied"],
        "response_rate": rate(totals["replied"], totals["sent_to_operator"]),
        "on_time_rate": rate(totals["replied_on_time"], answered_or_due),
        "reply_overdue": totals["reply_overdue"],
        "confirmed": totals["confirmed"],
        "resolution_rate": rate(totals["confirmed"], totals["replied"]),
        "published": totals["published"],
    }


@dataclass
class Scorecard:
    """An app's (or an operator's) public record."""

    subject: App | Company
    filter: StatsFilter
    figures: dict
    warning: dict | None
    tables: list[Table]
    cases: list[Case]
    apps: list[dict] = field(default_factory=list)


def _warning(cases: QuerySet) -> dict | None:
    overdue = sum(1 for c in cases if c.public_status == PUBLIC_STATUS_OVERDUE)
    escalated = [c for c in cases if c.public_status == PUBLIC_STATUS_ESCALATED]
    if not overdue and not escalated:
        return None
    return {
        "overdue": overdue,
        "escalated": len(escalated),
        "measures": sorted({c.get_escalation_display() for c in escalated if c.escalation}),
    }


def _by_month(f: StatsFilter) -> Table:
    return _by_period(
        f,
        measure="accepted",
        period="month",
        key="by_month",
        title=_("Accepted complaints per month by category"),
        note=_(
            "Only complaints a regulator accepted are counted; a complaint about two kinds of problem counts for both."
        ),
    )


def _scorecard_tables(f: StatsFilter) -> list[Table]:
    return [
        _by_month(f),
        _category_mix(f, measure="accepted", key="category_mix", title=_("Kinds of problem")),
    ]


def app_scorecard(app: App, *, months: int = 12) -> Scorecard:
    f = StatsFilter(start_date=_months_back(months), end_date=timezone.localdate(), app=app)
    totals = _sums(_stats(f))
    cases = list(public_cases().filter(app=app).order_by("-opened_at"))
    return Scorecard(
        subject=app,
        filter=f,
        figures=_response_figures(totals),
        warning=_warning(cases),
        tables=_scorecard_tables(f),
        cases=cases,
    )


def operator_scorecard(company: Company, *, months: int = 12) -> Scorecard:
    f = StatsFilter(
        start_date=_months_back(months), end_date=timezone.localdate(), operator=company
    )
    totals = _sums(_stats(f))
    cases = list(public_cases().filter(app__operator=company).order_by("-opened_at"))
    per_app = {
        r["app_id"]: r
        for r in _stats(f, by_app=True)
        .values("app_id")
        .annotate(
            received=Sum("received"),
            accepted=Sum("accepted"),
            replied=Sum("replied"),
            sent_to_operator=Sum("sent_to_operator"),
        )
    }
    apps = []
    for app in company.apps.order_by("name"):
        r = per_app.get(app.pk, {})
        apps.append(
            {
                "app": app,
                "accepted": r.get("accepted", 0),
                "response_rate": rate(r.get("replied", 0), r.get("sent_to_operator", 0)),
                "open_cases": sum(
                    1
                    for c in cases
                    if c.app_id == app.pk
                    and c.public_status != PUBLIC_STATUS_RECTIFIED
                    and c.public_status != PUBLIC_STATUS_CLOSED
                ),
            }
        )
    return Scorecard(
        subject=company,
        filter=f,
        figures=_response_figures(totals),
        warning=_warning(cases),
        tables=_scorecard_tables(f),
        cases=cases,
        apps=apps,
    )


def _months_back(months: int) -> datetime.date:
    today = timezone.localdate()
    year, month = divmod(today.year * 12 + today.month - 1 - (months - 1), 12)
    return datetime.date(year, month + 1, 1)


@dataclass
class PlatformStatistics:
    filter: StatsFilter
    figures: dict
    tables: list[Table]


def platform_figures(f: StatsFilter) -> dict:
    """The platform's headline figures: complaints, operators' answers, cases and their ends."""
    totals = _sums(_stats(f))
    cases = case_figures(f)
    return {
        **_response_figures(totals),
        "cases": cases["cases"],
        "noticed": cases["noticed"],
        "rectified": cases["rectified"],
        "overdue_now": cases["overdue_now"],
        "rectification_rate": cases["rectification_rate"],
        "median_days_to_rectify": cases["median_days_to_rectify"],
        "recurrences": cases["recurrences"],
    }


def platform_statistics(f: StatsFilter) -> PlatformStatistics:
    """The public statistics page: complaints accepted, how cases end, who draws most."""
    tables = [public_table(f, key) for key in PUBLIC_TABLES]
    return PlatformStatistics(filter=f, figures=platform_figures(f), tables=tables)


def public_table(f: StatsFilter, key: str, *, limit: int = 10) -> Table:
    """One open-data table by name (the statistics page's, and the API's /stats/<name>/)."""
    if key == "by_month":
        return _by_month(f)
    if key == "category_mix":
        return _category_mix(f, measure="accepted", key=key, title=_("Kinds of problem"))
    if key == "top_apps":
        return _top_apps(
            f,
            measure="accepted",
            key=key,
            title=_("Apps with the most accepted complaints"),
            limit=limit,
        )
    if key == "top_operators":
        title = _("Operators with the most accepted complaints")
        return _top_operators(f, measure="accepted", key=key, title=title, limit=limit)
    if key == "cases_by_status":
        return _cases_by_public_status(public_cases().filter(pk__in=_cases(f).values("pk")))
    raise KeyError(key)


PUBLIC_TABLES = ("by_month", "category_mix", "top_apps", "top_operators", "cases_by_status")


# --- published complaints --------------------------------------------------------------------


def published_complaints(
    *, app: App | None = None, category: Category | None = None, apps: QuerySet | None = None
) -> QuerySet:
    """Complaints whose consumer agreed to publication, accepted by a regulator, not erased;
    newest first. Callers show only the masked text."""
    complaints = Complaint.objects.filter(
        consent_publish=True, erased_at__isnull=True, status__in=ACCEPTED_EVER
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
    return _sums(_stats(f, dated=False), ["published"])["published"]


# --- the operator dashboard ------------------------------------------------------------------

# Operators with more apps than this see the urgent list for their first ones by name.
MAX_APPS_WALKED = 50


def operator_dashboard(
    company_ids: set[int],
    *,
    today: datetime.date | None = None,
    months: int = 12,
    urgent_limit: int = 25,
) -> dict:
    """For one operator account: its complaints waiting for an answer with their clocks, its
    cases under notice with deadlines, and its response figures beside the platform median
    across operators."""
    today = today or timezone.localdate()
    apps = list(App.objects.filter(operator_id__in=company_ids).order_by("name"))
    waiting = Complaint.objects.filter(
        status__in=AWAITING_OPERATOR, operator_due_date__isnull=False
    )
    # The figures from the summary; only "due within 3 days" is a narrow range of the
    # operator clock index.
    summary = _sums(
        ComplaintStat.objects.filter(app__in=[a.pk for a in apps], category__isnull=True),
        ["awaiting_operator", "reply_overdue"],
    )
    clock = {
        "total": summary["awaiting_operator"],
        "overdue": summary["reply_overdue"],
        "due_soon": waiting.filter(
            app__in=apps,
            operator_due_date__gte=today,
            operator_due_date__lte=today + datetime.timedelta(days=3),
        ).count(),
    }
    # The most urgent, app by app (each an ordered walk of the index), merged.
    urgent = []
    for app in apps[:MAX_APPS_WALKED]:
        urgent += (
            waiting.filter(app=app)
            .select_related("app")
            .prefetch_related("categories")
            .only(
                "pk",
                "tracking_number",
                "status",
                "app__name",
                "app__id",
                "operator_due_date",
                "decided_at",
            )
            .order_by("operator_due_date", "pk")[:urgent_limit]
        )
    urgent = sorted(urgent, key=lambda c: (c.operator_due_date, c.pk))[:urgent_limit]
    for complaint in urgent:
        complaint.days_left = (complaint.operator_due_date - today).days
        complaint.days_overdue = -complaint.days_left
    cases = list(
        public_cases()
        .filter(app__in=apps, status__in=(*UNDER_NOTICE, K.OVERDUE, K.ESCALATED))
        .order_by("deadline_date", "pk")
    )
    for case in cases:
        case.working_days_left = (
            _working_days(today, case.deadline_date) if case.deadline_date else None
        )
    f = StatsFilter(start_date=_months_back(months), end_date=today)
    per_operator = list(
        _stats(f, by_app=True)
        .filter(app__operator__isnull=False)
        .values(operator_id=F("app__operator_id"))
        .annotate(
            sent=Sum("sent_to_operator"),
            replied=Sum("replied"),
            on_time=Sum("replied_on_time"),
            overdue=Sum("reply_overdue"),
            confirmed=Sum("confirmed"),
        )
    )
    mine = {"sent": 0, "replied": 0, "on_time": 0, "overdue": 0, "confirmed": 0}
    response_rates, on_time_rates, resolution_rates = [], [], []
    for r in per_operator:
        if r["operator_id"] in company_ids:
            for key in mine:
                mine[key] += r[key] or 0
        if r["sent"]:
            response_rates.append(r["replied"] / r["sent"])
        if r["replied"] + r["overdue"]:
            on_time_rates.append(r["on_time"] / (r["replied"] + r["overdue"]))
        if r["replied"]:
            resolution_rates.append(r["confirmed"] / r["replied"])

    def median(values):
        return round(statistics.median(values), 4) if values else None

    comparison = [
        {
            "key": "response_rate",
            "label": _("Complaints answered"),
            "mine": rate(mine["replied"], mine["sent"]),
            "platform_median": median(response_rates),
        },
        {
            "key": "on_time_rate",
            "label": _("Answered on time"),
            "mine": rate(mine["on_time"], mine["replied"] + mine["overdue"]),
            "platform_median": median(on_time_rates),
        },
        {
            "key": "resolution_rate",
            "label": _("Answers the consumer confirmed"),
            "mine": rate(mine["confirmed"], mine["replied"]),
            "platform_median": median(resolution_rates),
        },
    ]
    return {
        "apps": apps,
        "clock": clock,
        "waiting": urgent,
        "cases": cases,
        "comparison": comparison,
        "figures": mine,
        "filter": f,
        "today": today,
    }
