"""`make chaos`: filing under faults, as in production, on loopback only (issue 14, "Proof").

Starts its own redis-server on a spare port and a scratch PostgreSQL database (from a template
holding the schema, the demo registry and a trained model, built once and reused), then
gunicorn, a Celery worker and Celery beat as `make run` / production would. It files 2,000
complaints at 50/s over the API with an Idempotency-Key each (a request that fails or takes
longer than the client's 2 s is retried once with its key), kills the whole worker with
SIGKILL twice (a supervisor starts it again 2 s later), stops Redis for 15 s, and waits for
every stored complaint to be classified. The last line is the summary:

    chaos: sent=2000 accepted=… stored=… classified=… duplicates=… lost=… server_errors=… recovered_in_s=…

`lost` counts filings a client was told were accepted that are not stored, plus stored
complaints still unclassified when the wait ends. `recovered_in_s` is the time from Redis
starting again to the last complaint classified. Bounded: at most CHAOS_WAIT_SECONDS (180)
after the last filing. Not in CI (minutes long); tests/integration/test_faults.py is the quick
check. Options: --rate, --count, --outage, --keep (leave the database for inspection).
"""

import argparse
import concurrent.futures
import contextlib
import hashlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import psycopg

from benchmarks.scratch import ROOT, SERVER, create_database, drop_databases

