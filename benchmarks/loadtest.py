"""`make loadtest`: a paced mixed load on the platform as production runs it (issue 14, "Proof").

Starts its own Redis and a scratch PostgreSQL database (benchmarks/stack.py, through
filing_cost.platform: gunicorn with two workers, a Celery worker and beat) and drives it with
locust, headless, in a child process of its own. Filings arrive OPEN-LOOP: a pacer issues them
at a set rate (one in seven with a photo as evidence) whatever the answers take, and a pool of
consumer connections sends them; each filing's latency is counted from when it was due, so a
platform that falls behind shows it in its p95 rather than by slowing the generator down.
Beside them, regulators signed in with both factors work the triage queue and read the
dashboards (a click every one to three seconds each), and the public reads the board and app
pages at a steady rate.

Two parts, one platform:
1. a capacity step: filings at 25/s, 50/s, … for LOADTEST_STEP_SECONDS each, stopping after the
   first step that misses (filing p95 > 300 ms, failures, or under 95% of the offered rate):
   the highest step met says where the platform stands;
2. the sustained run: LOADTEST_RATE filings/s (default 200) for LOADTEST_SECONDS (default 300).
Before and after, each read page is requested alone to give its CPU-ms per request unloaded.

Knobs (environment): LOADTEST_RATE (200), LOADTEST_SECONDS (300), LOADTEST_STEP (25, the step
size in filings/s; 0 skips the capacity step), LOADTEST_STEP_MAX (250), LOADTEST_STEP_SECONDS
(30), LOADTEST_USERS (the consumer connections, 300: how many filings may be in flight),
LOADTEST_REGULATORS (6), LOADTEST_PUBLIC_RATE (20 page reads/s). The whole run takes at most
about twelve minutes with the defaults.

Prints throughput, p50/p95/p99 per endpoint, errors and each target's verdict, and appends them
to benchmarks/RESULTS.md (figures also in benchmarks/results/). Targets: >= 200 filings/s
sustained with p95 <= 300 ms and no errors; dashboards p95 <= 500 ms under that load. Locust
shares the machine's cores with the server: its own CPU, the web workers', the Celery
worker's and the whole machine's are measured in every part and reported.
"""

import json
import os
import random
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from benchmarks.filing_cost import TEXTS, Served, app_names, cpu_ms, evidence_photo, platform
from benchmarks.scratch import ROOT
from benchmarks.stack import Stack

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
RESULTS_DIR = ROOT / "benchmarks" / "results"
TARGET_FILINGS_PER_S = 200
TARGET_FILING_P95_MS = 300
TARGET_DASHBOARD_P95_MS = 500
FILING = "POST /api/v1/complaints/"
FILING_EVIDENCE = "POST /api/v1/complaints/ (evidence)"
# Every filing, photo or not, from the moment it was due to its answer (the open-loop figure).
FILING_DUE = "filing, from when it was due"
DASHBOARDS = ("GET /dashboard/", "GET /api/v1/stats/dashboard/")
REGULATOR_SESSIONS = 4
# An achieved rate under this share of the offered one means the platform fell behind.
KEEPS_UP = 0.95
# The read pages measured alone (CPU-ms per request): name -> (path, as a regulator).
READS = {
    "GET /dashboard/": ("/dashboard/", True),
    "GET /api/v1/stats/dashboard/": ("/api/v1/stats/dashboard/", True),
    "GET /triage/": ("/triage/", True),
    "GET /api/v1/triage/": ("/api/v1/triage/?page_size=10", True),
    "GET /board/": ("/board/", False),
    "GET /api/v1/public/board/": ("/api/v1/public/board/", False),
    "GET /apps/<id>/": ("/apps/{app}/", False),
}
READ_REPEATS = 10
# The web workers' CPU is read in clock ticks (10 ms): a page is requested until its requests
# have cost at least this much in all (or READ_REQUESTS_MAX were made), so a page shared for
# everyone, at a millisecond or two, is not read as costing nothing.
READ_CPU_MS_MIN = 200
READ_REQUESTS_MAX = 2000


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


def _cpu_s(pids: list[int]) -> float:
    return cpu_ms(pids) / 1000


def _machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of every core so far, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def step_met(phase: dict) -> bool:
    """Whether a part of the run kept its filing rate with p95 within the target, no failures."""
    due = phase["endpoints"].get(FILING_DUE, {})
    return (
        phase["filings_per_s"] >= KEEPS_UP * phase["rate"]
        and (due.get("p95_ms") or float("inf")) <= TARGET_FILING_P95_MS
        and phase["failures"] == 0
    )


