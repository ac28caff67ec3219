"""Server time of every dashboard page and statistics endpoint with 1,000,000 complaints in
PostgreSQL (issue 6's figure: p95 <= 200 ms warm), and how long the summary refresh takes
(freshness <= 60 s: the beat interval plus one incremental refresh).

    createdb -h 127.0.0.1 -U postgres appwatch_bench1m
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/appwatch_bench1m
    .venv/bin/python manage.py migrate --noinput
    .venv/bin/python manage.py demo_data
    .venv/bin/python -m benchmarks.dashboard_bench --complaints 1000000 --requests 40

Fills the database up to --complaints with `generate_complaints` rows, then gives them what
real use would have left behind and the generator does not write: a filing event and a
decision event per complaint, answer deadlines, operator replies and consumer confirmations,
regulator relabels, and rectification cases at every stage (opened through the services).
Then it rebuilds the summary, times refreshes, and times each page through the whole Django
stack in-process (middleware, view, queries, template): server time, no network. Prints a
Markdown table and writes var/bench/dashboard.json. Running it again reuses the data.
"""

import argparse
import datetime
import json
import os
import platform
import random
import statistics
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Notices the fixture issues would otherwise print their e-mails.
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Sum  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from benchmarks.generation import (  # noqa: E402
    FIXTURE_CHAIN_COLUMNS,
    complaints_generate,
    fixture_chain,
)
from complaints import workflow  # noqa: E402
from complaints.calendar import is_working_day, next_working_day  # noqa: E402
from complaints.models import (  # noqa: E402
    App,
    Case,
    Category,
    CompanyMembership,
    Complaint,
    ComplaintStat,
    Event,
    OperatorResponse,
)
from complaints.services import cases as case_services  # noqa: E402
from complaints.services import triage  # noqa: E402
from complaints.services.intake import complaint_submit  # noqa: E402
from complaints.services.statistics import statistics_refresh  # noqa: E402
from tests.otp import otp_verify_session  # noqa: E402

S = Complaint.Status
K = Case.Status
TARGET_P95_MS = 200.0
MARK = "bench-dashboard"  # on rows this module adds, so a second run adds nothing


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ensure_complaints(total: int) -> int:
    if not App.objects.exists():
        raise SystemExit("No apps: run `manage.py demo_data` first (see the module docstring).")
    missing = total - Complaint.objects.count()
    if missing > 0:
        started = time.perf_counter()
        complaints_generate(count=missing, seed=6)
        say(f"generated {missing:,} complaints in {time.perf_counter() - started:.1f} s")
    return Complaint.objects.count()


