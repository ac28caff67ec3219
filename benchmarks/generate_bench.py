"""generate_complaints throughput into PostgreSQL (target ≥ 50,000 rows/s).

Each run creates a scratch database on the server named by BENCH_POSTGRES_URL (default: the
local server), migrates it, adds the demo registry, lets the server and the kernel write out
what the set-up left dirty (CHECKPOINT, sync), and times `generate_complaints N` (N from
BENCH_GENERATE_ROWS, default 1,000,000). The scratch database is dropped afterwards.
BENCH_GENERATE_RUNS runs (default 3) give the median.
"""

import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
TARGET = 50_000


def _run(rows: int, run: int) -> float:
    name = f"appwatch_bench_generate_{os.getpid()}_{run}"
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": SERVER.rsplit("/", 1)[0] + "/" + name}
    env.pop("CELERY_BROKER_URL", None)
    try:
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [*manage, "demo_data", "--complaints", "0"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute("CHECKPOINT")
        os.sync()
        load = os.getloadavg()[0]
        started = time.perf_counter()
        out = subprocess.run(
            [*manage, "generate_complaints", str(rows)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        wall = time.perf_counter() - started
        inner = re.search(r"([\d,]+) rows/s", out)
        rate = int(inner.group(1).replace(",", "")) if inner else 0
        print(
            f"run {run}: {out.strip()} — {wall:.1f} s wall with process start-up, "
            f"load average {load:.1f} on {os.cpu_count()} cores",
            flush=True,
        )
        return rate
    finally:
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    rows = int(os.environ.get("BENCH_GENERATE_ROWS", 1_000_000))
    runs = int(os.environ.get("BENCH_GENERATE_RUNS", 3))
    rates = [_run(rows, run) for run in range(1, runs + 1)]
    median = statistics.median(rates)
    print(
        f"generate_complaints {rows:,} rows: median {median:,.0f} rows/s over {runs} runs "
        f"(min {min(rates):,}, max {max(rates):,}) — target {TARGET:,}: "
        f"{'met' if median >= TARGET else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
