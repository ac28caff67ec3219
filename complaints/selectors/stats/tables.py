"""Tables: one chart's data, which a page shows as an HTML table (a template tag renders it),
CSV exports and the API returns; and the tables several pages share.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils.translation import gettext as _

from ...models import App, Category, Company
from .summary import StatsFilter, summary_rows, summary_sums

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
    def scale(self) -> str:
        """How to read the chart's axis and its unit, said beside every chart."""
        values = [c for c in self.columns if c.kind in ("int", "float", "rate")]
        if self.chart == "funnel":
            return _(
                "Logarithmic scale: each step of the axis is ten times the one before, so the "
                "smaller steps stay visible. The figure beside each bar is the count."
            )
        if self.chart == "pie":
            return _("Each slice is a share of the whole; the table gives the counts.")
        if values and all(c.kind == "rate" for c in values):
            return _("Linear scale from 0% to 100%.")
        if len(values) == 1 and values[0].kind == "int":
            return _("Linear scale from zero, in numbers of %(unit)s.") % {
                "unit": str(values[0].label).lower()
            }
        if values and all(c.kind == "int" for c in values):
            return _("Linear scale from zero; every value is a count.")
        return _("Linear scale from zero, in the units the table's headings give.")

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


def active_categories() -> list[Category]:
    return list(Category.objects.filter(is_active=True).order_by("sort_order", "code"))


def table_by_period(
    f: StatsFilter, *, measure: str, period: str, key: str, title: str, note: str
) -> Table:
    """Stacked counts per week or month (date_trunc in the database), one column per category."""
    trunc = TruncWeek if period == "week" else TruncMonth
    grouped = (
        summary_rows(f, by_category=True)
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
    categories = [c for c in active_categories() if f.category is None or c.pk == f.category.pk]
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


def table_category_mix(f: StatsFilter, *, measure: str, key: str, title: str) -> Table:
    counts = dict(
        summary_rows(f, by_category=True).values_list("category_id").annotate(n=Sum(measure))
    )
    rows = [
        [c.code, c.name, int(counts.get(c.pk) or 0)]
        for c in active_categories()
        if counts.get(c.pk)
    ]
    if measure == "received" and f.category is None:
        unlabelled = summary_sums(summary_rows(f), ["unlabelled"])["unlabelled"]
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


def app_totals(f: StatsFilter, measure: str) -> dict[int, int]:
    """The measure summed per app (apps with none left out): one pass over the per-app
    summary rows, which both app and operator rankings read."""
    sums = summary_rows(f, by_app=True).values_list("app_id").annotate(n=Sum(measure))
    return {app_id: int(n) for app_id, n in sums if n}


def _ranked(totals: dict[int, int], limit: int) -> list[tuple[int, int]]:
    """(id, total), largest first; ties by id, so the order is stable."""
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:limit]


def table_top_apps(
    f: StatsFilter,
    *,
    measure: str,
    key: str,
    title: str,
    limit: int = 10,
    totals: dict[int, int] | None = None,
) -> Table:
    totals = app_totals(f, measure) if totals is None else totals
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


def table_top_operators(
    f: StatsFilter,
    *,
    measure: str,
    key: str,
    title: str,
    limit: int = 10,
    totals: dict[int, int] | None = None,
) -> Table:
    totals = app_totals(f, measure) if totals is None else totals
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
