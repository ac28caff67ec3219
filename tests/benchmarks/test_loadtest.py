"""`make loadtest` and the filing-cost benchmark, run briefly: the machinery starts the
platform, drives it and produces every figure. Never a speed: benchmarks/RESULTS.md holds
those, measured on purpose.

They start their own Redis and a scratch database on the PostgreSQL server of
BENCH_POSTGRES_URL (the suite's server), like `make chaos`.
"""

import shutil

import pytest

from benchmarks import filing_cost, loadtest

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.real_clock,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


def test_a_short_loadtest_produces_every_figure():
    figures = loadtest.run(seconds=8, users=8)
    rows = figures["endpoints"]
    assert rows[loadtest.FILING]["requests"] > 0
    # Consumers, a regulator past both factors, the public: each got answers.
    assert any(name in rows for name in loadtest.DASHBOARDS), sorted(rows)
    assert any(
        name.startswith(("GET /board/", "GET /apps/", "GET /api/v1/public/")) for name in rows
    )
    for name, row in rows.items():
        assert row["requests"] > 0 and row["failures"] == 0, (name, row, figures["errors"])
        assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]
    assert figures["errors"] == []
    # Every filing answered 201 was stored, and at most one more per person: the requests
    # still in flight when the run stopped.
    filed = sum(rows[name]["requests"] for name in (loadtest.FILING, loadtest.FILING_EVIDENCE))
    assert filed <= figures["stored"] <= filed + 8
    found = loadtest.summary(figures)
    assert set(found) == {
        "filings_per_s",
        "filings_ratio_to_target",
        "filing_p95_ms",
        "dashboard_p95_ms",
        "failures",
        "web_cpu_ms_per_request",
    }
    text, name, document = loadtest.record(figures)
    assert loadtest.FILING in text and "Load average" in text
    assert name.startswith("loadtest-") and document["filings_per_s"] == found["filings_per_s"]


def test_the_filing_cost_benchmark_produces_every_figure():
    figures = {f.name: f for f in filing_cost.figures(rounds=1, count=10)}
    for name in (
        "first_filing_fresh_worker",
        "api_filing_cpu",
        "baseline_orm_create_cpu",
        "api_filing_cpu_ratio",
        "throttle_redis_refused_share",
    ):
        assert figures[name].value > 0, figures[name]
    # Redis counts every client, so everyone over the limit is refused (the platform's
    # script as Django's cache).
    assert figures["throttle_redis_refused_share"].value == 1.0
    assert figures["throttle_redis_script_refused_share"].value == 1.0
