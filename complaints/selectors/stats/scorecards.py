"""Public scorecards: an app's or an operator's record over the last months (answers,
warnings, cases and the kinds of problem reported).
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from ...models import App, Case, Company
from .rectification_board import (
    PUBLIC_STATUS_CLOSED,
    PUBLIC_STATUS_ESCALATED,
    PUBLIC_STATUS_OVERDUE,
    PUBLIC_STATUS_RECTIFIED,
    public_cases,
)
from .shared import PUBLIC, Shared, shared_figures
from .summary import StatsFilter, months_back, rate, reads_summary, summary_rows, summary_sums
from .tables import Table, table_by_period, table_category_mix


def response_figures(totals: dict) -> dict:
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
    response_quality: dict | None = None


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


def table_by_month(f: StatsFilter) -> Table:
    return table_by_period(
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
        table_by_month(f),
        table_category_mix(f, measure="accepted", key="category_mix", title=_("Kinds of problem")),
    ]


def _response_quality(company: Company) -> dict | None:
    """Zero-reply and boilerplate rates as early warning last measured them (settings name
    the reader, so complaints never imports it)."""
    reader = settings.SCORECARD_RESPONSE_QUALITY
    return import_string(reader)(company) if reader else None


@reads_summary
def app_scorecard(app: App, *, months: int = 12) -> Scorecard:
    f = StatsFilter(start_date=months_back(months), end_date=timezone.localdate(), app=app)
    totals = summary_sums(summary_rows(f))
    cases = list(public_cases().filter(app=app).order_by("-opened_at"))
    return Scorecard(
        subject=app,
        filter=f,
        figures=response_figures(totals),
        warning=_warning(cases),
        tables=_scorecard_tables(f),
        cases=cases,
    )


@reads_summary
def operator_scorecard(company: Company, *, months: int = 12) -> Scorecard:
    f = StatsFilter(start_date=months_back(months), end_date=timezone.localdate(), operator=company)
    totals = summary_sums(summary_rows(f))
    cases = list(public_cases().filter(app__operator=company).order_by("-opened_at"))
    per_app = {
        r["app_id"]: r
        for r in summary_rows(f, by_app=True)
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
        figures=response_figures(totals),
        warning=_warning(cases),
        tables=_scorecard_tables(f),
        cases=cases,
        apps=apps,
        response_quality=_response_quality(company),
    )


def app_scorecard_shared(app: App) -> Shared[Scorecard]:
    """An app's public scorecard as every reader sees it, a few seconds old at most."""
    return shared_figures(PUBLIC, "app-scorecard", (app.pk,), lambda: app_scorecard(app))
