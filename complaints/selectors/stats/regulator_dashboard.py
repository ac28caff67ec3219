"""The regulator dashboard: headline figures and ten tables (complaints, cases and the
classifier) for one filter, each table also downloadable on its own.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from classifier.models import ModelVersion

from ... import workflow
from ...models import Case, ComplaintStat
from ...services.statistics import CONFIDENCE_FIELDS
from .cases import case_figures
from .shared import REGULATOR, Shared, shared_figures
from .summary import StatsFilter, filtered_cases, rate, reads_summary, summary_rows, summary_sums
from .tables import (
    Column,
    Table,
    active_categories,
    app_totals,
    table_by_period,
    table_category_mix,
    table_top_apps,
    table_top_operators,
)

K = Case.Status


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
        filtered_cases(f, dated=False)
        .filter(
            Q(status__in=workflow.CASE_LATE) | Q(status=K.NOTICE_ISSUED, deadline_date__lt=today)
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
        for r in summary_rows(f, by_category=True)
        .values("category_id")
        .annotate(reviewed=Sum("reviewed"), relabelled=Sum("relabelled"))
    }
    rows = []
    for c in active_categories():
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
    names = {c.code: c.name for c in active_categories()}
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
            self._totals = summary_sums(summary_rows(self.f))
        return self._totals

    @property
    def app_totals(self) -> dict[int, int]:
        if self._app_totals is None:
            self._app_totals = app_totals(self.f, "received")
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
            return table_by_period(
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
            return table_category_mix(f, measure="received", key=key, title=_("Category mix"))
        if key == "top_apps":
            return table_top_apps(
                f,
                measure="received",
                key=key,
                title=_("Apps with the most complaints"),
                totals=self.app_totals,
            )
        if key == "top_operators":
            return table_top_operators(
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


@reads_summary
def dashboard_table(f: StatsFilter, key: str) -> Table:
    """One dashboard table (for its CSV download). KeyError for an unknown key."""
    if key not in DASHBOARD_TABLES:
        raise KeyError(key)
    return _DashboardParts(f).table(key)


@reads_summary
def dashboard(f: StatsFilter) -> Dashboard:
    """Everything on the regulator dashboard for one filter."""
    parts = _DashboardParts(f)
    totals, cases = parts.totals, parts.cases
    backlog = summary_sums(
        summary_rows(f, dated=False), ["awaiting_decision", "decision_overdue", "info_requested"]
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


def dashboard_shared(f: StatsFilter) -> Shared[Dashboard]:
    """The dashboard for one filter as every regulator sees it, a few seconds old at most:
    regulators share one view of the platform (no per-account scope), so one count serves all."""
    return shared_figures(
        REGULATOR, "dashboard", tuple(sorted(f.as_query().items())), lambda: dashboard(f)
    )
