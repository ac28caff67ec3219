"""What the regulator dashboard's SDK ranking costs as inspections pile up: N apps, each with
two finished inspections (only the newer one counts) of 6 SDKs from the catalogue, and one
attribution per 20 apps on a case holding 5 complaints.

    .venv/bin/python -m benchmarks.sdk_ranking_bench [--apps 2000 --apps 10000 --apps 40000]

Without a PostgreSQL DATABASE_URL it makes a scratch database for the run (as triage_bench).

Times `sdk_ranking()` (the selector behind the dashboard table and GET /api/v1/sdks/ranking/):
wall and CPU time, median of 5 after one warm-up, and its query count. Prints a Markdown table
and writes var/bench/sdk_ranking.json. Running it again adds apps up to the next size.
"""

import argparse
import datetime
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from complaints.models import App, Case  # noqa: E402
from inspections import catalogue, selectors  # noqa: E402
from inspections.models import AppInspection, EmbeddedSdk, SdkAttribution  # noqa: E402

SDKS_PER_PACKAGE = 6
APPS_PER_ATTRIBUTION = 20


def _fill(target: int) -> None:
    """Apps with two finished inspections each, up to `target` apps in all."""
    have = App.objects.filter(name__startswith="bench-sdk-").count()
    table = catalogue.sdks()
    rng = random.Random(have)
    now = timezone.now()
    for start in range(have, target, 1000):
        apps = App.objects.bulk_create(
            [App(name=f"bench-sdk-{i}") for i in range(start, min(start + 1000, target))]
        )
        rows = []
        for app in apps:
            for age, version in ((2, "1.0"), (1, "1.1")):
                chosen = rng.sample(table, SDKS_PER_PACKAGE)
                rows.append(
                    AppInspection(
                        app=app, status=AppInspection.Status.DONE, version_name=version,
                        uploaded_at=now - datetime.timedelta(days=age), stored_name="-",
                        file_sha256="0" * 64, file_size=1,
                        sdks=[{"id": s["id"], "name": s["name"], "vendor": s["vendor"],
                               "category": s["category"], "personal_data": s["personal_data"],
                               "evidence": [f"dex:{s['prefixes'][0]}"]} for s in chosen],
                    )
                )  # fmt: skip
        inspections = AppInspection.objects.bulk_create(rows)
        # What the worker writes when each app's newer inspection finishes.
        EmbeddedSdk.objects.bulk_create(
            EmbeddedSdk(app_id=i.app_id, inspection=i, sdk_id=sdk["id"])
            for i in inspections[1::2]
            for sdk in i.sdks
        )
        attributions = []
        for inspection in inspections[1::2][::APPS_PER_ATTRIBUTION]:
            case = Case.objects.create(app_id=inspection.app_id, reference=f"B-{inspection.pk}")
            sdk = inspection.sdks[0]
            attributions.append(
                SdkAttribution(
                    case=case, inspection=inspection, sdk_id=sdk["id"], sdk_name=sdk["name"],
                    vendor=sdk["vendor"], attributed_at=now,
                )
            )  # fmt: skip
        SdkAttribution.objects.bulk_create(attributions)


def _time() -> dict:
    selectors.sdk_ranking()  # warm-up
    walls, cpus = [], []
    for _ in range(5):
        wall, cpu = time.perf_counter(), time.process_time()
        selectors.sdk_ranking()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    with CaptureQueriesContext(connection) as queries:
        selectors.sdk_ranking()
    return {
        "wall_ms": round(statistics.median(walls) * 1000, 1),
        "cpu_ms": round(statistics.median(cpus) * 1000, 1),
        "queries": len(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, action="append", help="default 2000 10000 40000")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        from benchmarks.triage_bench import run_in_scratch_database

        run_in_scratch_database(sys.argv[1:], module="benchmarks.sdk_ranking_bench")
        return
    results = []
    for size in sorted(args.apps or [2000, 10000, 40000]):
        _fill(size)
        results.append({"apps": size, "inspections": 2 * size, **_time()})
    load = os.getloadavg()[0]
    print(
        f"{platform.node()} {connection.vendor} load {load:.1f} {timezone.now():%Y-%m-%d %H:%M} UTC"
    )
    print("| apps | inspections | wall (median of 5) | CPU | queries |\n|---|---|---|---|---|")
    for row in results:
        print(f"| {row['apps']:,} | {row['inspections']:,} | {row['wall_ms']} ms | {row['cpu_ms']} ms | {row['queries']} |")  # fmt: skip
    out = Path("var/bench/sdk_ranking.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"load_average": load, "results": results}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
