"""The one way benchmarks start AppWatch: as in production, on loopback only, with nothing shared.

`Stack` is a scratch PostgreSQL database copied from a template (schema, demo registry, trained
model), a redis-server of its own on a spare port, gunicorn serving benchmarks.settings (the
production settings plus the baseline views), and, as asked, a Celery worker and beat started
through the product's own process definition (bin/worker). `make bench` (run.py), `make chaos`,
`make loadtest`, filing_cost and drain_bench all use it; `Stack.cold_starts` is the one measurement of a new
web worker's boot and first request. CPU time, RSS and PSS are read from /proc, so figures can
be judged on a machine that others share.
"""

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psycopg

from benchmarks.scratch import ROOT, SERVER, create_database, drop_databases

VENV_BIN = Path(sys.executable).parent
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20
TEMPLATE_STEPS = (
    ["migrate", "-v0"],
    ["demo_data", "--complaints", "0"],
    ["train_classifier", "--algorithms", "linear_svm", "--force"],
)
# The platform's own gunicorn settings (gunicorn.conf.py: preloading, the frozen heap), plus
# hooks by which each worker writes when it was forked and when it had loaded the application.
GUNICORN_HOOKS = """
import os, time

with open({config!r}) as _config:
    exec(compile(_config.read(), {config!r}, "exec"))

def _mark(name):
    # Written whole or not at all: the benchmark may look while the worker writes.
    path = os.path.join({folder!r}, name)
    with open(path + ".tmp", "w") as f:
        f.write(repr(time.time()))
    os.replace(path + ".tmp", path)

def post_fork(server, worker):
    _mark("forked-%d" % worker.pid)

def post_worker_init(worker):
    _mark("ready-%d" % worker.pid)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def db_url(name: str) -> str:
    return SERVER.rsplit("/", 1)[0] + "/" + name


def _exists(name: str) -> bool:
    with psycopg.connect(SERVER, autocommit=True) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def _manage_steps(database: str) -> None:
    env = {**os.environ, "DATABASE_URL": db_url(database)}
    env.pop("CELERY_BROKER_URL", None)
    for args in TEMPLATE_STEPS:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip


def template_database(name: str | None = None, fill: Callable[[str], None] = _manage_steps) -> str:
    """A database with the schema, the demo registry and an active model, named for the
    migrations it holds, so it is built once (about a minute: one model trained).

    Built under a name of its own and renamed when complete: another benchmark starting at the
    same moment (the suite runs two together) never copies a half-built template; when both
    build, the second rename fails and that builder drops its copy."""
    if name is None:
        migrations = "".join(sorted(p.name for p in ROOT.glob("*/migrations/0*.py")))
        name = "appwatch_chaos_tpl_" + hashlib.sha256(migrations.encode()).hexdigest()[:10]
    if _exists(name):
        return name
    print(f"building template database {name} (once)…", flush=True)
    building = f"{name}_b{os.getpid()}_{free_port()}"
    create_database(building)
    try:
        fill(building)
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    except psycopg.errors.DuplicateDatabase:
        drop_databases(building)  # another builder finished first: its template serves
    except BaseException:
        drop_databases(building)
        raise
    return name


def platform_env(database: str, redis_port: int, workdir: Path, extra: dict | None = None) -> dict:
    """The environment every process of a benchmark's platform runs with."""
    env = {k: v for k, v in os.environ.items() if k != "CACHE_URL"}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": db_url(database),
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "APPWATCH_VAR_DIR": str(workdir / "var"),
        "CLASSIFIER_ARTIFACT_DIR": str(workdir / "models"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        # Many consumers behind our proxy (loopback), not one address filing thousands of
        # times: X-Forwarded-For is trusted from loopback and the anonymous limit set high.
        "TRUSTED_PROXIES": "127.0.0.1/32",
        "ANON_SUBMIT_RATE": "100000000/hour",
        "APP_SEARCH_RATE": "100000000/hour",
        **(extra or {}),
    }


