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
    figures = loadtest.run(
        rate=8, seconds=6, step=4, step_max=8, step_seconds=3, users=12, regulators=2, public_rate=3
    )
    steps = [p for p in figures["phases"] if p["kind"] == "step"]
    assert [p["rate"] for p in steps][:1] == [4]  # the step starts low and stops at a miss
    part = loadtest.sustained(figures)
    assert part["rate"] == 8 and part["issued"] >= 40  # paced: due filings, not answers
    rows = part["endpoints"]
    assert rows[loadtest.FILING]["requests"] > 0
    assert rows[loadtest.FILING_DUE]["requests"] > 0
    # Consumers, a regulator past both factors, the public: each got answers.
    assert any(name in rows for name in loadtest.DASHBOARDS), sorted(rows)
    assert any(
        name.startswith(("GET /board/", "GET /apps/", "GET /api/v1/public/")) for name in rows
    )
    for phase in figures["phases"]:
        for name, row in phase["endpoints"].items():
            assert row["failures"] == 0, (name, row, phase["errors"])
            if row["requests"]:
                assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"], (name, row)
        assert phase["errors"] == []
        assert set(phase["cpu_cores"]) == {"locust", "web", "worker", "redis", "machine"}
        assert phase["cpu_cores"]["locust"] > 0 and phase["cpu_cores"]["web"] > 0
    # Every filing answered 201 was stored, and at most one more per connection: the
    # requests still in flight when the run stopped.
    filed = sum(
        p["endpoints"].get(name, {}).get("requests", 0)
        for p in figures["phases"]
        for name in (loadtest.FILING, loadtest.FILING_EVIDENCE)
    )
    assert filed <= figures["stored"] <= filed + 12
    assert set(figures["reads_cpu_ms_before"]) == set(loadtest.READS)
    assert all(v > 0 for v in figures["reads_cpu_ms_after"].values())
    found = loadtest.summary(figures)
    assert set(found["met"]) == {"rate", "filing_p95", "no_errors", "dashboard_p95"}
    assert found["met"]["rate"] is False  # 8/s offered is not the 200/s the issue asks
    text, name, document = loadtest.record(figures)
    assert loadtest.FILING_DUE in text and "Load average before" in text
    assert "Capacity step" in text and "locust" in text and "missed" in text
    assert name.startswith("loadtest-") and document["filings_per_s"] == found["filings_per_s"]


def test_the_filing_cost_benchmark_produces_every_figure():
    figures = {f.name: f for f in filing_cost.figures(rounds=1, count=10)}
    for name in (
        "first_filing_fresh_worker",
        "api_filing_cpu",
        "baseline_orm_create_cpu",
        "api_filing_cpu_ratio",
        "api_photo_filing_cpu",
        "throttle_redis_refused_share",
    ):
        assert figures[name].value > 0, figures[name]
    # Redis counts every client, so everyone over the limit is refused (the platform's
    # script as Django's cache).
    assert figures["throttle_redis_refused_share"].value == 1.0
    assert figures["throttle_redis_script_refused_share"].value == 1.0
