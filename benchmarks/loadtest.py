"""`make loadtest`: a mixed load on the platform as production runs it (issue 14, "Proof").

Starts its own Redis and a scratch PostgreSQL database (benchmarks/stack.py, through
filing_cost.platform: gunicorn with two workers, a Celery worker and beat), then drives it with locust, headless,
for LOADTEST_SECONDS (default 300) with LOADTEST_USERS simulated people (default 40):
consumers filing over the API (one in seven with a photo as evidence), regulators working the
triage queue and reading the dashboards (signed in with their second factor passed), and the
public reading the board and app pages. Prints throughput and p50/p95/p99 per endpoint and
appends the table to benchmarks/RESULTS.md (figures also in benchmarks/results/).

Targets: >= 200 filings/s sustained with p95 <= 300 ms and no errors; dashboards p95 <=
500 ms under that load. Locust runs in a child process of its own (it patches the standard
library with gevent), and shares the machine's cores with the server: the figures say so.
"""

import io
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.filing_cost import TEXTS, Served, app_names, cpu_ms, platform
from benchmarks.scratch import ROOT

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
RESULTS_DIR = ROOT / "benchmarks" / "results"
TARGET_FILINGS_PER_S = 200
TARGET_FILING_P95_MS = 300
TARGET_DASHBOARD_P95_MS = 500
FILING = "POST /api/v1/complaints/"
FILING_EVIDENCE = "POST /api/v1/complaints/ (evidence)"
DASHBOARDS = ("GET /dashboard/", "GET /api/v1/stats/dashboard/")
REGULATORS = 4

# Run with the platform's settings: a regulator with an authenticator, signed in with both
# factors as django_otp.login records it, one session per simulated regulator.
SESSIONS_SCRIPT = """
import json, secrets
import django
django.setup()
from django.contrib.auth.models import Group, User
from django.http import HttpRequest
from django.test import Client
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from complaints import roles

sessions = []
for n in range(COUNT):
    user, _ = User.objects.get_or_create(username=f"loadtest-regulator-{n}", defaults={"email": f"r{n}@example.com"})
    user.groups.add(Group.objects.get(name=roles.REGULATOR))
    device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = Client()
    client.force_login(user)
    request = HttpRequest()
    request.session = client.session
    request.user = user
    otp_login(request, device)
    request.session.save()
    sessions.append({"sessionid": request.session.session_key, "csrftoken": secrets.token_hex(16)})
print(json.dumps(sessions))
"""


def _sessions(served: Served, count: int) -> list[dict]:
    script = SESSIONS_SCRIPT.replace("COUNT", str(count))
    result = subprocess.run(
        [sys.executable, "-c", script], env=served.env, cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.splitlines()[-1])


def _photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 240), "teal").save(out, "PNG")
    return out.getvalue()


