"""`make bench`'s figures: the ratio points the way that is better, a target reads as a least
ratio or a limit, and a result file with a figure missing, not a number or skipped without
leave is incomplete (what `make bench-smoke` fails on)."""

import json
import math

from benchmarks.figures import MAX_VALUE, MIN_RATIO, MIN_VALUE, Figure, markdown_table, problems
from benchmarks.figures import skipped as skipped_figure

RUNS = {"median": 40.0, "min": 35.0, "max": 44.0, "runs": [35.0, 39.0, 40.0, 41.0, 44.0]}


def rate(**kwargs) -> Figure:
    values = dict(
        name="api_filing_c8", value=40.0, unit="req/s", baseline_name="minimal view",
        baseline=160.0, higher_is_better=True, target=0.5, spread=RUNS,
    )  # fmt: skip
    return Figure(**{**values, **kwargs})


def latency(**kwargs) -> Figure:
    values = dict(
        name="api_filing_p95_c8", value=80.0, unit="ms", baseline_name="minimal view, p95",
        baseline=20.0, higher_is_better=False, target=50, target_kind=MAX_VALUE, spread=RUNS,
    )  # fmt: skip
    return Figure(**{**values, **kwargs})


def result(*figures: Figure) -> dict:
    return {"revision": "abc1234", "machine": {}, "figures": [f.as_dict() for f in figures]}


def test_a_rate_is_divided_by_its_baseline_and_judged_by_the_least_ratio():
    figure = rate().as_dict()
    assert figure["ratio"] == 0.25
    assert figure["met"] is False
    assert rate(value=80.0).ratio == 0.5 and rate(value=80.0).met is True
    assert rate(value=79.9).met is False


def test_a_time_is_its_baseline_divided_by_it_and_judged_by_its_limit():
    figure = latency().as_dict()
    assert figure["ratio"] == 0.25  # 20 ms against 80 ms: four times slower
    assert figure["met"] is False
    assert latency(value=50.0).met is True
    assert latency(value=50.01).met is False


def test_a_least_value_is_met_at_the_value_not_the_ratio():
    figure = rate(value=3000.0, baseline=12000.0, target=3000, target_kind=MIN_VALUE)
    assert figure.ratio == 0.25 and figure.met is True
    assert rate(value=2999.0, baseline=12000.0, target=3000, target_kind=MIN_VALUE).met is False


def test_without_a_target_nothing_is_judged():
    assert rate(target=None).as_dict()["met"] is None


def test_a_complete_result_has_no_problems_and_is_valid_json():
    data = result(rate(), latency())
    assert problems(data, ["api_filing_c8", "api_filing_p95_c8"]) == []
    json.loads(json.dumps(data, allow_nan=False))


def test_a_missing_figure_or_key_is_a_problem():
    assert problems(result(rate()), ["api_filing_c8", "web_filing"]) == ["web_filing: missing"]
    assert problems({"figures": []}, []) == ["no revision", "no machine"]


def test_a_value_or_baseline_that_is_not_a_number_is_a_problem():
    data = result(rate(baseline=float("nan")), latency(value=0.0))
    assert problems(data, []) == [
        "api_filing_c8: baseline is None",
        "api_filing_c8: ratio is None",
        "api_filing_p95_c8: ratio is None",
    ]


def test_fewer_than_five_repetitions_is_a_problem():
    few = {**RUNS, "runs": [35.0, 40.0, 44.0, 41.0]}
    assert problems(result(rate(spread=few)), []) == ["api_filing_c8: fewer than 5 repetitions"]


def test_only_the_outside_reference_may_be_skipped():
    reason = "django-helpdesk 2.6.1 could not be installed: no network"
    helpdesk = skipped_figure("api_filing_vs_helpdesk_c8", "req/s", "django-helpdesk", reason)
    assert problems(result(helpdesk), ["api_filing_vs_helpdesk_c8"]) == []
    web = skipped_figure("web_filing", "filings/s", "minimal view", "no server")
    assert problems(result(web), []) == ["web_filing: skipped (no server)"]


def test_nan_never_reaches_the_json():
    figure = rate(value=float("nan"), spread={"median": math.nan, "runs": [math.inf] * 5})
    data = figure.as_dict()
    assert data["value"] is None and data["ratio"] is None
    assert data["spread"] == {"median": None, "runs": [None] * 5}


def test_the_table_says_which_targets_are_not_met():
    rows = markdown_table([rate().as_dict(), latency(value=40.0).as_dict()])
    assert rows[2] == (
        "| `api_filing_c8` | 40.0 req/s (35.0–44.0) | – | minimal view: 160 req/s | 0.25× "
        "| ≥ 0.5× **not met** |"
    )
    assert rows[3] == (
        "| `api_filing_p95_c8` | 40.0 ms (35.0–44.0) | – | minimal view, p95: 20.0 ms | 0.50× "
        "| ≤ 50.0 ms met |"
    )
    assert rate().target_kind == MIN_RATIO  # the default