def ensure_history() -> None:
    """What the generator leaves out, written in bulk SQL (a benchmark fixture, not a write
    path): events, answer deadlines, replies, confirmations and relabels."""
    c, e, r = Complaint._meta.db_table, Event._meta.db_table, OperatorResponse._meta.db_table
    app = App._meta.db_table
    with connection.cursor() as cursor, transaction.atomic():
        cursor.execute(f"SELECT 1 FROM {e} WHERE reason = %s LIMIT 1", [MARK])
        if cursor.fetchone():
            return
        started = time.perf_counter()
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(
            f"""
            INSERT INTO {e} (kind, complaint_id, actor_role, from_status, to_status, reason, data, public, created_at, {FIXTURE_CHAIN_COLUMNS})
            SELECT 'created', c.id, 'consumer', '', 'submitted', %s, '{{}}'::jsonb, true, c.submitted_at,
                   {fixture_chain(e)}
            FROM {c} c WHERE c.source = 'generated'
              AND NOT EXISTS (SELECT 1 FROM {e} x WHERE x.complaint_id = c.id)
            """,
            [MARK],
        )
        cursor.execute(
            f"""
            INSERT INTO {e} (kind, complaint_id, actor_role, from_status, to_status, reason, data, public, created_at, {FIXTURE_CHAIN_COLUMNS})
            SELECT 'transition', c.id, 'regulator', 'classified', c.status, %s, '{{}}'::jsonb, true,
                   coalesce(c.decided_at, c.submitted_at + interval '1 hour'),
                   {fixture_chain(e)}
            FROM {c} c WHERE c.source = 'generated' AND c.status NOT IN ('submitted', 'classified')
            """,
            [MARK],
        )
        # Accepted complaints about an app with an operator get its answer deadline.
        cursor.execute(
            f"""
            UPDATE {c} c SET operator_due_date = (c.decided_at AT TIME ZONE %s)::date + 15
            FROM {app} a
            WHERE a.id = c.app_id AND a.operator_id IS NOT NULL AND c.source = 'generated'
              AND c.status IN ('accepted', 'linked', 'answered', 'disputed', 'closed') AND c.decided_at IS NOT NULL
            """,
            [settings.TIME_ZONE],
        )
        # Operators answer what is answered, disputed or closed (a few late), and some of the
        # still-accepted ones that are overdue never.
        cursor.execute(
            f"""
            INSERT INTO {r} (kind, complaint_id, company_id, text, closure_code, created_at)
            SELECT 'complaint_reply', c.id, a.operator_id, %s, 'fixed',
                   c.decided_at + (interval '1 day' * (1 + mod(c.id, 19)))
            FROM {c} c JOIN {app} a ON a.id = c.app_id
            WHERE c.source = 'generated' AND c.operator_due_date IS NOT NULL
              AND c.status IN ('answered', 'disputed', 'closed')
            """,
            [MARK],
        )
        # Most closed complaints were confirmed by the consumer; the rest closed by themselves.
        cursor.execute(
            f"""
            INSERT INTO {e} (kind, complaint_id, actor_role, from_status, to_status, reason, data, public, created_at, {FIXTURE_CHAIN_COLUMNS})
            SELECT 'transition', c.id, 'consumer', 'answered', 'closed', %s, '{{"confirmed": true}}'::jsonb, true,
                   c.closed_at,
                   {fixture_chain(e)}
            FROM {c} c WHERE c.source = 'generated' AND c.status = 'closed' AND c.operator_due_date IS NOT NULL
              AND mod(c.id, 10) < 7
            """,
            [MARK],
        )
        # A regulator reviewed a fifth of the accepted complaints and corrected one in eight.
        cursor.execute(
            f"""
            UPDATE {c} SET label_source = 'regulator'
            WHERE source = 'generated' AND status IN ('accepted', 'linked', 'answered', 'disputed', 'closed')
              AND mod(id, 5) = 0
            """
        )
        cursor.execute(
            f"""
            INSERT INTO {e} (kind, complaint_id, actor_role, from_status, to_status, reason, data, public, created_at, {FIXTURE_CHAIN_COLUMNS})
            SELECT 'labels', c.id, 'regulator', '', '', %s, '{{"from": ["other"], "to": ["fraud"]}}'::jsonb, false,
                   c.decided_at,
                   {fixture_chain(e)}
            FROM {c} c WHERE c.source = 'generated' AND c.label_source = 'regulator' AND mod(c.id, 40) = 0
            """,
            [MARK],
        )
    say(f"history written in {time.perf_counter() - started:.1f} s")


