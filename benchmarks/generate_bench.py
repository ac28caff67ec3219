"""generate_complaints throughput into PostgreSQL (target ≥ 50,000 rows/s).

Creates a scratch database on the server named by BENCH_POSTGRES_URL (default: the local
server), migrates it, adds the demo registry, and times `generate_complaints N`
(N from BENCH_GENERATE_ROWS, default 1,000,000). The scratch database is dropped afterwards.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def main() -> None:
    rows = int(os.environ.get("BENCH_GENERATE_ROWS", 1_000_000))
    name = f"appwatch_bench_generate_{os.getpid()}"
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
        print(f"generate_complaints {rows:,}: {wall:.1f} s wall including process start-up")
        print(f"  {out.strip()}")
        print(f"  rows/s (command's own timing): {inner.group(1) if inner else '?'}")
    finally:
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