def _drive(config: dict) -> dict:
    """In the locust child: run the users for config["seconds"], return the stats."""
    import gevent
    from locust import FastHttpUser, between, constant, task
    from locust.env import Environment

    apps, app_ids, sessions = config["apps"], config["app_ids"], config["sessions"]
    photo = _photo()

    def address() -> str:
        # Consumers behind our proxy (loopback is trusted): each filing its own person.
        return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"

    class Consumer(FastHttpUser):
        weight = 12
        wait_time = constant(0)

        @task(6)
        def file(self):
            body = {
                "app_name": random.choice(apps),
                "description": f"{random.choice(TEXTS)} #{random.randrange(10**9)}",
            }
            if random.random() < 0.5:
                body["contact_email"] = f"c{random.randrange(10**6)}@example.com"
            with self.client.post(
                "/api/v1/complaints/",
                json=body,
                headers={"X-Forwarded-For": address()},
                name=FILING,
                catch_response=True,
            ) as response:
                if response.status_code != 201:
                    response.failure(f"{response.status_code}: {response.text[:200]}")

        @task(1)
        def file_with_evidence(self):
            with self.client.post(
                "/api/v1/complaints/",
                data={"app_name": random.choice(apps), "description": random.choice(TEXTS)},
                files={"evidence": ("screenshot.png", photo, "image/png")},
                headers={"X-Forwarded-For": address()},
                name=FILING_EVIDENCE,
                catch_response=True,
            ) as response:
                if response.status_code != 201:
                    response.failure(f"{response.status_code}: {response.text[:200]}")

    class Regulator(FastHttpUser):
        # A regulator or so per ten people, started first; the rest share by weight.
        fixed_count = max(1, config["users"] // 10)
        wait_time = between(0.5, 1.5)

        def on_start(self):
            self.session = random.choice(sessions)
            self.headers = {
                "Cookie": f"sessionid={self.session['sessionid']}; "
                f"csrftoken={self.session['csrftoken']}",
                "X-CSRFToken": self.session["csrftoken"],
            }
            self.dashboard()  # where a regulator's day starts

        def _get(self, path: str, name: str):
            with self.client.get(
                path, headers=self.headers, name=name, catch_response=True
            ) as response:
                if response.status_code != 200 or "/login" in (response.url or ""):
                    response.failure(f"{response.status_code} {response.url}")
                return response

        @task(2)
        def dashboard(self):
            self._get("/dashboard/", DASHBOARDS[0])

        @task(2)
        def dashboard_api(self):
            self._get("/api/v1/stats/dashboard/", DASHBOARDS[1])

        @task(3)
        def queue(self):
            response = self._get("/api/v1/triage/?page_size=10", "GET /api/v1/triage/")
            try:
                items = response.json().get("results", [])
            except ValueError:
                return
            if items:
                pk = random.choice(items)["id"]
                self._get(f"/triage/{pk}/", "GET /triage/<id>/")
                with self.client.post(
                    f"/api/v1/triage/{pk}/accept/",
                    json={"note": "loadtest"},
                    headers=self.headers,
                    name="POST /api/v1/triage/<id>/accept/",
                    catch_response=True,
                ) as answer:
                    # Another regulator may have decided it first, or it is not classified yet.
                    if answer.status_code in (400, 409):
                        answer.success()
                    elif answer.status_code != 200:
                        answer.failure(f"{answer.status_code}: {answer.text[:200]}")

        @task(2)
        def triage_page(self):
            self._get("/triage/", "GET /triage/")

    class Public(FastHttpUser):
        weight = 4
        wait_time = between(0.2, 1.0)

        @task(3)
        def board(self):
            self.client.get("/board/", name="GET /board/")

        @task(2)
        def board_api(self):
            self.client.get("/api/v1/public/board/", name="GET /api/v1/public/board/")

        @task(2)
        def scorecard(self):
            self.client.get(f"/apps/{random.choice(app_ids)}/", name="GET /apps/<id>/")

    environment = Environment(user_classes=[Consumer, Regulator, Public], host=config["host"])
    runner = environment.create_local_runner()
    runner.start(config["users"], spawn_rate=config["users"])
    gevent.spawn_later(config["seconds"], runner.quit)
    runner.greenlet.join()
    rows = {}
    for entry in environment.stats.entries.values():
        rows[f"{entry.name}"] = {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p95_ms": entry.get_response_time_percentile(0.95),
            "p99_ms": entry.get_response_time_percentile(0.99),
            "rps": entry.num_requests / config["seconds"],
        }
    errors = [
        {"name": e.name, "error": str(e.error)[:200], "count": e.occurrences}
        for e in environment.stats.errors.values()
    ]
    return {"endpoints": rows, "errors": errors[:20]}


def run(*, seconds: float, users: int) -> dict:
    """Start the platform, drive it for `seconds`, return the figures."""
    with platform(web_workers=2, threads=4, worker=True) as served:
        apps = app_names(served)
        import psycopg

        with psycopg.connect(served.database_url) as conn:
            app_ids = [r[0] for r in conn.execute("SELECT id FROM complaints_app LIMIT 20")]
        config = {
            "host": f"http://127.0.0.1:{served.port}",
            "seconds": seconds,
            "users": users,
            "apps": apps,
            "app_ids": app_ids,
            "sessions": _sessions(served, REGULATORS),
        }
        web = served.web_workers()
        cpu_before, load_before = cpu_ms(web), os.getloadavg()
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "benchmarks.loadtest", "--drive"],
            input=json.dumps(config),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=seconds + 120,
        )
        elapsed = time.monotonic() - started
        if result.returncode:
            raise RuntimeError(result.stderr[-3000:])
        figures = json.loads(result.stdout.splitlines()[-1])
        figures["web_cpu_ms"] = cpu_ms(web) - cpu_before
        figures["seconds"] = seconds
        figures["users"] = users
        figures["elapsed_s"] = elapsed
        figures["load_average"] = os.getloadavg()
        figures["load_average_before"] = load_before
        with psycopg.connect(served.database_url) as conn:
            figures["stored"], figures["classified"] = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE status <> 'submitted')"
                " FROM complaints_complaint"
            ).fetchone()
    return figures


