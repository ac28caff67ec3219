"""`make bench`'s figures that existing benchmark modules measure, each called at the harness's
sizes and turned into figures against its baseline: classification (classifier_bench's timing
functions on the active model, against the keyword baseline), the classification drain
(drain_bench: batched tasks against one task per complaint), bulk import (import_bench:
import_complaints against psycopg COPY and bulk_create) and dashboards (dashboard_bench, against
the naive ORM aggregate of baselines.py).

Each runs in processes of its own, so a module's Django set-up never meets another's.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

from benchmarks.figures import MAX_VALUE, MIN_RATIO, MIN_VALUE, Figure
from benchmarks.http_load import spread
from benchmarks.scratch import ROOT, SERVER, create_database, drop_databases, env_for
from benchmarks.stack import child_json, template_database


@dataclass(frozen=True)
class BatchSizes:
    repetitions: int = 5
    classify_batch: int = 10_000
    classify_single: int = 300
    drain_complaints: int = 600
    import_rows: int = 1_000_000
    dashboard_complaints: int = 1_000_000
    dashboard_cases: int = 500
    dashboard_requests: int = 50
    keep_dashboard_data: bool = True


CLASSIFY = """
import json, os, sys, statistics
import django
django.setup()
import numpy as np
from benchmarks.classifier_bench import batch_time, distinct_texts, single_times
from classifier import dataset
from classifier.baseline import KeywordBaseline
from classifier.serving import active_model
from django.conf import settings
runs, batch_size, singles = (int(a) for a in sys.argv[1:4])
model = active_model().model
keyword = KeywordBaseline()
train, test = dataset.corpus_split(settings.CLASSIFIER_CORPUS_DIR)
texts = [e.text for e in [*train, *test]]
model.predict("warm up")
out = {"model": {"batch": [], "batch_cpu": [], "p50": [], "p95": []}, "keyword": {"batch": [], "batch_cpu": [], "p50": [], "p95": []}}
for run in range(runs):
    batch = distinct_texts(texts[run:] + texts[:run], batch_size)
    one = distinct_texts(list(reversed(texts[run:] + texts[:run])), singles)
    for name, many, single in (("model", model.predict_proba, model.predict),
                               ("keyword", keyword.predict_labels, lambda t: keyword.predict_labels([t]))):
        wall, cpu = batch_time(many, batch)
        out[name]["batch"].append(batch_size / wall)
        out[name]["batch_cpu"].append(batch_size / cpu)
        latencies, _ = single_times(single, one)
        out[name]["p50"].append(float(np.percentile(latencies, 50)))
        out[name]["p95"].append(float(np.percentile(latencies, 95)))
print(json.dumps(out))
"""


def classification(env: dict, sizes: BatchSizes) -> list[Figure]:
    """The active model (with explanations for single texts, as the worker classifies) and
    the keyword baseline on the same distinct texts, in one process."""
    r = child_json(
        CLASSIFY,
        {**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        str(sizes.repetitions),
        str(sizes.classify_batch),
        str(sizes.classify_single),
    )
    model, keyword = r["model"], r["keyword"]
    med = statistics.median
    return [
        Figure(
            name="classify_batch_docs_per_cpu_s", value=med(model["batch_cpu"]), unit="docs/CPU-s",
            baseline_name="keyword baseline", baseline=med(keyword["batch_cpu"]),
            higher_is_better=True, target=3000, target_kind=MIN_VALUE,
            spread=spread(model["batch_cpu"]),
            note=f"batch of {sizes.classify_batch:,}; wall {med(model['batch']):,.0f} docs/s "
            f"(keyword {med(keyword['batch']):,.0f}); per core = per CPU-second",
        ),
        Figure(
            name="classify_single_p95", value=med(model["p95"]), unit="ms",
            baseline_name="keyword baseline, p95", baseline=med(keyword["p95"]),
            higher_is_better=False, target=5, target_kind=MAX_VALUE, spread=spread(model["p95"]),
            note=f"{sizes.classify_single:,} texts one by one with explanations; "
            f"p50 {med(model['p50']):.2f} ms",
        ),
    ]  # fmt: skip


DRAIN = """
import json, sys
from benchmarks import drain_bench
print(json.dumps(drain_bench.measure(int(sys.argv[1]), int(sys.argv[2]), ["single", "filing"])))
"""


def drain(sizes: BatchSizes) -> Figure:
    """drain_bench's backlog as a 60 s burst with the worker stopped leaves it (its "filing"
    mode), against one task per complaint ("single")."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    r = child_json(DRAIN, env, str(sizes.drain_complaints), str(sizes.repetitions))
    filing, single = r["filing"], r["single"]
    return Figure(
        name="drain_per_worker_process", value=statistics.median(filing["walls"]),
        unit="complaints/s", baseline_name="one task per complaint",
        baseline=statistics.median(single["walls"]), higher_is_better=True, target=300,
        target_kind=MIN_VALUE, spread=spread(filing["walls"]),
        cpu_ms_per_op=1000 / statistics.median(filing["cpus"]),
        note=f"backlog of {sizes.drain_complaints:,}, one worker process (--pool solo); "
        f"{statistics.median(filing['cpus']):,.0f} complaints per worker CPU-second",
    )  # fmt: skip


