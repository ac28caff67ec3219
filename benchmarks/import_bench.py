"""import_complaints throughput into PostgreSQL (issue 3's target: ≥ 10,000 rows/s, not
counting classification).

    .venv/bin/python -m benchmarks.run --modules import
    # or on its own, with a fixed database instead of a scratch one:
    BENCH_IMPORT_DATABASE=appwatch_intake BENCH_IMPORT_ROWS=100000 .venv/bin/python -m benchmarks.import_bench

Writes a JSON Lines file of BENCH_IMPORT_ROWS hotline-style rows (default 100,000: texts from
the team corpus, a quarter naming the caller's phone number, apps by package name from the
demo registry, one invalid row in a thousand), imports it with `--no-classify`, then imports
it again (which must add nothing). BENCH_IMPORT_RUNS runs (default 3), each into a fresh copy
of a migrated scratch database on BENCH_POSTGRES_URL's server after a CHECKPOINT and a sync,
give the median; the databases are dropped afterwards. BENCH_IMPORT_DATABASE names a database
to use (and keep) instead, for one run.
"""

import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

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
from benchmarks.stack import template_database

TARGET = 10_000

# Runs the command in a process that can also read the CPU time spent by its reader process
# and by PostgreSQL (every server process, the writers' backends included: those that have
# exited are counted in the postmaster's children's time), so a result on a busy machine can
# still be judged.
TIMED_IMPORT = """
import json, os, resource, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from django.core.management import call_command
from django.db import connection
connection.ensure_connection()
backend = connection.connection.info.backend_pid
def stat(pid):
    return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
postmaster = int(stat(backend)[1])
def server_cpu():
    ticks = sum(int(v) for v in stat(postmaster)[11:15])  # its own time and its children's
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                fields = stat(name)
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")
def own_cpu(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime
before = (own_cpu(resource.RUSAGE_SELF), own_cpu(resource.RUSAGE_CHILDREN), server_cpu())
call_command("import_complaints", sys.argv[1], "--no-classify", *sys.argv[2:])
time.sleep(1)  # the writers' backends exit once their connections close: let them be reaped
after = (own_cpu(resource.RUSAGE_SELF), own_cpu(resource.RUSAGE_CHILDREN), server_cpu())
names = ("command", "row reader", "postgres")
print(json.dumps({name: round(b - a, 3) for name, a, b in zip(names, before, after)}))
"""


