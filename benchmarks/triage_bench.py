"""Server time of the triage queue, complaint detail and case page with 100,000 complaints in
PostgreSQL (issue 5's figure: p95 <= 150 ms, queries per page independent of the data size).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/appwatch_bench_triage \
        .venv/bin/python -m benchmarks.triage_bench --complaints 100000 --requests 300

With DATABASE_URL on PostgreSQL it fills that database up to --complaints (synthetic complaints
via benchmarks.generation, a status history for each, cases with their complaints,
half of them under notice) and reuses the data on the next run. Without it (as under
`make bench`) it makes a scratch database on BENCH_POSTGRES_URL's server, migrates it, runs
there and drops it. Each page is served by Django's own WSGI handler in-process (middleware,
view, queries, template), so the figure is server time without network or WSGI server.
Prints a Markdown table and writes var/bench/triage.json.
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

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from benchmarks.generation import (  # noqa: E402
    FIXTURE_CHAIN_COLUMNS,
    complaints_generate,
    fixture_chain,
)
from complaints import workflow  # noqa: E402
from complaints.models import App, Case, Category, Company, CompanyMembership, Complaint, Event  # noqa: E402
from complaints.services import cases as case_services  # noqa: E402
from tests.otp import otp_verify_session  # noqa: E402

S = Complaint.Status
# Accepted complaints past linking (linking no longer moves them): the ones the generator's
# cases take in.
ON_A_CASE = [s for s in workflow.CONFIRMED if not workflow.complaint_can_move(s, S.LINKED)]
TARGET_P95_MS = 150.0


def _credit_code(n: int) -> str:
    from stdnum.cn import uscc

    body = f"91440300{n:09d}"
    return body + uscc.calc_check_digit(body)


def ensure_apps(count: int = 200) -> None:
    """Apps and operators to spread the complaints over (only when the registry is small)."""
    have = App.objects.count()
    if have >= 50:
        return
    companies = Company.objects.bulk_create(
        [
            Company(
                name=f"基准测试科技有限公司{i}",
                name_en=f"Bench Tech {i}",
                credit_code=_credit_code(900000 + i),
                contact_email=f"ops{i}@bench.example",
            )
            for i in range(count // 2)
        ]  # fmt: skip
    )
    App.objects.bulk_create(
        [
            App(
                name=f"基准应用{i}",
                package_name=f"com.bench.app{i}",
                operator=companies[i % len(companies)],
            )
            for i in range(count - have)
        ]  # fmt: skip
    )


def ensure_complaints(total: int) -> int:
    missing = total - Complaint.objects.count()
    if missing > 0:
        started = time.perf_counter()
        complaints_generate(count=missing, seed=5)
        print(
            f"generated {missing} complaints in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    return Complaint.objects.count()


def ensure_history() -> None:
    """Each generated complaint gets its filing event and, when it moved on, the transition."""
    table, events = Complaint._meta.db_table, Event._meta.db_table
    with connection.cursor() as cursor, transaction.atomic():
        cursor.execute(
            f"""
            INSERT INTO {events} (kind, complaint_id, actor_role, from_status, to_status, reason, data, public, created_at, {FIXTURE_CHAIN_COLUMNS})
            SELECT 'created', c.id, 'consumer', '', 'submitted', '', '{{}}'::jsonb, true, c.submitted_at,
                   {fixture_chain(events)}
            FROM {table} c WHERE NOT EXISTS (SELECT 1 FROM {events} e WHERE e.complaint_id = c.id)
            """
        )
        created = cursor.rowcount
        cursor.execute(
            f"""
            INSERT INTO {events} (kind, complaint_id, actor_role, from_status, to_status, reason, data, public, created_at, {FIXTURE_CHAIN_COLUMNS})
            SELECT 'transition', c.id, 'regulator', 'needs_review', c.status, '', '{{}}'::jsonb, true,
                   coalesce(c.decided_at, c.submitted_at + interval '1 hour'),
                   {fixture_chain(events)}
            FROM {table} c
            WHERE c.status NOT IN ('submitted', 'classified')
              AND (SELECT count(*) FROM {events} e WHERE e.complaint_id = c.id) = 1
            """
        )
        if created:
            print(
                f"history: {created} filing events, {cursor.rowcount} transitions", file=sys.stderr
            )


def ensure_people() -> tuple[User, User]:
    regulator, _ = User.objects.get_or_create(
        username="bench_regulator", defaults={"is_staff": True}
    )
    regulator.groups.add(Group.objects.get(name="regulator"))
    busiest = (
        App.objects.annotate(n=Count("complaints")).exclude(operator=None).order_by("-n").first()
    )
    operator, _ = User.objects.get_or_create(username="bench_operator")
    operator.groups.add(Group.objects.get(name="operator"))
    CompanyMembership.objects.get_or_create(user=operator, company_id=busiest.operator_id)
    return regulator, operator


def ensure_cases(count: int = 200) -> None:
    """Cases on the busiest apps and categories, their linked complaints attached, half under notice."""
    if Case.objects.exists():
        return  # made by an earlier run
    through = Complaint.categories.through
    pairs = (
        through.objects.filter(complaint__status__in=ON_A_CASE)
        .values("complaint__app_id", "category_id")
        .annotate(n=Count("id"))
        .order_by("-n")[: count * 2]
    )
    categories = {c.pk: c for c in Category.objects.all()}
    opened = 0
    used_apps: set[int] = set()
    for pair in pairs:
        app_id, category_id = pair["complaint__app_id"], pair["category_id"]
        if app_id in used_apps or opened >= count:
            continue
        used_apps.add(app_id)
        app = App.objects.get(pk=app_id)
        case = case_services.case_open(
            app=app, categories=[categories[category_id]], actor=None, origin=Case.Origin.TRIGGER,
            at=timezone.now() - datetime.timedelta(days=60),
        )  # fmt: skip
        Complaint.objects.filter(
            app_id=app_id,
            categories=category_id,
            status__in=ON_A_CASE,
            case__isnull=True,
        ).update(case=case)
        if opened % 2 == 0:
            case_services.notice_issue(case=case, actor=None, problems="基准测试：发现的问题。",
                                       at=timezone.now() - datetime.timedelta(days=30))  # fmt: skip
        opened += 1
    print(f"opened {opened} cases", file=sys.stderr)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


HANDLER = WSGIHandler()


def serve(client: Client, url: str) -> int:
    """One GET through Django's own WSGI handler, as gunicorn would call it: the test client
    only lends its session cookie (its instrumentation would be timed otherwise)."""
    path, _, query = url.partition("?")
    environ = client._base_environ(PATH_INFO=path, QUERY_STRING=query, REQUEST_METHOD="GET")
    status: list[str] = []
    response = HANDLER(environ, lambda line, headers, exc_info=None: status.append(line))
    b"".join(response)
    response.close()
    return int(status[0].split()[0])


def measure(client: Client, urls: list[str], requests: int, warmup: int = 10) -> dict:
    for url in urls[:warmup]:
        serve(client, url)
    timings, queries, cpu = [], [], []
    for i in range(requests):
        url = urls[i % len(urls)]
        with CaptureQueriesContext(connection) as captured:
            started, cpu_started = time.perf_counter(), time.process_time()
            code = serve(client, url)
            elapsed = (time.perf_counter() - started) * 1000
            cpu.append((time.process_time() - cpu_started) * 1000)
        if code != 200:
            raise SystemExit(f"{url} answered {code}")
        timings.append(elapsed)
        queries.append(len(captured))
    return {
        "requests": requests,
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 95), 1),
        "p99_ms": round(percentile(timings, 99), 1),
        "max_ms": round(max(timings), 1),
        # Django's own CPU per request: what the page costs when the machine is not shared.
        "cpu_p50_ms": round(statistics.median(cpu), 1),
        "cpu_p95_ms": round(percentile(cpu, 95), 1),
        "queries_min": min(queries),
        "queries_max": max(queries),
    }


def run_in_scratch_database(argv: list[str], module: str = "benchmarks.triage_bench") -> None:
    """Make a PostgreSQL database for this run, migrate it, run the benchmark `module` there
    (this one unless another benchmark borrows the helper), drop it."""
    import subprocess

    import psycopg

    server = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"appwatch_bench_{module.rsplit('.', 1)[-1]}_{os.getpid()}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": server.rsplit("/", 1)[0] + "/" + name}
    env.pop("CELERY_BROKER_URL", None)  # notifications run eagerly, and are not timed
    root = Path(__file__).resolve().parent.parent
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=root, env=env, check=True
        )
        subprocess.run([sys.executable, "-m", module, *argv], cwd=root, env=env, check=True)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--complaints", type=int, default=int(os.environ.get("BENCH_TRIAGE_COMPLAINTS", 100_000))
    )
    parser.add_argument(
        "--requests", type=int, default=int(os.environ.get("BENCH_TRIAGE_REQUESTS", 300))
    )
    parser.add_argument("--output", default=str(Path(settings.VAR_DIR) / "bench" / "triage.json"))
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        run_in_scratch_database(sys.argv[1:])
        return

    ensure_apps()
    total = ensure_complaints(args.complaints)
    ensure_history()
    regulator, operator = ensure_people()
    ensure_cases()
    with connection.cursor() as cursor:
        # What autovacuum does in production (it may be off on a benchmark server): statistics,
        # and the visibility map the queue's index-only counts rely on.
        for model in (Complaint, Complaint.categories.through, Event, Case):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")

    rng = random.Random(42)
    open_ids = list(
        Complaint.objects.filter(status__in=workflow.CLASSIFIABLE).values_list("id", flat=True)[
            :5000
        ]
    )
    any_ids = list(Complaint.objects.values_list("id", flat=True).order_by("?")[:2000])
    detail_ids = rng.sample(open_ids, min(100, len(open_ids))) + rng.sample(
        any_ids, min(100, len(any_ids))
    )
    biggest_cases = list(
        Case.objects.annotate(n=Count("complaints"))
        .order_by("-n")
        .values_list("id", flat=True)[:50]
    )
    client = Client()
    client.force_login(regulator)
    otp_verify_session(client, regulator)  # regulators' pages need the second factor
    operator_client = Client()
    operator_client.force_login(operator)
    pages = {
        "triage queue (/triage/)": (client, ["/triage/"]),
        "triage queue, filtered (category + money)": (client, ["/triage/?category=fraud&money=1", "/triage/?category=over_permission&sort=oldest"]),
        "triage queue, page 20": (client, ["/triage/?page=20"]),
        "complaint detail (/triage/<id>/)": (client, [f"/triage/{pk}/" for pk in detail_ids]),
        "case page (/cases/<id>/), 50 largest cases": (client, [f"/cases/{pk}/" for pk in biggest_cases]),
        "case list (/cases/)": (client, ["/cases/"]),
        "API queue (/api/v1/triage/)": (client, ["/api/v1/triage/"]),
        "API complaint (/api/v1/triage/<id>/)": (client, [f"/api/v1/triage/{pk}/" for pk in detail_ids]),
        "API case (/api/v1/cases/<id>/)": (client, [f"/api/v1/cases/{pk}/" for pk in biggest_cases]),
        "operator portal (/operator/), busiest app": (operator_client, ["/operator/"]),
    }  # fmt: skip
    results = {}
    for name, (who, urls) in pages.items():
        results[name] = measure(who, urls, args.requests)
        print(f"{name}: {results[name]}", file=sys.stderr)

    largest = (
        Case.objects.annotate(n=Count("complaints"))
        .order_by("-n")
        .values_list("n", flat=True)
        .first()
    )
    meta = {
        "date": timezone.localtime().strftime("%Y-%m-%d %H:%M %Z"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
        "python": platform.python_version(),
        "postgresql": connection.cursor().connection.info.server_version,
        "complaints": total,
        "events": Event.objects.count(),
        "cases": Case.objects.count(),
        "largest_case_complaints": largest,
        "requests_per_page": args.requests,
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(
        json.dumps({"meta": meta, "results": results}, indent=2, ensure_ascii=False)
    )

    print(f"\n{meta['complaints']:,} complaints, {meta['events']:,} events, {meta['cases']} cases "
          f"(largest: {largest} complaints); {meta['machine']}; PostgreSQL {meta['postgresql']}; {meta['date']}\n")  # fmt: skip
    print("| page | p50 ms | p95 ms | p99 ms | Django CPU p50 / p95 ms | queries | p95 ≤ 150 ms |")
    print("|---|---:|---:|---:|---:|---:|:---:|")
    for name, r in results.items():
        queries = (
            str(r["queries_min"])
            if r["queries_min"] == r["queries_max"]
            else f"{r['queries_min']}–{r['queries_max']}"
        )
        ok = "yes" if r["p95_ms"] <= TARGET_P95_MS else "**no**"
        print(
            f"| {name} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | "
            f"{r['cpu_p50_ms']} / {r['cpu_p95_ms']} | {queries} | {ok} |"
        )
    print(
        f"\nload average (1, 5, 15 min) at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