def _drive(config: dict) -> dict:
    """In the locust child: run the parts in config["phases"], return each one's figures."""
    import gevent
    from gevent.queue import Queue
    from locust import FastHttpUser, between, constant_throughput, task
    from locust.env import Environment

    apps, app_ids, sessions = config["apps"], config["app_ids"], config["sessions"]
    photo = evidence_photo()
    tickets: Queue = Queue()
    due_ms: list[float] = []
    started_ms: list[float] = []  # how late each filing left the generator

    def address() -> str:
        # Consumers behind our proxy (loopback is trusted): each filing its own person.
        return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"

    class Consumer(FastHttpUser):
        """One connection of the pool: takes the next due filing, sends it, waits for more."""

        fixed_count = config["users"]

        def wait_time(self):
            return 0

        @task
        def file(self):
            due, evidence = tickets.get()
            started_ms.append((time.time() - due) * 1000)
            fields = {"app_name": random.choice(apps)}
            if evidence:
                fields["description"] = random.choice(TEXTS)
                request = {
                    "data": fields,
                    "files": {"evidence": ("screenshot.png", photo, "image/png")},
                    "name": FILING_EVIDENCE,
                }
            else:
                fields["description"] = f"{random.choice(TEXTS)} #{random.randrange(10**9)}"
                if random.random() < 0.5:
                    fields["contact_email"] = f"c{random.randrange(10**6)}@example.com"
                request = {"json": fields, "name": FILING}
            with self.client.post(
                "/api/v1/complaints/",
                headers={"X-Forwarded-For": address()},
                catch_response=True,
                **request,
            ) as response:
                if response.status_code != 201:
                    response.failure(f"{response.status_code}: {response.text[:200]}")
            due_ms.append((time.time() - due) * 1000)

    class Regulator(FastHttpUser):
        fixed_count = config["regulators"]
        wait_time = between(1, 3)

        def on_start(self):
            self.session = random.choice(sessions)
            self.headers = {
                "Cookie": f"sessionid={self.session['sessionid']}; "
                f"csrftoken={self.session['csrftoken']}",
                "X-CSRFToken": self.session["csrftoken"],
            }

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
            except (ValueError, AttributeError):
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
        # One page a second each: LOADTEST_PUBLIC_RATE readers.
        fixed_count = config["public"]
        wait_time = constant_throughput(1)

        @task(3)
        def board(self):
            self.client.get("/board/", name="GET /board/")

        @task(2)
        def board_api(self):
            self.client.get("/api/v1/public/board/", name="GET /api/v1/public/board/")

        @task(2)
        def scorecard(self):
            self.client.get(f"/apps/{random.choice(app_ids)}/", name="GET /apps/<id>/")

    def pace(rate: float, seconds: float) -> int:
        """Issue filings due at `rate` per second for `seconds`; one in seven with evidence.
        Returns how many were issued."""
        began = time.time()
        issued = 0
        while True:
            now = time.time()
            if now - began >= seconds:
                return issued
            while issued < (now - began) * rate:
                tickets.put((began + issued / rate, issued % 7 == 6))
                issued += 1
            gevent.sleep(min(0.01, 1 / rate))

    pids = config["pids"]
    environment = Environment(user_classes=[Consumer, Regulator, Public], host=config["host"])
    runner = environment.create_local_runner()
    total = config["users"] + config["regulators"] + config["public"]
    runner.start(total, spawn_rate=total)
    while runner.user_count < total:
        gevent.sleep(0.1)
    gevent.sleep(1)  # every user has sent its first request or is waiting for a filing
    phases = []
    past_capacity = False
    for phase in config["phases"]:
        if past_capacity and phase["kind"] == "step":
            continue  # past what the platform holds: the next steps would only say so again
        environment.stats.reset_all()
        due_ms.clear()
        started_ms.clear()
        cpu = {name: _cpu_s(p) for name, p in pids.items()}
        locust_cpu, machine = time.process_time(), _machine_busy()
        began = time.monotonic()
        issued = pace(phase["rate"], phase["seconds"])
        seconds = time.monotonic() - began
        unsent = tickets.qsize()
        while not tickets.empty():  # due but never sent: the generator's pool was full
            tickets.get_nowait()
        busy = _machine_busy()
        rows = {}
        for entry in environment.stats.entries.values():
            rows[entry.name] = {
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "p50_ms": entry.get_response_time_percentile(0.5),
                "p95_ms": entry.get_response_time_percentile(0.95),
                "p99_ms": entry.get_response_time_percentile(0.99),
                "rps": entry.num_requests / seconds,
            }
        filings = [r for n, r in rows.items() if n in (FILING, FILING_EVIDENCE)]
        rows[FILING_DUE] = {
            "requests": len(due_ms),
            "failures": sum(r["failures"] for r in filings),
            "p50_ms": _percentile(due_ms, 0.5),
            "p95_ms": _percentile(due_ms, 0.95),
            "p99_ms": _percentile(due_ms, 0.99),
            "rps": len(due_ms) / seconds,
        }
        result = {
            **phase,
            "seconds": seconds,
            "issued": issued,
            "unsent": unsent,
            "send_lag_p95_ms": _percentile(started_ms, 0.95),
            "filings_per_s": sum(r["requests"] - r["failures"] for r in filings) / seconds,
            "failures": sum(r["failures"] for n, r in rows.items() if n != FILING_DUE),
            "endpoints": rows,
            "errors": [
                {"name": e.name, "error": str(e.error)[:200], "count": e.occurrences}
                for e in environment.stats.errors.values()
            ][:20],
            "cpu_cores": {
                "locust": (time.process_time() - locust_cpu) / seconds,
                **{name: (_cpu_s(p) - cpu[name]) / seconds for name, p in pids.items()},
                "machine": (busy[0] - machine[0]) / max(1, busy[1] - machine[1]) * os.cpu_count(),
            },
        }
        phases.append(result)
        past_capacity = past_capacity or (phase["kind"] == "step" and not step_met(result))
        gevent.sleep(2)  # the filings still in flight land before the next part's count
    runner.quit()
    return {"phases": phases}


