"""Early warning at scale (issue 18): clustering newly classified complaints and the daily
alerting job over a table of up to 1,000,000 complaints in PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/appwatch_bench_ew \
        .venv/bin/python -m benchmarks.early_warning_bench --complaints 1000000

With DATABASE_URL on PostgreSQL it fills that database up to --complaints (benchmarks.generation,
the demo registry) and reuses it on the next run; without it (as under `make bench`) it makes a
scratch database on BENCH_POSTGRES_URL's server and drops it afterwards. `measure()` returns the
figures; `main()` prints them and writes var/bench/early_warning.json.

Clustering is incremental: the cost of a classification batch of 200 complaints, measured on the
newest complaints as they arrive (each compares itself with at most CLUSTER_CANDIDATES recent
ones and the exemplars of live clusters, whatever the table holds). It is measured twice: with
no app inspected (no SDK scope), then with every app's package found to embed a few common
SDKs (`sdks_embed`: Umeng in most apps, as in the campaign's findings), so that each complaint
in an SDK-harm category is first tried against the SDK clusters across companies. The daily job
runs once for yesterday. Both are compared with the statistics refresh budget (STATISTICS_REFRESH_SECONDS,
30 s: the work beat does between two refreshes).
"""

import argparse
import datetime
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from benchmarks.generation import complaints_generate  # noqa: E402
from complaints.models import Complaint  # noqa: E402
from early_warning.clustering import complaints_cluster  # noqa: E402
from early_warning.daily import early_warning_run  # noqa: E402
from early_warning.models import Alert, Cluster, ClusterMembership  # noqa: E402
from inspections import catalogue  # noqa: E402
from inspections.models import AppInspection, EmbeddedSdk  # noqa: E402
from inspections.services import embedded_sdks_refresh  # noqa: E402

BATCH = 200  # CLASSIFY_BATCH_SIZE: what one classification run hands to clustering