IMPORT = """
import json, sys
from benchmarks import import_bench
print(json.dumps(import_bench.compare(int(sys.argv[1]), int(sys.argv[2]))))
"""


def bulk_import(sizes: BatchSizes) -> list[Figure]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    r = child_json(IMPORT, env, str(sizes.import_rows), str(sizes.repetitions))
    chunk = sizes.import_rows // sizes.repetitions
    common = dict(
        value=statistics.median(r["import"]), unit="rows/s", higher_is_better=True,
        spread=spread(r["import"]),
        note=f"{sizes.import_rows:,} rows in {sizes.repetitions} chunks of {chunk:,} into a growing "
        f"table; import CPU {statistics.median(r['import_cpu_us_per_row']):.0f} µs per row "
        "(command, reader, PostgreSQL)",
    )  # fmt: skip
    return [
        Figure(name="bulk_import", baseline_name="psycopg COPY of the same rows",
               baseline=statistics.median(r["copy"]), target=0.5, **common),
        Figure(name="bulk_import_vs_bulk_create",
               baseline_name="Django bulk_create (a fiftieth of each chunk)",
               baseline=statistics.median(r["orm"]), **common),
    ]  # fmt: skip


NAIVE = """
import json
import django
django.setup()
from benchmarks.baselines import naive_dashboard_aggregate
print(json.dumps(naive_dashboard_aggregate()))
"""


def _exists(database: str) -> bool:
    with psycopg.connect(SERVER, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        return found.fetchone() is not None


def dashboards(sizes: BatchSizes) -> list[Figure]:
    """dashboard_bench in a database of its own, then the naive aggregate there. At full size
    the database is kept between runs (named for the schema's migrations): filling it with a
    million complaints and their history takes longer than the rest of the run, and
    dashboard_bench tops up what is there."""
    template = template_database()
    name = f"appwatch_bench_dashboard_{sizes.dashboard_complaints}_{template.rsplit('_', 1)[-1]}"
    if sizes.keep_dashboard_data:
        print(f"bench: dashboards in {name} (kept between runs, as dashboard_bench's own)")
    else:
        drop_databases(name)
    if not _exists(name):
        create_database(name, template=template)
    env = {**env_for(name), "DJANGO_SETTINGS_MODULE": "config.settings"}
    try:
        with tempfile.TemporaryDirectory() as folder:
            output = Path(folder) / "dashboard.json"
            subprocess.run(
                [sys.executable, "-m", "benchmarks.dashboard_bench",
                 "--complaints", str(sizes.dashboard_complaints),
                 "--cases", str(sizes.dashboard_cases),
                 "--requests", str(sizes.dashboard_requests), "--output", str(output),
                 "--pages-only"],
                cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            pages = json.loads(output.read_text())["pages"]
        naive = child_json(NAIVE, {**env, "DJANGO_SETTINGS_MODULE": "benchmarks.settings"})
    finally:
        if not sizes.keep_dashboard_data:
            drop_databases(name)
    out = []
    groups = {
        "dashboard_p95_worst": {k: v for k, v in pages.items() if "/api/" not in k},
        "stats_api_p95_worst": {k: v for k, v in pages.items() if "/api/" in k},
    }
    for figure, group in groups.items():
        rounds = [max(page["rounds_p95_ms"][i] for page in group.values()) for i in range(5)]
        worst = max(group, key=lambda k: group[k]["p95_ms"])
        out.append(
            Figure(
                name=figure,
                value=statistics.median(rounds),
                unit="ms",
                baseline_name="naive ORM aggregate over the complaint table",
                baseline=naive["median_ms"],
                higher_is_better=False,
                target=200,
                target_kind=MAX_VALUE,
                spread=spread(rounds),
                note=f"{sizes.dashboard_complaints:,} complaints; slowest: {worst} "
                f"(p95 {group[worst]['p95_ms']} ms over {group[worst]['requests']} requests)",
            )  # fmt: skip
        )
    worst = out[0]
    out.append(
        Figure(
            name="dashboard_vs_naive",
            value=worst.value,
            unit="ms",
            baseline_name=worst.baseline_name,
            baseline=worst.baseline,
            higher_is_better=False,
            target=10,
            target_kind=MIN_RATIO,
            spread=worst.spread,
            note="the slowest dashboard page's p95 against the naive aggregate's median; "
            "naive runs " + ", ".join(f"{t:.0f}" for t in naive["runs_ms"]) + " ms",
        )  # fmt: skip
    )
    return out