def _plan(*, rate: float, seconds: float, step: float, step_max: float, step_s: float) -> list:
    steps = []
    if step > 0:
        level = step
        while level <= step_max + 1e-9:
            steps.append({"kind": "step", "rate": level, "seconds": step_s})
            level += step
    return [*steps, {"kind": "sustained", "rate": rate, "seconds": seconds}]


def read_costs(served: Served, session: dict, app_id: int, repeats: int = READ_REPEATS) -> dict:
    """CPU-ms in the web workers per request of each read page, requested alone, one after
    another (the first of each is not counted: it fills what a page keeps warm): at least
    `repeats` times, and until the requests have cost READ_CPU_MS_MIN."""
    cookie = f"sessionid={session['sessionid']}; csrftoken={session['csrftoken']}"
    web = served.web_workers()
    costs = {}
    for name, (path, signed_in) in READS.items():
        url = f"http://127.0.0.1:{served.port}{path.format(app=app_id)}"
        request = urllib.request.Request(url, headers={"Cookie": cookie} if signed_in else {})
        with urllib.request.urlopen(request, timeout=60) as answer:
            answer.read()
        before = cpu_ms(web)
        made = 0
        while made < repeats or (
            cpu_ms(web) - before < READ_CPU_MS_MIN and made < READ_REQUESTS_MAX
        ):
            with urllib.request.urlopen(request, timeout=60) as answer:
                answer.read()
                if answer.status != 200 or "/login" in answer.url:
                    raise RuntimeError(f"{name}: {answer.status} {answer.url}")
            made += 1
        costs[name] = (cpu_ms(web) - before) / made
    return costs


def _stored(served: Served) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(served.database_url) as conn:
        return conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE status <> 'submitted')"
            " FROM complaints_complaint"
        ).fetchone()


def run(
    *,
    rate: float = TARGET_FILINGS_PER_S,
    seconds: float = 300,
    step: float = 25,
    step_max: float = 250,
    step_seconds: float = 30,
    users: int = 300,
    regulators: int = 6,
    public_rate: int = 20,
) -> dict:
    """Start the platform, run the capacity step and the sustained part, return the figures."""
    phases = _plan(rate=rate, seconds=seconds, step=step, step_max=step_max, step_s=step_seconds)
    with platform(web_workers=Stack.WEB_WORKERS, threads=Stack.WEB_THREADS, worker=True) as served:
        apps = app_names(served)
        import psycopg

        with psycopg.connect(served.database_url) as conn:
            app_ids = [r[0] for r in conn.execute("SELECT id FROM complaints_app LIMIT 20")]
        sessions = _sessions(served, REGULATOR_SESSIONS)
        load_before = os.getloadavg()
        reads_before = read_costs(served, sessions[0], app_ids[0])
        config = {
            "host": f"http://127.0.0.1:{served.port}",
            "phases": phases,
            "users": users,
            "regulators": regulators,
            "public": public_rate,
            "apps": apps,
            "app_ids": app_ids,
            "sessions": sessions,
            "pids": {
                "web": served.web_workers(),
                "worker": served.pids("worker"),
                "redis": served.pids("redis"),
            },
        }
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "benchmarks.loadtest", "--drive"],
            input=json.dumps(config),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=sum(p["seconds"] + 10 for p in phases) + 180,
        )
        elapsed = time.monotonic() - started
        if result.returncode:
            raise RuntimeError(result.stderr[-3000:])
        figures = json.loads(result.stdout.splitlines()[-1])
        load_after = os.getloadavg()
        stored = _stored(served)
        reads_after = read_costs(served, sessions[0], app_ids[0])
    figures.update(
        {
            "elapsed_s": elapsed,
            "load_average_before": load_before,
            "load_average": load_after,
            "stored": stored[0],
            "classified": stored[1],
            "reads_cpu_ms_before": reads_before,
            "reads_cpu_ms_after": reads_after,
            "users": users,
            "regulators": regulators,
            "public_rate": public_rate,
        }
    )
    return figures