class Processes:
    """The platform's processes, each in its own session so a kill takes its children too."""

    def __init__(self, workdir: Path, env: dict):
        self.workdir, self.env = workdir, env
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], cwd: Path = ROOT) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 — closed with the process
        process = subprocess.Popen(
            argv, cwd=cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
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


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def descendants(pid: int) -> list[int]:
    """The process and everything it started, from /proc."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                children.setdefault(int(_stat(int(name))[1]), []).append(int(name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User and system time of these processes (their exited children's too)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += sum(int(v) for v in _stat(pid)[11:15])
    return total / TICKS


def rss_mb(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_MB


def pss_mb(pid: int) -> float:
    """Proportional set size: each shared page counted once over the processes sharing it, so
    a process tree's PSS adds up to what it really occupies (prefork children share the
    model their parent loaded; RSS would count it once per child)."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no Pss line for process {pid}")


def wait_http(port: int, path: str = "/", timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered on port {port} within {timeout:.0f} s")


def wait_redis(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("redis-server did not start")


def child_json(code: str, env: dict, *args: str) -> dict:
    """Run Python code in a fresh process of this venv, echoing what it prints as it goes;
    its last output line is JSON, the result."""
    argv = [sys.executable, "-c", code, *args]
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    last = ""
    assert process.stdout is not None
    for line in process.stdout:
        if last.strip():
            print(f"  {last}", flush=True)
        last = line.rstrip("\n")
    if process.wait():
        raise subprocess.CalledProcessError(process.returncode, argv[:2])
    return json.loads(last)


class Stack:
    """The platform's processes with their scratch database and Redis; a context manager that
    leaves nothing behind. `worker`: a Celery worker and beat beside gunicorn; `worker_options`:
    how it runs (pool, concurrency, log level). `web=False`: no gunicorn (a benchmark of the
    worker alone). `code`: serve the web tier from another checkout (an earlier revision, for a
    before/after)."""

    # bin/serve's shape (gunicorn.conf.py says why).
    WEB_WORKERS, WEB_THREADS = 2, 8

    def __init__(
        self,
        *,
        web_workers: int = WEB_WORKERS,
        threads: int = WEB_THREADS,
        web: bool = True,
        worker: bool = True,
        worker_options: tuple[str, ...] = ("--concurrency", "1"),
        beat: bool = False,
        extra_env: dict | None = None,
        code: Path | None = None,
        access_log: bool = False,
        prefix: str = "appwatch_bench",
    ) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix=prefix.replace("_", "-") + "-"))
        self.ready = self.workdir / "ready"
        self.ready.mkdir()
        self.hooks = self.workdir / "gunicorn_hooks.py"
        self.hooks.write_text(
            GUNICORN_HOOKS.format(folder=str(self.ready), config=str(ROOT / "gunicorn.conf.py"))
        )
        self.database = f"{prefix}_{os.getpid()}_{free_port()}"
        self.database_url = db_url(self.database)
        self.redis_port, self.web_port = free_port(), free_port()
        self.env = platform_env(self.database, self.redis_port, self.workdir, extra_env)
        self.processes = Processes(self.workdir, self.env)
        self.web_workers_count, self.threads = web_workers, threads
        self.with_web, self.with_worker, self.with_beat, self.code = web, worker, beat, code
        self.worker_options = worker_options
        self.access_log = access_log
        self.keep = False  # set to leave the database and the logs for inspection

    @property
    def port(self) -> int:
        return self.web_port

    def __enter__(self) -> "Stack":
        create_database(self.database, template=template_database())
        try:
            self.start_redis()
            if self.with_web:
                self.start_web("web", self.web_port, self.web_workers_count)
            if self.with_worker:
                self.start_worker()
            if self.with_beat:
                self.start_beat()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.processes.stop_all()
        if not self.keep:
            drop_databases(self.database)
            shutil.rmtree(self.workdir, ignore_errors=True)

    def start_redis(self) -> None:
        """Append-only, as a production broker keeps it: messages survive a restart."""
        self.processes.start(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--dir", str(self.workdir), "--protected-mode", "yes"],
        )  # fmt: skip
        wait_redis(self.redis_port)

    def stop_redis(self) -> None:
        self.processes.kill("redis", signal.SIGTERM)

    def start_worker(self) -> None:
        """bin/worker, as production runs it (a later --loglevel in the options wins)."""
        self.processes.start(
            "worker",
            [str(ROOT / "bin" / "worker"), "--loglevel=INFO", *self.worker_options,
             "--without-gossip", "--without-mingle"],
        )  # fmt: skip

    def kill_worker(self, sig=signal.SIGKILL) -> None:
        self.processes.kill("worker", sig)

    def pause_worker(self) -> None:
        """Stop the worker where it is (SIGSTOP, its pool children too), model still loaded:
        messages sent meanwhile queue up as a backlog does while a worker is away."""
        os.killpg(self.processes.running["worker"].pid, signal.SIGSTOP)

    def resume_worker(self) -> None:
        os.killpg(self.processes.running["worker"].pid, signal.SIGCONT)

    def start_beat(self) -> None:
        self.processes.start(
            "beat",
            [str(VENV_BIN / "celery"), "-A", "config", "beat", "--loglevel=INFO",
             "--schedule", str(self.workdir / "beat-schedule")],
        )  # fmt: skip

    def start_web(self, name: str, port: int, workers: int = 1, wait: bool = True) -> None:
        """gunicorn as production runs it, plus hooks that mark each worker's fork and
        readiness; with `wait`, until every worker has loaded the application."""
        log = ["--access-logfile", "-", "--access-logformat", "%(t)s %(r)s %(s)s %(M)sms"]
        self.processes.start(
            name,
            [str(VENV_BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}",
             "--config", str(self.hooks),
             "--workers", str(workers), "--threads", str(self.threads),
             *(log if self.access_log else []), *(["--chdir", str(self.code)] if self.code else [])],
        )  # fmt: skip
        if wait:
            self.wait_workers_ready(workers, name)

    def pids(self, name: str) -> list[int]:
        return descendants(self.processes.running[name].pid)

    @property
    def master_pid(self) -> int:
        return self.processes.running["web"].pid

    def web_workers(self, name: str = "web") -> list[int]:
        master = self.processes.running[name].pid
        return sorted(pid for pid in self.pids(name) if pid != master)

    def worker_ready_at(self, pid: int) -> float | None:
        path = self.ready / f"ready-{pid}"
        return float(path.read_text()) if path.exists() else None

    def wait_workers_ready(self, count: int, name: str = "web", timeout: float = 120) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes.running[name].poll() is not None:
                break
            pids = [p for p in self.web_workers(name) if self.worker_ready_at(p) is not None]
            if len(pids) >= count:
                return pids
            time.sleep(0.02)
        raise RuntimeError(f"gunicorn {name} not ready; see {self.workdir}/{name}.log")

    def cold_starts(
        self, paths: dict[str, Callable[[int], None]], repeats: int
    ) -> dict[str, list[tuple[float, float]]]:
        """A new web worker's boot (fork to application loaded, ms) and its first request (ms),
        `repeats` times for each kind of first request in `paths` (name -> a function that
        sends it to a port and raises unless it succeeded). Each round starts one fresh
        gunicorn per kind side by side, waits until all are ready, then times their first
        requests one at a time."""
        out: dict[str, list[tuple[float, float]]] = {name: [] for name in paths}
        for repeat in range(repeats):
            ports = {name: free_port() for name in paths}
            try:
                for name, port in ports.items():
                    self.start_web(f"cold-{name}-{repeat}", port, wait=False)
                for name, port in ports.items():
                    (pid,) = self.wait_workers_ready(1, f"cold-{name}-{repeat}")
                    boot = self.worker_ready_at(pid) - float(
                        (self.ready / f"forked-{pid}").read_text()
                    )
                    started = time.perf_counter()
                    paths[name](port)
                    out[name].append((boot * 1000, (time.perf_counter() - started) * 1000))
            finally:
                for name in ports:
                    with contextlib.suppress(KeyError):
                        self.processes.kill(f"cold-{name}-{repeat}", signal.SIGTERM)
        return out

    def cpu_seconds(self, name: str) -> float:
        return cpu_seconds(self.pids(name))

    def sql(self, query: str, params: list | None = None) -> list[tuple]:
        with psycopg.connect(self.database_url) as conn:
            return conn.execute(query, params or []).fetchall()

    def app_names(self, limit: int = 20) -> list[tuple[int, str]]:
        rows = self.sql("SELECT id, name FROM complaints_app ORDER BY id LIMIT %s", [limit])
        return [(pk, name) for pk, name in rows]

    def send_task(self, name: str) -> None:
        """Sends the task `name` to this platform's worker by name, as the dispatcher does,
        over a connection to this platform's broker (the app's own broker URL would be
        CELERY_BROKER_URL from this process's environment, if it has one). The app is not
        made the current one: in a test process it would take the place of the project's own
        app for everything sent after it."""
        from celery import Celery

        app = Celery(set_as_current=False)
        with app.connection_for_write(self.env["CELERY_BROKER_URL"]) as conn:
            app.send_task(name, connection=conn)

    def classification_settle(self, timeout: float = 120) -> float:
        """Until no complaint waits for classification and the worker has nothing queued:
        asks for a run of `classify_waiting` (the baseline views store complaints that wait
        but send nothing) and waits for it. Returns the seconds it took. Between two timed
        windows, so that the worker's CPU in a window is spent on that window's own
        complaints only."""
        import redis

        started = time.monotonic()
        broker = self.env["CELERY_BROKER_URL"]
        queue = redis.Redis.from_url(broker)
        sent_at = None
        while time.monotonic() - started < timeout:
            waiting = self.sql(
                "SELECT count(*) FROM complaints_complaint WHERE status = 'submitted'"
            )[0][0]
            queued = queue.llen("celery") + queue.llen("maintenance")
            if not waiting and not queued:
                return time.monotonic() - started
            if waiting and not queued and (sent_at is None or time.monotonic() - sent_at > 2):
                self.send_task("complaints.tasks.classify_waiting")  # takes every one waiting
                sent_at = time.monotonic()
            time.sleep(0.05)
        raise RuntimeError(f"complaints still wait for classification after {timeout} s")

    def statistics_refresh(self, timeout: float = 60) -> None:
        """One run of refresh_statistics on the worker, as beat sends it every minute in
        production (this stack runs no beat), and until it has finished: the summary table
        then counts every complaint filed so far."""
        table = "complaints_statisticsstate"
        before = self.sql(f"SELECT max(refreshed_at) FROM {table}")[0][0]  # noqa: S608
        self.send_task("complaints.tasks.refresh_statistics")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            after = self.sql(f"SELECT max(refreshed_at) FROM {table}")[0][0]  # noqa: S608
            if after is not None and (before is None or after > before):
                return
            time.sleep(0.1)
        raise RuntimeError(f"the statistics were not refreshed in {timeout} s")

    def wait_classified(self, tracking_numbers: list[str], timeout: float) -> int:
        """Until these complaints are classified or `timeout` passes; how many are left."""
        deadline = time.monotonic() + timeout
        left = len(tracking_numbers)
        while time.monotonic() < deadline:
            left = self.sql(
                "SELECT count(*) FROM complaints_complaint"
                " WHERE tracking_number = ANY(%s) AND classified_at IS NULL",
                [tracking_numbers],
            )[0][0]
            if not left:
                break
            time.sleep(0.25)
        return left