def ensure_cases(count: int) -> None:
    """Cases on the busiest app and category pairs, through the services, at every stage."""
    if Case.objects.filter(summary__startswith=MARK).exists():
        return
    started = time.perf_counter()
    through = Complaint.categories.through
    pairs = list(
        through.objects.filter(complaint__status=S.ACCEPTED)
        .values("complaint__app_id", "category_id")
        .annotate(n=Count("id"))
        .order_by("-n")[: count * 2]
    )
    apps = App.objects.in_bulk()
    categories = Category.objects.in_bulk()
    rng = random.Random(6)
    today = timezone.localdate()
    opened = 0
    for pair in pairs:
        if opened >= count:
            break
        app, category = apps[pair["complaint__app_id"]], categories[pair["category_id"]]
        if Case.objects.filter(
            case_categories__app=app,
            case_categories__category=category,
            case_categories__is_open=True,
        ).exists():
            continue
        age = rng.randint(5, 330)
        opened_at = timezone.now() - datetime.timedelta(days=age)
        case = case_services.case_open(
            app=app,
            categories=[category],
            actor=None,
            summary=f"{MARK}: {app.name} {category.name_zh}",
            at=opened_at,
        )
        opened += 1
        stage = rng.random()
        if stage < 0.1:
            continue  # still being prepared
        issued_at = opened_at + datetime.timedelta(days=2)
        if stage < 0.2:
            # Past its deadline with no report: the overdue sweep below marks it.
            deadline = today - datetime.timedelta(days=rng.randint(1, 30))
            if deadline <= timezone.localdate(issued_at):
                deadline = timezone.localdate(issued_at) + datetime.timedelta(days=1)
            deadline = next_working_day(deadline)  # a deadline falls on a working day
            case_services.notice_issue(
                case=case,
                actor=None,
                problems="基准测试：发现的问题。",
                deadline_date=deadline,
                at=issued_at,
            )
            continue
        case_services.notice_issue(
            case=case, actor=None, problems="基准测试：发现的问题。", at=issued_at
        )
        if stage < 0.45 or age < 20:
            continue  # under notice
        fixed_at = issued_at + datetime.timedelta(days=rng.randint(5, 18))
        case.refresh_from_db()
        if stage < 0.85:
            case_services.rectification_verify(
                case=case, actor=None, rectified=True, notes="已整改。", at=fixed_at
            )
            if stage < 0.6 and age > 60:
                case_services.case_close(
                    case=case,
                    actor=None,
                    reason="整改完成。",
                    at=fixed_at + datetime.timedelta(days=3),
                )
        elif stage < 0.93:
            case_services.rectification_verify(
                case=case,
                actor=None,
                rectified=False,
                notes="未整改到位。",
                escalate_measure=Case.Escalation.PUBLIC_NOTICE,
                at=fixed_at,
            )
        else:
            # Not rectified takes a new notice with a new deadline (on a working day).
            deadline = timezone.localdate(fixed_at) + datetime.timedelta(days=15)
            while not is_working_day(deadline):
                deadline += datetime.timedelta(days=1)
            case_services.rectification_verify(
                case=case,
                actor=None,
                rectified=False,
                notes="未整改到位。",
                new_deadline_date=deadline,
                at=fixed_at,
            )
    case_services.cases_mark_overdue(today=today)
    say(f"opened {opened} cases in {time.perf_counter() - started:.1f} s")


def ensure_people() -> tuple[User, User]:
    regulator, _ = User.objects.get_or_create(
        username="bench_regulator", defaults={"is_staff": True}
    )
    regulator.groups.add(Group.objects.get(name="regulator"))
    busiest = busiest_apps(1)[0]
    operator, _ = User.objects.get_or_create(username="bench_dashboard_operator")
    operator.groups.add(Group.objects.get(name="operator"))
    CompanyMembership.objects.get_or_create(user=operator, company_id=busiest.operator_id)
    return regulator, operator


def busiest_apps(n: int) -> list[App]:
    ranked = (
        ComplaintStat.objects.filter(
            app__isnull=False, category__isnull=True, app__operator__isnull=False
        )
        .values("app_id")
        .annotate(total=Sum("received"))
        .order_by("-total")[:n]
    )
    apps = App.objects.in_bulk([r["app_id"] for r in ranked])
    return [apps[r["app_id"]] for r in ranked]


class Beat(threading.Thread):
    """Runs statistics_refresh every `interval` seconds, as celery beat would, in its own
    database connection, while the pages are timed."""

    def __init__(self, interval: float):
        super().__init__(daemon=True)
        self.interval = interval
        self.stopped = threading.Event()
        self.durations: list[float] = []

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                result = statistics_refresh()
                if result is not None:
                    self.durations.append(round(result.seconds, 2))
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def measure(client: Client, urls: list[str], requests: int, warmup: int = 3) -> dict:
    for url in urls:
        for _ in range(warmup):
            client.get(url)
    timings, queries = [], []
    for i in range(requests):
        url = urls[i % len(urls)]
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        timings.append(elapsed)
        queries.append(len(captured))
    return {
        "requests": requests,
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 95), 1),
        "max_ms": round(max(timings), 1),
        "queries": max(queries),
        # Five rounds of the same requests, for `make bench`'s median and spread.
        "rounds_p95_ms": [
            round(percentile(timings[i::5], 95), 1) for i in range(min(5, len(timings)))
        ],
    }


