"""generate_complaints throughput into PostgreSQL (target ≥ 50,000 rows/s).

Each run creates a scratch database on the server named by BENCH_POSTGRES_URL (default: the
local server), migrates it, adds the demo registry, lets the server and the kernel write out
what the set-up left dirty (CHECKPOINT, sync), and times `generate_complaints N` (N from
BENCH_GENERATE_ROWS, default 1,000,000). The scratch database is dropped afterwards.
BENCH_GENERATE_RUNS runs (default 3) give the median.
"""

import os
import re
import subprocess
import time

from benchmarks.scratch import (
    MANAGE,
    ROOT,
    create_database,
    drop_databases,
    env_for,
    migrate_with_registry,
    report_median,
    server_quiet,
)

TARGET = 50_000


def _run(rows: int, run: int) -> int:
    name = f"appwatch_bench_generate_{os.getpid()}_{run}"
    create_database(name)
    env = env_for(name)
    try:
        migrate_with_registry(env)
        server_quiet()
        load = os.getloadavg()[0]
        started = time.perf_counter()
        out = subprocess.run(
            [*MANAGE, "generate_complaints", str(rows)],
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
        drop_databases(name)


def main() -> None:
    rows = int(os.environ.get("BENCH_GENERATE_ROWS", 1_000_000))
    runs = int(os.environ.get("BENCH_GENERATE_RUNS", 3))
    rates = [_run(rows, run) for run in range(1, runs + 1)]
    report_median("generate_complaints", rows, rates, TARGET)


if __name__ == "__main__":
    main()
