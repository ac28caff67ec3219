"""CPU time of the read pages `make loadtest` requests (issue 14: reads beside 200 filings/s),
page by page, through Django's test client in one process, timed with time.process_time (the
machine is shared: CPU time, not wall time).

    .venv/bin/python -m benchmarks.read_cost DATABASE_URL [--code DIR] [--repeats 40]
        [--profile LABEL] [--queries]

DATABASE_URL: a database with the schema and the demo data (`manage.py demo_data`), with as
many complaints as the run should see (`manage.py generate_complaints N`). --code: the
checkout to measure (an earlier revision, for a before/after in the same minutes: run both
alternately). A regulator signed in with both factors reads the regulator pages, an anonymous
visitor the public ones; each page is read in turn, so shared figures and rendered pages age as
they do under the loadtest's mix (STATS_SHARED_SECONDS as configured). --profile: cProfile
over that page's requests, top entries printed. --queries: the SQL count of each page's last
request. Prints one JSON line last: per page, the median and p90 CPU-ms.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

from benchmarks.loadtest import READS

# The loadtest's read pages, and the complaint page its regulators open from the queue.
PAGES = {
    **READS,
    "GET /triage/<id>/": ("/triage/{complaint}/", True),
}

REGULATOR = "read-cost-regulator"


def run() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--profile", default="")
    parser.add_argument("--queries", action="store_true")
    args = parser.parse_args()
    code = args.code.resolve()
    sys.path.insert(0, str(code))
    os.chdir(code)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL=args.database_url, LOG_LEVEL="ERROR"
    )
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.http import HttpRequest
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_otp import login as otp_login
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from complaints import roles, workflow
    from complaints.models import App, Complaint

    user, _ = User.objects.get_or_create(username=REGULATOR)
    user.groups.add(Group.objects.get(name=roles.REGULATOR))
    device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(
        user=user, name="app", confirmed=True
    )
    regulator = Client()
    regulator.force_login(user)
    request = HttpRequest()
    request.session = regulator.session
    request.user = user
    otp_login(request, device)
    request.session.save()
    public = Client()
    ids = {
        "app": App.objects.order_by("pk").values_list("pk", flat=True).first(),
        "complaint": Complaint.objects.filter(status__in=workflow.AWAITING_DECISION)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first(),
    }
    profiler = cProfile.Profile() if args.profile else None
    times: dict[str, list[float]] = {label: [] for label in PAGES}
    queries: dict[str, int] = {}
    for index in range(args.warmup + args.repeats):
        for label, (path, as_regulator) in PAGES.items():
            client = regulator if as_regulator else public
            url = path.format(**ids)
            profiling = profiler is not None and label == args.profile and index >= args.warmup
            if profiling:
                profiler.enable()
            with CaptureQueriesContext(connection) as captured:
                started = time.process_time()
                response = client.get(url)
                spent = (time.process_time() - started) * 1000
            if profiling:
                profiler.disable()
            assert response.status_code == 200, (label, response.status_code)
            if index >= args.warmup:
                times[label].append(spent)
            queries[label] = len(captured)
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(
            os.environ.get("SORT", "cumulative")
        ).print_stats(os.environ.get("FILTER", ""), 70)
        print(out.getvalue())
    figures = {
        label: {
            "median_ms": round(statistics.median(values), 2),
            "p90_ms": round(statistics.quantiles(values, n=10)[-1], 2),
            **({"queries": queries[label]} if args.queries else {}),
        }
        for label, values in times.items()
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    run()