def corpus_texts() -> list[str]:
    texts = []
    for path in sorted((ROOT / "classifier" / "corpus").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                text = json.loads(line).get("text")
            except ValueError:
                continue
            if isinstance(text, str) and text:
                texts.append(text)
    return texts or ["这个应用不给通讯录权限就不能用，还反复弹窗索取。"]


def write_rows(path: Path, rows: int, packages: list[str], seed: int = 3, start: int = 0) -> None:
    rng = random.Random(seed)
    texts = corpus_texts()
    categories = [
        "over_permission",
        "illegal_collection",
        "price_discrimination",
        "fraud",
        "unauthorized_charges",
        "",
    ]
    with path.open("w", encoding="utf-8") as handle:
        for n in range(start, start + rows):
            phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
            row = {
                "external_id": f"HL-{n:08d}",
                "package_name": rng.choice(packages) if packages else "",
                "app_name": "热线登记应用",
                "description": rng.choice(texts) + (f" 回拨电话 {phone}" if n % 4 == 0 else ""),
                "submitted_at": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00+08:00",
                "category": rng.choice(categories),
                "contact_phone": phone if n % 4 == 0 else "",
                "amount": f"{rng.randint(1, 5000)}.{rng.randint(0, 99):02d}" if n % 3 == 0 else "",
            }
            if n % 1000 == 999:
                row["description"] = ""  # an invalid row, for the error report
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _timed_import(env: dict, path: Path, rows: int, label: str) -> tuple[int, dict]:
    """Run the command once; print what it reports and the CPU per row; return its rows/s
    and the CPU µs per row of the command, its reader and PostgreSQL."""
    load = os.getloadavg()[0]
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", TIMED_IMPORT, str(path)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    wall = time.perf_counter() - started
    summary, cpu = out.strip().splitlines()[0], json.loads(out.strip().splitlines()[-1])
    rate = re.search(r"([\d,]+) rows/s", summary)
    per_row = {name: seconds / rows * 1e6 for name, seconds in cpu.items()}
    print(
        f"{label}: {summary} ({wall:.1f} s wall with start-up, load average {load:.1f} on "
        f"{os.cpu_count()} cores; CPU per row: "
        + ", ".join(f"{name} {value:.0f} µs" for name, value in per_row.items())
        + ")",
        flush=True,
    )
    return (int(rate.group(1).replace(",", "")) if rate else 0), per_row


def _packages(env: dict) -> list[str]:
    return subprocess.run(
        [
            *MANAGE,
            "shell",
            "-c",
            "from complaints.models import App; print('\\n'.join(App.objects.exclude(package_name='').values_list('package_name', flat=True)))",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()


# The ORM's way to store the same rows: read them from the imported database, then time one
# bulk_create of the complaints and one of their events (chained as every event is). Only the
# first fiftieth of each chunk: reading a whole chunk back through the ORM would take longer than
# the rest of `make bench`, and a rate is a rate.
BULK_CREATE_SHARE = 2
BULK_CREATE = (
    f"BULK_CREATE_SHARE = {BULK_CREATE_SHARE}\n"
    + """
import json, os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from django.db import connections, transaction
from complaints.models import Complaint, Event
source, low, high = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
high = low + max((high - low) * BULK_CREATE_SHARE // 100, 1)
connections.settings["source"] = {**connections.settings["default"], "NAME": source}
complaints = list(Complaint.objects.using("source").filter(pk__gt=low, pk__lte=high))
events = list(Event.objects.using("source").filter(complaint_id__gt=low, complaint_id__lte=high))
for row in (*complaints, *events):
    row._state.db, row._state.adding = "default", True
started, cpu = time.perf_counter(), time.process_time()
with transaction.atomic():
    Complaint.objects.bulk_create(complaints, batch_size=2000)
    Event.objects.bulk_create(events, batch_size=2000)
print(json.dumps({"rows": len(complaints), "seconds": time.perf_counter() - started,
                  "cpu_seconds": time.process_time() - cpu}))
"""
)
TABLES = (("complaints_complaint", "id"), ("complaints_event", "complaint_id"))


def _max_id(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT coalesce(max(id), 0) FROM complaints_complaint").fetchone()[0]


def _copy(source: str, target: str, low: int, high: int) -> tuple[int, float]:
    """psycopg COPY of the complaints with ids in (low, high] and their events from one
    database into the other, in one transaction: rows and seconds (the copy-in only)."""
    data = {}
    with psycopg.connect(source) as conn:
        for table, key in TABLES:
            query = f"COPY (SELECT * FROM {table} WHERE {key} > {low} AND {key} <= {high}) TO STDOUT (FORMAT binary)"
            with conn.cursor().copy(query) as copy:
                data[table] = b"".join(bytes(block) for block in copy)
    with psycopg.connect(target) as conn:
        started = time.perf_counter()
        for table, _ in TABLES:
            with conn.cursor().copy(f"COPY {table} FROM STDIN (FORMAT binary)") as copy:
                copy.write(data[table])
        conn.commit()
        seconds = time.perf_counter() - started
    return high - low, seconds


def compare(rows: int, runs: int) -> dict[str, list[float]]:
    """`import_complaints` against psycopg COPY of the same rows into the same table (the
    limit) and Django's bulk_create: `runs` chunks of rows/runs each, imported one after the
    other into a growing table (all three tables grow alike); rows/s of each chunk."""
    chunk = rows // runs
    names = {
        way: f"appwatch_bench_compare_{os.getpid()}_{way}" for way in ("import", "copy", "orm")
    }
    rates: dict[str, list[float]] = {way: [] for way in names}
    rates["import_cpu_us_per_row"] = []
    try:
        for name in names.values():
            create_database(name, template=template_database())
        envs = {way: env_for(name) for way, name in names.items()}
        urls = {way: env["DATABASE_URL"] for way, env in envs.items()}
        packages = _packages(envs["import"])
        with tempfile.TemporaryDirectory() as folder:
            for run in range(runs):
                path = Path(folder) / f"chunk-{run}.jsonl"
                write_rows(path, chunk, packages, seed=run, start=run * chunk)
                low = _max_id(urls["import"])
                server_quiet()
                rate, cpu = _timed_import(envs["import"], path, chunk, f"chunk {run + 1}")
                high = _max_id(urls["import"])
                rates["import"].append(rate)
                rates["import_cpu_us_per_row"].append(sum(cpu.values()))
                server_quiet()
                copied, seconds = _copy(urls["import"], urls["copy"], low, high)
                rates["copy"].append(copied / seconds)
                server_quiet()
                out = subprocess.run(
                    [sys.executable, "-c", BULK_CREATE, names["import"], str(low), str(high)],
                    cwd=ROOT, env=envs["orm"], check=True, capture_output=True, text=True,
                ).stdout  # fmt: skip
                done = json.loads(out.strip().splitlines()[-1])
                rates["orm"].append(done["rows"] / done["seconds"])
                print(
                    f"chunk {run + 1}: import {rate:,.0f}, COPY {rates['copy'][-1]:,.0f}, "
                    f"bulk_create {rates['orm'][-1]:,.0f} rows/s",
                    flush=True,
                )
    finally:
        drop_databases(*names.values())
    return rates


def main() -> None:
    rows = int(os.environ.get("BENCH_IMPORT_ROWS", 100_000))
    runs = int(os.environ.get("BENCH_IMPORT_RUNS", 3))
    keep = os.environ.get("BENCH_IMPORT_DATABASE")
    base = keep or f"appwatch_bench_import_{os.getpid()}"
    if not keep:
        create_database(base)
    env = env_for(base)
    created: list[str] = []
    try:
        migrate_with_registry(env)
        packages = _packages(env)
        rates = []
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"hotline-bench-{os.getpid()}.jsonl"
            write_rows(path, rows, packages)
            print(f"{rows:,} rows, {path.stat().st_size / 2**20:.0f} MB of JSON Lines", flush=True)
            for run in range(1, (1 if keep else runs) + 1):
                if keep:
                    run_env = env
                else:
                    # Each run imports into a fresh copy of the migrated registry.
                    name = f"{base}_{run}"
                    create_database(name, template=base)
                    created.append(name)
                    run_env = env_for(name)
                server_quiet()
                rates.append(_timed_import(run_env, path, rows, f"run {run}, first import")[0])
                _timed_import(run_env, path, rows, f"run {run}, re-run (nothing new)")
        report_median("import_complaints", rows, rates, TARGET)
    finally:
        drop_databases(*created, *([] if keep else [base]))


if __name__ == "__main__":
    main()