def sustained(figures: dict) -> dict:
    return next(p for p in figures["phases"] if p["kind"] == "sustained")


def capacity(figures: dict) -> float | None:
    """The highest step rate met before the first miss (None: no step met, or none run)."""
    best = None
    for phase in figures["phases"]:
        if phase["kind"] != "step":
            continue
        if not step_met(phase):
            break
        best = phase["rate"]
    return best


def summary(figures: dict) -> dict:
    """The sustained part set against the targets."""
    part = sustained(figures)
    rows = part["endpoints"]
    dashboard_p95 = max((rows.get(name, {}).get("p95_ms") or 0) for name in DASHBOARDS)
    filing_p95 = rows.get(FILING_DUE, {}).get("p95_ms")
    found = {
        "filings_per_s": part["filings_per_s"],
        "offered_per_s": part["rate"],
        "filing_p95_ms": filing_p95,
        "filing_server_p95_ms": rows.get(FILING, {}).get("p95_ms"),
        "dashboard_p95_ms": dashboard_p95,
        "failures": part["failures"],
        "capacity_per_s": capacity(figures),
        "locust_cores": part["cpu_cores"]["locust"],
    }
    found["met"] = {
        "rate": found["filings_per_s"] >= KEEPS_UP * TARGET_FILINGS_PER_S,
        "filing_p95": (filing_p95 or float("inf")) <= TARGET_FILING_P95_MS,
        "no_errors": found["failures"] == 0,
        "dashboard_p95": dashboard_p95 <= TARGET_DASHBOARD_P95_MS,
    }
    return found


def _ms(value) -> str:
    return "–" if value is None else f"{value:.0f}"