VENV_BIN = Path(sys.executable).parent
CLIENT_TIMEOUT = 2.0
WAIT_SECONDS = float(os.environ.get("CHAOS_WAIT_SECONDS", 180))
TEXTS = [
    "不给通讯录权限就不让用，每次打开都弹窗要求开启定位和相机权限。",
    "注销账号的入口找不到，客服说必须先绑定银行卡才能注销。",
    "同一张机票我用老账号看比新账号贵了两百元，这是大数据杀熟。",
    "开通会员后被自动续费，扣款前没有任何提醒，取消入口藏得很深。",
    "有人冒充平台客服说我的订单异常要退款，让我开屏幕共享，卡里的钱被转走了。",
    "The app uploads my contact list to its servers without asking me first.",
    "It keeps charging my card every month for a subscription I never agreed to.",
    "摇一摇广告一碰就跳转到别的应用下载页面，根本关不掉。",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _db_url(name: str) -> str:
    return SERVER.rsplit("/", 1)[0] + "/" + name


def _template() -> str:
    """A database with the schema, the demo registry and an active model, named for the
    migrations it holds, so it is built once (about a minute: one model trained)."""
    migrations = sorted(p.name for p in ROOT.glob("*/migrations/0*.py"))
    name = "appwatch_chaos_tpl_" + hashlib.sha256("".join(migrations).encode()).hexdigest()[:10]
    with psycopg.connect(SERVER, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return name
    print(f"building template database {name} (once)…", flush=True)
    # Built under a name of its own and renamed when complete: another benchmark starting at
    # the same moment (the suite runs them in parallel) never copies a half-built template.
    building = f"{name}_b{os.getpid()}"
    create_database(building)
    env = {**os.environ, "DATABASE_URL": _db_url(building)}
    env.pop("CELERY_BROKER_URL", None)
    manage = [sys.executable, "manage.py"]
    try:
        for args in (
            ["migrate", "-v0"],
            ["demo_data", "--complaints", "0"],
            ["train_classifier", "--algorithms", "linear_svm", "--force"],
        ):
            subprocess.run(
                [*manage, *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
            )
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    except psycopg.errors.DuplicateDatabase:
        drop_databases(building)  # another process finished first: its template serves
    except BaseException:
        drop_databases(building)
        raise
    return name


class Processes:
    """The platform's processes, each in its own session so a kill takes its children too."""

    def __init__(self, workdir: Path, env: dict):
        self.workdir, self.env = workdir, env
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 — closed with the process
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.running[name] = process
        return process

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        process = self.running.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for name in list(self.running):
            self.kill(name, signal.SIGTERM)


def _redis(processes: Processes, port: int, workdir: Path) -> None:
    # Append-only file, as a production broker keeps: messages survive the restart.
    processes.start(
        "redis",
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "yes", "--dir", str(workdir), "--protected-mode", "yes"],
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("redis-server did not start")


def _worker(processes: Processes) -> None:
    processes.start(
        "worker",
        [str(VENV_BIN / "celery"), "-A", "config", "worker", "--loglevel=INFO",
         "--concurrency", "1", "--without-gossip", "--without-mingle"],
    )  # fmt: skip


class Client:
    """Files complaints as consumers' apps would: JSON, an Idempotency-Key, a 2 s timeout,
    one retry with the same key after a failure or a timeout."""

    def __init__(self, port: int):
        self.url = f"http://127.0.0.1:{port}/api/v1/complaints/"
        self.lock = threading.Lock()
        self.results: list[dict] = []

    def _post(self, body: bytes, key: str) -> tuple[int | None, dict, float]:
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT) as response:
                return response.status, json.loads(response.read()), time.monotonic() - started
        except urllib.error.HTTPError as error:
            return error.code, {}, time.monotonic() - started
        except OSError:  # timeout, refused, reset
            return None, {}, time.monotonic() - started

    def file(self, index: int, apps: list[str]) -> None:
        key = f"chaos-{uuid.uuid4().hex}"
        body = json.dumps(
            {
                "app_name": apps[index % len(apps)],
                "description": f"{TEXTS[index % len(TEXTS)]} (#{index})",
            }
        ).encode()
        sent_at = time.monotonic()
        status, answer, seconds = self._post(body, key)
        attempts = [(sent_at, status, seconds)]
        if status is None or status >= 500:
            retry_at = time.monotonic()
            status, answer, seconds = self._post(body, key)
            attempts.append((retry_at, status, seconds))
        with self.lock:
            self.results.append(
                {
                    "index": index,
                    "key": key,
                    "attempts": attempts,
                    "accepted": status == 201,
                    "tracking_number": answer.get("tracking_number"),
                }
            )


def _warm_up(client: Client, apps: list[str]) -> None:
    """Until filings answer quickly: each web process's first filing loads what it needs
    (seconds), and the worker loads its model. Not counted."""
    deadline = time.monotonic() + 120
    warm = Client(int(client.url.split(":")[2].split("/")[0]))
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        while time.monotonic() < deadline:
            warm.results.clear()
            list(pool.map(lambda i: warm.file(-1 - i, apps), range(8)))
            slowest = max(a[2] for r in warm.results for a in r["attempts"])
            if all(r["accepted"] for r in warm.results) and slowest < 0.5:
                break
    time.sleep(2)


def _counts(database_url: str) -> dict:
    """The chaos run's complaints (descriptions end in "(#n)"; warm-up ones in "(#-n)")."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            r"""SELECT count(*),
                      count(*) FILTER (WHERE status <> 'submitted'),
                      count(*) - count(DISTINCT description)
               FROM complaints_complaint WHERE description ~ '\(#[0-9]+\)$'"""
        ).fetchone()
    return {"stored": row[0], "classified": row[1], "duplicates": row[2]}


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--outage", type=float, default=15.0)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)

    template = _template()
    database = f"appwatch_chaos_{os.getpid()}"
    drop_databases(database)
    create_database(database, template=template)
    workdir = Path(tempfile.mkdtemp(prefix="appwatch-chaos-"))
    redis_port, web_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": _db_url(database),
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "APPWATCH_VAR_DIR": str(workdir / "var"),
        "CLASSIFIER_ARTIFACT_DIR": str(workdir / "models"),
        # Many consumers, not one address filing 2,000 times.
        "ANON_SUBMIT_RATE": "1000000/hour",
    }
    env.pop("CACHE_URL", None)
    processes = Processes(workdir, env)
    with psycopg.connect(_db_url(database)) as conn:
        apps = [r[0] for r in conn.execute("SELECT name FROM complaints_app ORDER BY id LIMIT 20")]
    print(f"chaos: database {database}, redis :{redis_port}, web :{web_port}, logs {workdir}")
    timeline: list[tuple[float, str]] = []
    redis_up_wall = None
    try:
        _redis(processes, redis_port, workdir)
        processes.start(
            "web",
            [str(VENV_BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{web_port}",
             "--workers", "2", "--threads", "4", "--access-logfile", "-",
             "--access-logformat", "%(t)s %(r)s %(s)s %(M)sms"],
        )  # fmt: skip
        _worker(processes)
        processes.start(
            "beat",
            [str(VENV_BIN / "celery"), "-A", "config", "beat", "--loglevel=INFO",
             "--schedule", str(workdir / "beat-schedule")],
        )  # fmt: skip
        client = Client(web_port)
        _warm_up(client, apps)
        duration = args.count / args.rate
        # Faults, in seconds from the first filing: two kills while filings flow, then
        # the outage, ending before the last filing so recovery happens under load.
        kills = [0.12 * duration, 0.25 * duration]
        outage_start = 0.35 * duration
        outage_end = outage_start + args.outage
        events = sorted(
            [(t, "kill") for t in kills]
            + [(t + 2, "restart") for t in kills]
            + [(outage_start, "redis down"), (outage_end, "redis up")]
        )
        t0 = time.monotonic()
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=200)
        futures = []
        for index in range(args.count):
            due = t0 + index / args.rate
            while events and t0 + events[0][0] <= time.monotonic():
                at, what = events.pop(0)
                timeline.append((time.monotonic() - t0, what))
                if what == "kill":
                    processes.kill("worker")
                elif what == "restart":
                    _worker(processes)
                elif what == "redis down":
                    processes.kill("redis", signal.SIGTERM)
                else:
                    _redis(processes, redis_port, workdir)
                    redis_up_wall = time.time()
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(client.file, index, apps))
        for future in futures:
            future.result()
        pool.shutdown()
        sent_done = time.monotonic()
        timeline.append((sent_done - t0, "last answer"))

        # Until every stored complaint is classified and nothing new has been stored for 5 s
        # (requests whose client gave up may still be in the server).
        stable_since, last = time.monotonic(), None
        while time.monotonic() - sent_done < WAIT_SECONDS:
            counts = _counts(_db_url(database))
            if counts["stored"] != last:
                stable_since, last = time.monotonic(), counts["stored"]
            if counts["classified"] >= counts["stored"] and time.monotonic() - stable_since > 5:
                break
            time.sleep(0.5)
        counts = _counts(_db_url(database))
    finally:
        processes.stop_all()

    results = client.results
    accepted = [r for r in results if r["accepted"]]
    with psycopg.connect(_db_url(database)) as conn:
        stored_numbers = {
            n for (n,) in conn.execute("SELECT tracking_number FROM complaints_complaint")
        }
        last_classified = conn.execute(
            r"SELECT extract(epoch FROM max(classified_at)) FROM complaints_complaint"
            r" WHERE description ~ '\(#[0-9]+\)$'"
        ).fetchone()[0]
        outbox_left = conn.execute("SELECT count(*) FROM complaints_outboxmessage").fetchone()[0]
    lost = sum(1 for r in accepted if r["tracking_number"] not in stored_numbers)
    lost += counts["stored"] - counts["classified"]
    server_errors = sum(
        1 for r in results for (_, status, _) in r["attempts"] if status and status >= 500
    )
    no_answer = sum(1 for r in results for (_, status, _) in r["attempts"] if status is None)
    retried = sum(1 for r in results if len(r["attempts"]) > 1)
    # Latency of first attempts sent while Redis was down.
    during = [
        seconds
        for r in results
        for (sent, status, seconds) in r["attempts"][:1]
        if t0 + outage_start <= sent < t0 + outage_end
    ]
    outside = [
        seconds
        for r in results
        for (sent, status, seconds) in r["attempts"][:1]
        if not t0 + outage_start <= sent < t0 + outage_end
    ]

    def p(values, q):
        return (
            statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else float("nan")
        )

    # Recovery: from Redis starting again to the last complaint classified (this process's
    # clock against the database's, both this machine's).
    recovered_in_s = None
    if counts["classified"] >= counts["stored"] and last_classified and redis_up_wall:
        recovered_in_s = max(0.0, float(last_classified) - redis_up_wall)
    print("timeline (s from first filing): " + ", ".join(f"{w} {t:.1f}" for t, w in timeline))
    print(
        f"filing latency: first attempts during the outage n={len(during)} "
        f"p50 {p(during, 50):.0f} ms p95 {p(during, 95):.0f} ms max {max(during) * 1000:.0f} ms; "
        f"outside it n={len(outside)} p50 {p(outside, 50):.0f} ms p95 {p(outside, 95):.0f} ms"
    )
    print(
        f"retried {retried}, attempts without an answer {no_answer}, outbox rows left {outbox_left}"
    )
    if not args.keep:
        drop_databases(database)
    print(
        f"chaos: sent={len(results)} accepted={len(accepted)} stored={counts['stored']} "
        f"classified={counts['classified']} duplicates={counts['duplicates']} lost={lost} "
        f"server_errors={server_errors} recovered_in_s="
        + (f"{recovered_in_s:.1f}" if recovered_in_s is not None else "never")
    )
    return 0


if __name__ == "__main__":
    sys.exit(run())
