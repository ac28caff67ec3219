"""Every chart says how to read its axis and in what unit: the funnel that it is logarithmic,
rate charts that they run 0–100%, count charts what they count."""

import pytest
from django.utils import timezone

from complaints.selectors.stats import DASHBOARD_TABLES, StatsFilter, dashboard
from complaints.selectors.stats.tables import Column, Table
from complaints.services.statistics import statistics_refresh
from tests.complaints.selectors.stats.test_summary import stats_world
from tests.otp import VerifiedClient as Client

pytestmark = pytest.mark.django_db


def test_each_kind_of_chart_names_its_scale(english):
    def table(chart, *kinds):
        columns = [Column("name", "Name", "text")]
        columns += [Column(f"v{n}", label, kind) for n, (label, kind) in enumerate(kinds)]
        return Table(key="t", title="T", chart=chart, columns=columns, rows=[])

    assert "Logarithmic" in table("funnel", ("Count", "int")).scale
    assert "share of the whole" in table("pie", ("Complaints", "int")).scale
    assert table("rate_bar", ("Precision", "rate"), ("Recall", "rate")).scale == (
        "Linear scale from 0% to 100%."
    )
    assert table("bar", ("Cases", "int")).scale == "Linear scale from zero, in numbers of cases."


def test_every_dashboard_chart_shows_its_scale_on_the_page(app, other_app, rita, olivia, english):
    stats_world(app=app, other_app=other_app, rita=rita, olivia=olivia)
    statistics_refresh()
    today = timezone.localdate()
    tables = dashboard(StatsFilter(start_date=today.replace(year=today.year - 1), end_date=today))
    assert {t.key for t in tables.tables} == set(DASHBOARD_TABLES)
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(rita)
    page = client.get("/dashboard/").content.decode()
    for t in tables.tables:
        assert f'data-scale="{t.key}">{t.scale}<' in page.replace("&#x27;", "'"), t.key
    funnel = next(t for t in tables.tables if t.chart == "funnel")
    assert "Logarithmic scale" in funnel.scale
