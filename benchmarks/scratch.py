"""What the throughput benchmarks share: scratch databases on BENCH_POSTGRES_URL's server with
the schema and the demo registry, a quiet server before timing, and the median line."""

import os
import statistics
import subprocess
import sys
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
MANAGE = [sys.executable, "manage.py"]


def env_for(name: str) -> dict:
    """The environment for manage.py against database `name` (tasks run in-process)."""
    env = {**os.environ, "DATABASE_URL": SERVER.rsplit("/", 1)[0] + "/" + name}
    env.pop("CELERY_BROKER_URL", None)
    return env


def create_database(name: str, template: str | None = None) -> None:
    clause = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{clause}')


def drop_databases(*names: str) -> None:
    with psycopg.connect(SERVER, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate_with_registry(env: dict) -> None:
    """The schema and the demo companies and apps, without demo complaints."""
    subprocess.run([*MANAGE, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [*MANAGE, "demo_data", "--complaints", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def server_quiet() -> None:
    """Let PostgreSQL and the kernel write out what the set-up left dirty."""
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    os.sync()


def report_median(command: str, rows: int, rates: list[int], target: int) -> None:
    median = statistics.median(rates)
    print(
        f"{command} {rows:,} rows: median {median:,.0f} rows/s over {len(rates)} runs "
        f"(min {min(rates):,}, max {max(rates):,}) — target {target:,}: "
        f"{'met' if median >= target else 'NOT met'}"
    )
