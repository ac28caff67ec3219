"""AppWatch as `make bench` runs it: as in production, on loopback only, with nothing shared.

A scratch PostgreSQL database copied from the chaos template (schema, demo registry, trained
model), a redis-server of its own on a spare port, gunicorn serving benchmarks.settings (the
production settings plus the baseline views) and a real Celery worker. `Stack.cpu_seconds` and
`Stack.rss_mb` read the servers' own CPU time and memory from /proc, so figures can be judged on
a machine that others share.
"""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg

from benchmarks.chaos import VENV_BIN, Processes, _db_url, _free_port, _redis, _template, _worker
from benchmarks.scratch import ROOT, create_database, drop_databases

TICKS = os.sysconf("SC_CLK_TCK")
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


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
            fields = _stat(pid)
            total += sum(int(v) for v in fields[11:15])
    return total / TICKS


def rss_mb(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_MB


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
    """The platform's processes and their scratch database and Redis; a context manager that
    leaves nothing behind."""

    WEB_WORKERS, WEB_THREADS = 2, 4

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="appwatch-bench-"))
        self.database = f"appwatch_bench_{os.getpid()}"
        self.database_url = _db_url(self.database)
        self.redis_port, self.web_port = _free_port(), _free_port()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "APPWATCH_VAR_DIR": str(self.workdir / "var"),
            "CLASSIFIER_ARTIFACT_DIR": str(self.workdir / "models"),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": "WARNING",
            # Many consumers, not one address filing thousands of times.
            "ANON_SUBMIT_RATE": "100000000/hour",
        }
        self.env.pop("CACHE_URL", None)
        self.processes = Processes(self.workdir, self.env)

    def __enter__(self) -> "Stack":
        template = _template()
        drop_databases(self.database)
        create_database(self.database, template=template)
        try:
            _redis(self.processes, self.redis_port, self.workdir)
            self.start_web("web", self.web_port)
            _worker(self.processes)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.processes.stop_all()
        drop_databases(self.database)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def start_web(
        self, name: str, port: int, workers: int | None = None, wait: bool = True
    ) -> None:
        """gunicorn as production runs it; with `wait`, until it answers (which warms a
        worker), else only until it listens."""
        self.processes.start(
            name,
            [str(VENV_BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers or self.WEB_WORKERS), "--threads", str(self.WEB_THREADS),
             "--env", "DJANGO_SETTINGS_MODULE=benchmarks.settings"],
        )  # fmt: skip
        if wait:
            wait_http(port, "/api/v1/")
            return
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not listen on port {port}")

    def pids(self, name: str) -> list[int]:
        return descendants(self.processes.running[name].pid)

    def web_workers(self, name: str = "web") -> list[int]:
        master = self.processes.running[name].pid
        return [pid for pid in self.pids(name) if pid != master]

    def cpu_seconds(self, name: str) -> float:
        return cpu_seconds(self.pids(name))

    def sql(self, query: str, params: list | None = None) -> list[tuple]:
        with psycopg.connect(self.database_url) as conn:
            return conn.execute(query, params or []).fetchall()

    def app_names(self, limit: int = 20) -> list[tuple[int, str]]:
        return [
            (pk, name)
            for pk, name in self.sql(
                "SELECT id, name FROM complaints_app ORDER BY id LIMIT %s", [limit]
            )
        ]

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