def refresh_timings() -> dict:
    """Full rebuild; incremental after 100 new complaints and 100 decisions on old ones; a
    refresh with nothing new; and the first refresh of the next day."""
    result = {}
    full = statistics_refresh(full=True)
    result["full_rebuild_s"] = round(full.seconds, 2)
    result["summary_rows"] = ComplaintStat.objects.count()
    apps = list(App.objects.all()[:20])
    regulator = User.objects.get(username="bench_regulator")
    for i in range(100):
        complaint_submit(
            description="基准测试：不给通讯录权限就闪退。",
            app=apps[i % len(apps)],
            consent_publish=True,
        )
    # Regulators decide within a few working days of filing: the newest waiting complaints.
    waiting = list(
        Complaint.objects.filter(status=S.NEEDS_REVIEW, app__isnull=False).order_by(
            "-submitted_at"
        )[:100]
    )
    for complaint in waiting:
        triage.complaint_accept(
            complaint=complaint,
            actor=regulator,
            category_codes=["over_permission"],
            relabel_reason="基准测试：监管人员复核后确认。",
        )
    incremental = statistics_refresh()
    result["incremental_s"] = round(incremental.seconds, 2)
    result["incremental_days"] = incremental.days
    quiet = statistics_refresh()
    result["no_change_s"] = round(quiet.seconds, 2)
    # The first refresh of a new day: "overdue" moves on for complaints due the day before.
    new_day = statistics_refresh(now=timezone.now() + datetime.timedelta(days=1))
    result["new_day_s"] = round(new_day.seconds, 2)
    result["new_day_days"] = new_day.days
    statistics_refresh()  # back to today for the page timings
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page")
    parser.add_argument(
        "--output", default=str(Path(settings.VAR_DIR) / "bench" / "dashboard.json")
    )
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="time the pages only, not the summary refreshes (`make bench` reports pages only)",
    )
    args = parser.parse_args(sys.argv[1:] if __name__ == "__main__" else [])
    if connection.vendor != "postgresql":
        raise SystemExit(
            "Set DATABASE_URL to a PostgreSQL database (the figure is for PostgreSQL)."
        )

    total = ensure_complaints(args.complaints)
    ensure_history()
    ensure_cases(args.cases)
    with connection.cursor() as cursor:
        # What autovacuum does in production (it may be off on a benchmark server): the
        # fixture's bulk updates leave dead rows behind.
        for model in (Complaint, Event, OperatorResponse, Case, Complaint.categories.through):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    statistics_refresh(full=True)
    regulator, operator = ensure_people()
    refresh = {} if args.pages_only else refresh_timings()
    say(f"refresh: {refresh}")

    top = busiest_apps(3)
    app, operator_id = top[0], top[0].operator_id
    quiet_app = top[-1]
    today = timezone.localdate()
    year_ago = (today - datetime.timedelta(days=364)).isoformat()
    regulator_client, operator_client, public = Client(), Client(), Client()
    regulator_client.force_login(regulator)
    otp_verify_session(regulator_client, regulator)  # regulators' pages need the second factor
    operator_client.force_login(operator)
    published = Complaint.objects.filter(
        consent_publish=True, status__in=workflow.CONFIRMED
    ).order_by("-submitted_at", "-pk")
    # Page 250 at 1,000,000 complaints; the last page with the small sizes of `make bench-smoke`.
    deep = published[min(5000, published.count() - 1)]
    deep_cursor = f"{round(deep.submitted_at.timestamp() * 1_000_000)}.{deep.pk}"
    pages = {
        "regulator dashboard, 90 days": (regulator_client, ["/dashboard/"]),
        "regulator dashboard, 365 days": (regulator_client, [f"/dashboard/?start_date={year_ago}"]),
        "dashboard, one category / app / operator": (
            regulator_client,
            ["/dashboard/?category=fraud", f"/dashboard/?app={app.pk}", f"/dashboard/?operator={operator_id}",
             f"/dashboard/?category=price_discrimination&app={quiet_app.pk}&start_date={year_ago}"],
        ),  # fmt: skip
        "dashboard CSV (by week, 365 days)": (regulator_client, [f"/dashboard/csv/by_week/?start_date={year_ago}"]),
        "operator dashboard": (operator_client, ["/operator/dashboard/"]),
        "rectification board (+ search)": (public, ["/board/", "/board/?status=overdue", f"/board/?q={app.name[:2]}"]),
        "app scorecard": (public, [f"/apps/{app.pk}/", f"/apps/{quiet_app.pk}/"]),
        "operator scorecard": (public, [f"/operators/{operator_id}/"]),
        "published complaints (filters, page 250)": (
            public,
            ["/published/", f"/published/?app={app.pk}", "/published/?category=account_cancellation", f"/published/?before={deep_cursor}"],
        ),
        "statistics page, 365 days": (public, ["/statistics/"]),
        "GET /api/v1/stats/ and /stats/<table>/": (
            public,
            ["/api/v1/stats/", "/api/v1/stats/by_month/", "/api/v1/stats/top_apps/?format=csv", "/api/v1/stats/cases_by_status/"],
        ),
        "GET /api/v1/stats/dashboard/…": (regulator_client, ["/api/v1/stats/dashboard/", "/api/v1/stats/dashboard/by_week/?format=csv"]),
        "GET /api/v1/public/board/, apps/<id>/, complaints/": (
            public,
            ["/api/v1/public/board/", f"/api/v1/public/apps/{app.pk}/", f"/api/v1/public/operators/{operator_id}/", "/api/v1/public/complaints/"],
        ),
    }  # fmt: skip
    # As in production, beat refreshes the summary every STATISTICS_REFRESH_SECONDS while
    # pages are served; pages themselves never wait for a refresh.
    settings.STATISTICS_MAX_AGE_SECONDS = 10**9
    beat = Beat(interval=float(os.environ.get("STATISTICS_REFRESH_SECONDS", 30)))
    beat.start()
    results = {}
    try:
        for name, (client, urls) in pages.items():
            results[name] = measure(client, urls, args.requests)
            say(f"{name}: {results[name]}")
    finally:
        beat.stop()
    refresh["beat_refreshes"] = beat.durations

    summary = ComplaintStat.objects.count()
    print(f"\n{total:,} complaints, {Event.objects.count():,} events, {Case.objects.count():,} cases, "
          f"{summary:,} summary rows · {platform.node()} · {today}\n")  # fmt: skip
    print(
        f"| page or endpoint | requests | p50 ms | p95 ms | max ms | queries | p95 ≤ {TARGET_P95_MS:.0f} ms |"
    )
    print("|---|---:|---:|---:|---:|---:|:---:|")
    for name, r in results.items():
        ok = "yes" if r["p95_ms"] <= TARGET_P95_MS else "**no**"
        print(
            f"| {name} | {r['requests']} | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} | {r['queries']} | {ok} |"
        )
    print(
        ""
        if args.pages_only
        else f"\nSummary refresh: full rebuild {refresh['full_rebuild_s']} s ({refresh['summary_rows']:,} rows); "
        f"incremental after 100 filings and 100 decisions {refresh['incremental_s']} s ({refresh['incremental_days']} days); "
        f"nothing new {refresh['no_change_s']} s; first of a new day {refresh['new_day_s']} s "
        f"({refresh['new_day_days']} days); while pages were timed, refreshes every "
        f"{beat.interval:.0f} s took {refresh['beat_refreshes']} s."
    )
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        json.dumps(
            {
                "complaints": total,
                "date": str(today),
                "machine": platform.node(),
                "pages": results,
                "refresh": refresh,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
