"""Freshness is the selectors' concern: a selector that reads the statistics summary
refreshes a stale one first, once per call however many summary readers it uses."""

import pytest

from complaints.selectors import operators, stats
from complaints.selectors.stats import StatsFilter
from complaints.services.statistics import statistics_age_seconds

pytestmark = pytest.mark.django_db


@pytest.fixture
def freshness_checks(monkeypatch):
    """Counts the freshness checks the selectors make (without refreshing anything)."""
    calls = []
    monkeypatch.setattr(
        "complaints.selectors.stats.summary.statistics_ensure_fresh", lambda: calls.append(1)
    )
    return calls


def test_a_summary_reader_builds_a_summary_never_built():
    assert statistics_age_seconds() is None

    stats.dashboard(StatsFilter.last_days(30))

    assert statistics_age_seconds() is not None


@pytest.mark.parametrize(
    "read",
    [
        lambda: stats.dashboard(StatsFilter.last_days(30)),
        lambda: stats.dashboard_table(StatsFilter.last_days(30), "funnel"),
        lambda: stats.platform_statistics(StatsFilter.last_days(365)),
        lambda: stats.platform_figures(StatsFilter.last_days(365)),
        lambda: stats.public_table(StatsFilter.last_days(365), "top_apps"),
        lambda: stats.published_count(),
        lambda: operators.operator_dashboard(set()),
    ],
    ids=[
        "dashboard",
        "dashboard_table",
        "platform_statistics",
        "platform_figures",
        "public_table",
        "published_count",
        "operator_dashboard",
    ],
)
def test_each_summary_reader_checks_freshness_once(freshness_checks, read):
    read()

    assert freshness_checks == [1]


def test_scorecards_check_freshness_once(freshness_checks, app, company):
    stats.app_scorecard(app)
    stats.operator_scorecard(company)

    assert freshness_checks == [1, 1]


def test_the_board_reads_cases_only_and_does_not_check(freshness_checks):
    stats.board_counts()
    list(stats.board())

    assert freshness_checks == []