def summary(figures: dict) -> dict:
    """The figures set against the targets."""
    rows = figures["endpoints"]
    filing = rows.get(FILING, {})
    filings = sum(rows.get(name, {}).get("requests", 0) for name in (FILING, FILING_EVIDENCE))
    failures = sum(row["failures"] for row in rows.values())
    dashboard_p95 = max((rows.get(name, {}).get("p95_ms") or 0) for name in DASHBOARDS)
    per_second = filings / figures["seconds"]
    return {
        "filings_per_s": per_second,
        "filings_ratio_to_target": per_second / TARGET_FILINGS_PER_S,
        "filing_p95_ms": filing.get("p95_ms"),
        "dashboard_p95_ms": dashboard_p95,
        "failures": failures,
        "web_cpu_ms_per_request": figures["web_cpu_ms"]
        / max(1, sum(row["requests"] for row in rows.values())),
    }


def table(figures: dict) -> str:
    lines = [
        "| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | failures |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in sorted(figures["endpoints"].items()):
        lines.append(
            f"| {name} | {row['requests']} | {row['rps']:.1f} | {row['p50_ms'] or 0:.0f} | "
            f"{row['p95_ms'] or 0:.0f} | {row['p99_ms'] or 0:.0f} | {row['failures']} |"
        )
    return "\n".join(lines)


def record(figures: dict) -> tuple[str, str, dict]:
    """The section for RESULTS.md, and the file name and content for benchmarks/results/."""
    from benchmarks.run import machine, machine_text

    found = summary(figures)
    revision = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    stamp = time.strftime("%Y-%m-%d %H:%M %Z")
    load = figures["load_average"]
    text = (
        f"\n## make loadtest, {stamp} (revision {revision})\n\n"
        f"Machine: {machine_text(machine())}. Load average at the end {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f} (before {figures['load_average_before'][0]:.2f}; the machine is "
        f"shared). {figures['users']} simulated people for {figures['seconds']:.0f} s, locust "
        f"on the same cores as gunicorn (2 workers × 4 threads), one Celery worker and beat.\n\n"
        f"{table(figures)}\n\n"
        f"Filings: **{found['filings_per_s']:.1f}/s** "
        f"({found['filings_ratio_to_target']:.2f}× the target of {TARGET_FILINGS_PER_S}/s), "
        f"p95 {found['filing_p95_ms'] or 0:.0f} ms (target ≤ {TARGET_FILING_P95_MS}); "
        f"dashboards p95 {found['dashboard_p95_ms']:.0f} ms (target ≤ "
        f"{TARGET_DASHBOARD_P95_MS}); failures {found['failures']}; web CPU "
        f"{found['web_cpu_ms_per_request']:.1f} ms per request; stored {figures['stored']}, "
        f"classified by the end {figures['classified']}.\n"
    )
    name = f"loadtest-{time.strftime('%Y%m%d-%H%M')}-{revision}.json"
    return text, name, {"revision": revision, "machine": machine(), **figures, **found}


def cli() -> None:
    """`make loadtest` (not `main`: `make bench` runs every module with a main, and this one
    takes its five minutes on its own)."""
    if "--drive" in sys.argv:
        print(json.dumps(_drive(json.loads(sys.stdin.read()))))
        return
    seconds = float(os.environ.get("LOADTEST_SECONDS", 300))
    users = int(os.environ.get("LOADTEST_USERS", 40))
    figures = run(seconds=seconds, users=users)
    text, name, document = record(figures)
    print(text)
    if figures["errors"]:
        print("errors:", json.dumps(figures["errors"], ensure_ascii=False, indent=1))
    if "--no-record" not in sys.argv:
        with Path(RESULTS).open("a", encoding="utf-8") as results:
            results.write(text)
        RESULTS_DIR.mkdir(exist_ok=True)
        (RESULTS_DIR / name).write_text(json.dumps(document, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    cli()