def _timed(function, *args, **kwargs) -> tuple[object, float, float]:
    """(result, wall seconds, this process's CPU seconds)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def ensure_complaints(total: int) -> int:
    missing = total - Complaint.objects.count()
    if missing > 0:
        started = time.perf_counter()
        complaints_generate(count=missing, seed=18)
        print(
            f"generated {missing:,} complaints in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
        with connection.cursor() as cursor:
            for model in (Complaint, Complaint.categories.through):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    return Complaint.objects.count()


# SDK ids and the share of apps that embed each (the rest of an app's SDKs drawn from the
# catalogue): a push or analytics SDK of one vendor in most apps is what makes SDK scope costly.
COMMON_SDKS = {"umeng_analytics": 0.7, "umeng_push": 0.5, "getui": 0.4, "bugly": 0.4}


def sdks_embed(*, embed: bool, seed: int = 17) -> int:
    """Give every app a finished inspection that found a few SDKs (or, embed=False, none);
    returns the EmbeddedSdk rows."""
    from complaints.models import App

    EmbeddedSdk.objects.all().delete()
    AppInspection.objects.filter(stored_name="bench.apk").delete()
    if not embed:
        return 0
    rng = random.Random(seed)
    entries = {sdk["id"]: sdk for sdk in catalogue.sdks()}
    now = timezone.now()
    for app in App.objects.order_by("pk"):
        chosen = {sdk_id for sdk_id, share in COMMON_SDKS.items() if rng.random() < share}
        chosen |= set(rng.sample(sorted(entries), 3))
        found = catalogue.sdks_detect([entries[i]["prefixes"][0] + ".a" for i in chosen], [])
        AppInspection.objects.create(
            app=app,
            uploaded_at=now,
            inspected_at=now,
            status=AppInspection.Status.DONE,
            stored_name="bench.apk",
            file_sha256="0" * 64,
            file_size=1,
            sdks=found,
        )
        with transaction.atomic():
            embedded_sdks_refresh(app_id=app.pk)
    return EmbeddedSdk.objects.count()


def measure_clustering(*, batches: int = 10) -> dict:
    """Clustering `batches` batches of the newest complaints (oldest first, as they arrived),
    from no clusters."""
    Cluster.objects.all().delete()  # each run starts from no clusters, so runs compare
    newest = list(
        Complaint.objects.filter(cluster_membership__isnull=True)
        .order_by("-submitted_at")
        .values_list("pk", flat=True)[: batches * BATCH]
    )
    newest.reverse()  # oldest first, as they would have arrived
    batch_times = []
    cpu_total = 0.0
    for start in range(0, len(newest), BATCH):
        _result, wall, cpu = _timed(complaints_cluster, complaint_ids=newest[start : start + BATCH])
        batch_times.append(wall)
        cpu_total += cpu
    batch_times.sort()
    return {
        "batch_median_s": round(batch_times[len(batch_times) // 2], 3),
        "batch_max_s": round(batch_times[-1], 3),
        "per_complaint_ms": round(1000 * sum(batch_times) / max(len(newest), 1), 2),
        "cluster_cpu_per_complaint_ms": round(1000 * cpu_total / max(len(newest), 1), 2),
        "joined_or_founded": ClusterMembership.objects.filter(complaint_id__in=newest).count(),
        "clusters": Cluster.objects.count(),
        "sdk_clusters": Cluster.objects.filter(kind=Cluster.Kind.SDK).count(),
        "load_average": os.getloadavg(),
    }


def measure(*, batches: int = 10) -> dict:
    """Figures for the database as it is: clustering `batches` batches of the newest
    complaints (oldest first, as they arrived) without and with SDKs embedded in the apps, then
    the daily job for yesterday."""
    sdks_embed(embed=False)
    plain = measure_clustering(batches=batches)
    embedded_rows = sdks_embed(embed=True)
    with_sdks = measure_clustering(batches=batches)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Alert.objects.filter(day_date=yesterday).delete()  # a rerun measures the same work
    alerts, daily_wall, daily_cpu = _timed(early_warning_run, day=yesterday)
    budget = float(os.environ.get("STATISTICS_REFRESH_SECONDS", 30))
    slowest = max(plain["batch_max_s"], with_sdks["batch_max_s"])
    return {
        "complaints": Complaint.objects.count(),
        "clustered_complaints": batches * BATCH,
        "batch_size": BATCH,
        **plain,
        "with_sdks": {**with_sdks, "embedded_sdk_rows": embedded_rows},
        "daily_job_s": round(daily_wall, 2),
        "daily_job_cpu_s": round(daily_cpu, 2),
        "daily_alerts": len(alerts),
        "budget_s": budget,
        "within_budget": slowest <= budget and daily_wall <= budget,
        "load_average": os.getloadavg(),
    }


def run_in_scratch_database(argv: list[str]) -> None:
    """Make a PostgreSQL database for this run, give it the schema and the demo registry, run
    the benchmark there, drop it."""
    import subprocess

    from benchmarks.scratch import (
        ROOT,
        create_database,
        drop_databases,
        env_for,
        migrate_with_registry,
    )

    name = f"appwatch_bench_ew_{os.getpid()}"
    create_database(name)
    env = env_for(name)
    try:
        migrate_with_registry(env)
        subprocess.run(
            [sys.executable, "-m", "benchmarks.early_warning_bench", *argv],
            cwd=ROOT,
            env=env,
            check=True,
        )
    finally:
        drop_databases(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--complaints", type=int, default=int(os.environ.get("BENCH_EW_COMPLAINTS", 1_000_000))
    )
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument(
        "--output", default=str(Path(settings.VAR_DIR) / "bench" / "early_warning.json")
    )
    args = parser.parse_args(sys.argv[1:] if __name__ == "__main__" else [])
    if connection.vendor != "postgresql":
        run_in_scratch_database(sys.argv[1:] if __name__ == "__main__" else [])
        return
    ensure_complaints(args.complaints)
    figures = measure(batches=args.batches)
    figures.update(date=str(timezone.localdate()), machine=platform.node())
    sdk = figures["with_sdks"]
    print(
        f"\n{figures['complaints']:,} complaints · {platform.node()} · load {figures['load_average']}\n\n"
        "| measure | value |\n|---|---:|\n"
        f"| clustering, batch of {BATCH} (median / max) | {figures['batch_median_s']} s / {figures['batch_max_s']} s |\n"
        f"| clustering per complaint (wall / worker CPU) | {figures['per_complaint_ms']} ms / {figures['cluster_cpu_per_complaint_ms']} ms |\n"
        f"| with SDKs embedded: batch (median / max) | {sdk['batch_median_s']} s / {sdk['batch_max_s']} s |\n"
        f"| with SDKs embedded: per complaint (wall / CPU) | {sdk['per_complaint_ms']} ms / {sdk['cluster_cpu_per_complaint_ms']} ms |\n"
        f"| clusters (SDK clusters) without / with SDKs | {figures['clusters']} ({figures['sdk_clusters']}) / {sdk['clusters']} ({sdk['sdk_clusters']}) |\n"
        f"| daily job, yesterday (wall / CPU) | {figures['daily_job_s']} s / {figures['daily_job_cpu_s']} s |\n"
        f"| within the {figures['budget_s']:.0f} s refresh budget | {'yes' if figures['within_budget'] else '**no**'} |"
    )  # fmt: skip
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