def table(part: dict) -> str:
    lines = [
        "| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | failures |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in sorted(part["endpoints"].items()):
        lines.append(
            f"| {name} | {row['requests']} | {row['rps']:.1f} | {_ms(row['p50_ms'])} | "
            f"{_ms(row['p95_ms'])} | {_ms(row['p99_ms'])} | {row['failures']} |"
        )
    return "\n".join(lines)


def _cores(part: dict) -> str:
    c = part["cpu_cores"]
    return (
        f"locust {c['locust']:.2f}, gunicorn {c['web']:.2f}, Celery worker {c['worker']:.2f}, "
        f"Redis {c['redis']:.2f}, whole machine {c['machine']:.2f} of {os.cpu_count()}"
    )


def steps_table(figures: dict) -> str:
    lines = [
        "| offered /s | achieved /s | filing p95 from due ms | server p95 ms | failures "
        "| cores used (locust / gunicorn / machine) | met |",
        "|---:|---:|---:|---:|---:|---|---|",
    ]
    for part in figures["phases"]:
        if part["kind"] != "step":
            continue
        rows, c = part["endpoints"], part["cpu_cores"]
        lines.append(
            f"| {part['rate']:.0f} | {part['filings_per_s']:.1f} | "
            f"{_ms(rows.get(FILING_DUE, {}).get('p95_ms'))} | "
            f"{_ms(rows.get(FILING, {}).get('p95_ms'))} | {part['failures']} | "
            f"{c['locust']:.2f} / {c['web']:.2f} / {c['machine']:.2f} | "
            f"{'yes' if step_met(part) else 'no'} |"
        )
    return "\n".join(lines)


def reads_table(figures: dict) -> str:
    lines = ["| page | CPU-ms before the run | CPU-ms after it |", "|---|---:|---:|"]
    for name in READS:
        lines.append(
            f"| {name} | {figures['reads_cpu_ms_before'][name]:.1f} | "
            f"{figures['reads_cpu_ms_after'][name]:.1f} |"
        )
    return "\n".join(lines)


def verdict(found: dict) -> str:
    def mark(ok: bool) -> str:
        return "met" if ok else "**missed**"

    met = found["met"]
    best = found["capacity_per_s"]
    return (
        f"Filings: **{found['filings_per_s']:.1f}/s** achieved of {found['offered_per_s']:.0f}/s "
        f"offered (target ≥ {TARGET_FILINGS_PER_S}/s: {mark(met['rate'])}); p95 from due "
        f"{_ms(found['filing_p95_ms'])} ms, server side {_ms(found['filing_server_p95_ms'])} ms "
        f"(target ≤ {TARGET_FILING_P95_MS}: {mark(met['filing_p95'])}); failures "
        f"{found['failures']} ({mark(met['no_errors'])}); dashboards p95 "
        f"{found['dashboard_p95_ms']:.0f} ms (target ≤ {TARGET_DASHBOARD_P95_MS}: "
        f"{mark(met['dashboard_p95'])}). Capacity step: "
        + (f"highest rate met **{best:.0f}/s**." if best else "no step met.")
    )


def record(figures: dict) -> tuple[str, str, dict]:
    """The section for RESULTS.md, and the file name and content for benchmarks/results/."""
    from benchmarks.run import machine, machine_text

    found = summary(figures)
    part = sustained(figures)
    revision = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    stamp = time.strftime("%Y-%m-%d %H:%M %Z")
    before, after = figures["load_average_before"], figures["load_average"]
    text = (
        f"\n## make loadtest, {stamp} (revision {revision})\n\n"
        f"Machine: {machine_text(machine())}. Load average before {before[0]:.2f} {before[1]:.2f} "
        f"{before[2]:.2f}, after {after[0]:.2f} {after[1]:.2f} {after[2]:.2f} (the machine is "
        f"shared). gunicorn {Stack.WEB_WORKERS} workers × {Stack.WEB_THREADS} threads, one "
        f"Celery worker and beat; locust in one process on the same cores: "
        f"{figures['users']} consumer connections fed by an "
        f"open-loop pacer, {figures['regulators']} regulators, {figures['public_rate']} public "
        f"readers at a page a second each.\n\n"
        f"Capacity step (each {next((p['seconds'] for p in figures['phases'] if p['kind'] == 'step'), 0):.0f} s, "
        f"stopped after the first miss):\n\n{steps_table(figures)}\n\n"
        f"Sustained: {part['rate']:.0f} filings/s offered for {part['seconds']:.0f} s "
        f"({part['issued']} due, {part['unsent']} never sent because every connection was "
        f"busy; send lag p95 {_ms(part['send_lag_p95_ms'])} ms). Cores used: {_cores(part)}.\n\n"
        f"{table(part)}\n\n"
        f"{verdict(found)} Stored {figures['stored']}, classified by the end "
        f"{figures['classified']}.\n\n"
        f"Read pages alone, web CPU-ms per request (mean of at least {READ_REPEATS}, and of "
        f"as many as cost {READ_CPU_MS_MIN} ms in all):\n\n"
        f"{reads_table(figures)}\n"
    )
    if part["errors"]:
        text += "\nErrors: " + json.dumps(part["errors"], ensure_ascii=False) + "\n"
    name = f"loadtest-{time.strftime('%Y%m%d-%H%M')}-{revision}.json"
    return text, name, {"revision": revision, "machine": machine(), **figures, **found}


def _env(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def cli() -> None:
    """`make loadtest` (not `main`: `make bench` runs every module with a main, and this one
    takes its ten minutes on its own)."""
    if "--drive" in sys.argv:
        print(json.dumps(_drive(json.loads(sys.stdin.read()))))
        return
    figures = run(
        rate=_env("LOADTEST_RATE", TARGET_FILINGS_PER_S),
        seconds=_env("LOADTEST_SECONDS", 300),
        step=_env("LOADTEST_STEP", 25),
        step_max=_env("LOADTEST_STEP_MAX", 250),
        step_seconds=_env("LOADTEST_STEP_SECONDS", 30),
        users=int(_env("LOADTEST_USERS", 300)),
        regulators=int(_env("LOADTEST_REGULATORS", 6)),
        public_rate=int(_env("LOADTEST_PUBLIC_RATE", 20)),
    )
    text, name, document = record(figures)
    print(text)
    if "--no-record" not in sys.argv:
        with Path(RESULTS).open("a", encoding="utf-8") as results:
            results.write(text)
        RESULTS_DIR.mkdir(exist_ok=True)
        (RESULTS_DIR / name).write_text(json.dumps(document, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    cli()
