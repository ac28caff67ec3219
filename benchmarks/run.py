"""`make bench`: every performance figure beside its limit, measured in one run (issue 16).

    .venv/bin/python -m benchmarks.run            # the full run (<= 20 minutes), updates RESULTS.md
    .venv/bin/python -m benchmarks.run --smoke    # tiny sizes (<= 3 minutes); checks completeness
    .venv/bin/python -m benchmarks.run --modules [prefix ...]   # the separate benchmark modules
    .venv/bin/python -m benchmarks.run --render benchmarks/results/X.json   # the table again

Starts the platform as in production on loopback (benchmarks/stack.py: its own PostgreSQL
database and redis-server, gunicorn, a real Celery worker), measures each figure after a
warm-up over at least five repetitions together with its baseline, and writes
benchmarks/results/<date>-<revision>.json (`revision`, `machine`, `figures`: name, value, unit,
baseline_name, baseline, ratio, target, met, …) and the table in RESULTS.md between its
markers. `--smoke` writes under var/bench/smoke/ and fails when a figure, baseline or ratio
is missing or not a number; it never judges a speed.
"""

import argparse
import concurrent.futures
import datetime
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path

import psycopg

from benchmarks import harness_batch, harness_http
from benchmarks.figures import Figure, markdown_table, problems
from benchmarks.scratch import ROOT, SERVER
from benchmarks.stack import Stack, cpu_model

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
START, END = "<!-- harness:start -->", "<!-- harness:end -->"
# Every figure a run must produce, written out (not read from the code that makes them).
EXPECTED = [
    "classify_batch_docs_per_cpu_s", "classify_single_p95",
    "api_filing_c1", "api_filing_vs_sql_c1", "api_filing_vs_ceiling_c1", "api_filing_vs_helpdesk_c1",
    "api_filing_c8", "api_filing_vs_sql_c8", "api_filing_vs_ceiling_c8", "api_filing_vs_helpdesk_c8",
    "api_filing_c32", "api_filing_vs_sql_c32", "api_filing_vs_ceiling_c32", "api_filing_vs_helpdesk_c32",
    "api_filing_p95_c8", "web_filing", "web_filing_searched", "web_filing_steps",
    "submit_classified_p95_at_25pct", "submit_classified_p95_at_50pct", "submit_classified_p95_at_80pct",
    "memory_web_worker", "memory_celery_worker", "cold_start_first_filing",
    "drain_per_worker_process", "bulk_import", "bulk_import_vs_bulk_create",
    "dashboard_p95_worst", "stats_api_p95_worst", "dashboard_vs_naive",
]  # fmt: skip
SMOKE = (
    harness_http.Sizes(
        warmup_s=0.3, window_s=0.25, latency_s=2, latency_wait_s=30
    ),
    harness_batch.BatchSizes(
        classify_batch=200, classify_single=30, drain_complaints=100, import_rows=1_000,
        dashboard_complaints=2_000, dashboard_cases=5, dashboard_requests=10,
        keep_dashboard_data=False,
    ),
)  # fmt: skip
PACKAGES = ("Django", "djangorestframework", "celery", "gunicorn", "psycopg", "scikit-learn",
            "numpy", "redis")  # fmt: skip
PG_SETTINGS = ("shared_buffers", "work_mem", "max_wal_size", "synchronous_commit",
               "effective_cache_size", "max_connections", "autovacuum", "fsync")  # fmt: skip


def revision() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()

    rev = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return rev + ("-dirty" if dirty else "")


def machine() -> dict:
    cpu = cpu_model()
    memory = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1]
    with psycopg.connect(SERVER) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        settings = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in PG_SETTINGS}
    redis = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout
    return {
        "host": platform.node(),
        "kernel": f"{platform.system()} {platform.release()}",
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(int(memory) / 2**20, 1),
        "python": platform.python_version(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "packages": {name: importlib.metadata.version(name) for name in PACKAGES},
        "redis_server": redis.split()[2].removeprefix("v=") if redis else "unknown",
        "postgresql": {"version": version, "server": SERVER.split("@")[-1], **settings},
        "web": f"gunicorn {Stack.WEB_WORKERS} workers x {Stack.WEB_THREADS} threads",
        "celery_worker": "prefork, concurrency 1",
    }


def platform_sections(section, http_sizes, batch_sizes, var_dir) -> list:
    """The sections that need the running platform, in one Stack."""
    with Stack() as stack:
        classify = section("classification", harness_batch.classification, stack.env, batch_sizes)
        filing = harness_http.Filing(stack, http_sizes, var_dir)
        if section("API filing", filing.measure) is None:
            return []
        section("web filing", harness_http.web_filing, filing)
        single_p95 = classify[1].value if classify else float("nan")
        section("submit→classified", harness_http.submit_to_classified, filing, single_p95)
        section("memory", harness_http.memory, filing)
        section("cold start", harness_http.cold_start, filing)
    return []


def measure(smoke: bool) -> tuple[list[Figure], list[str]]:
    http_sizes, batch_sizes = SMOKE if smoke else (harness_http.Sizes(), harness_batch.BatchSizes())
    var_dir = Path(os.environ.get("APPWATCH_VAR_DIR", ROOT / "var")) / "bench"
    var_dir.mkdir(parents=True, exist_ok=True)
    figures: list[Figure] = []
    timings: list[str] = []

    def section(name: str, function, *args):
        """Run one section; a failure is reported and leaves its figures missing, so the
        other sections' figures are still written."""
        started = time.monotonic()
        print(f"bench: {name}…", flush=True)
        try:
            result = function(*args)
        except Exception as error:  # noqa: BLE001 — reported; the result is then incomplete
            traceback.print_exc()
            timings.append(f"{name} FAILED after {time.monotonic() - started:.0f} s: {error}")
            print(f"bench: {timings[-1]}", flush=True)
            return None
        timings.append(f"{name} {time.monotonic() - started:.0f} s")
        print(f"bench: {timings[-1]}", flush=True)
        figures.extend(result if isinstance(result, list) else [result])
        return result

    batch = [
        ("drain", harness_batch.drain),
        ("bulk import", harness_batch.bulk_import),
        ("dashboards", harness_batch.dashboards),
    ]
    # The smoke run judges no speed: its batch sections run beside the rest, to fit in CI.
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(batch)) if smoke else None
    pending = [pool.submit(section, name, f, batch_sizes) for name, f in batch] if pool else []
    section("platform", platform_sections, section, http_sizes, batch_sizes, var_dir)
    for future in pending:
        future.result()
    if not pool:
        for name, function in batch:
            section(name, function, batch_sizes)
    order = {name: i for i, name in enumerate(EXPECTED)}
    figures.sort(key=lambda f: order.get(f.name, len(order)))
    return figures, timings


def machine_text(m: dict) -> str:
    """`machine()` as a sentence for RESULTS.md."""
    pg = m["postgresql"]
    settings = ", ".join(f"{k} {v}" for k, v in pg.items() if k not in ("version", "server"))
    return (
        f"{m['host']}, {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['kernel']}, "
        f"Python {m['python']}; PostgreSQL {pg['version']} ({settings}), redis-server "
        f"{m['redis_server']}; "
        + ", ".join(f"{k} {v}" for k, v in m["packages"].items())
        + f"; {m['web']}, Celery worker {m['celery_worker']}"
    )


def markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        START,
        "## The harness: every figure beside its limit (`make bench`, issue 16)",
        "",
        f"Run {result['date']} at revision `{result['revision']}` in {result['duration_s'] / 60:.1f} min "
        f"({'; '.join(result['sections'])}). Machine: {machine_text(m)}; load average "
        f"{' / '.join(str(x) for x in m['load_average_start'])} at the start and "
        f"{' / '.join(str(x) for x in m['load_average_end'])} at the end (the machine is shared). "
        f"JSON: `benchmarks/results/{result['file']}`.",
        "",
        "Ratio: value ÷ baseline, turned round for times and memory so that higher is always "
        "better; baselines ran in the same minutes on the same machine. Server CPU-ms/op: CPU "
        "time of the web processes (gunicorn master and workers) per request, or of the worker "
        "per complaint for the drain; the load generator's own CPU is not in it. Value and "
        "spread: median and range of the repetitions (at least five, after a warm-up).",
        *(
            ["", "**Sections that failed** (their figures are missing): " + "; ".join(failed)]
            if (failed := [s for s in result["sections"] if " FAILED " in s])
            else []
        ),
        "",
        *markdown_table(result["figures"]),
        "",
        "Notes per figure:",
        "",
        *(f"- `{f['name']}`: {f['note']}" for f in result["figures"] if f["note"]),
        END,
    ]
    return "\n".join(lines)


def write_results(section: str) -> None:
    text = RESULTS.read_text(encoding="utf-8")
    if START in text and END in text:
        before, rest = text.split(START, 1)
        text = before + section + rest.split(END, 1)[1]
    else:
        head, _, tail = text.partition("\n## ")
        text = head.rstrip("\n") + "\n\n" + section + "\n\n## " + tail
    RESULTS.write_text(text, encoding="utf-8")


def harness(smoke: bool, output: Path | None) -> int:
    started = time.monotonic()
    result = {
        "revision": revision(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "mode": "smoke" if smoke else "full",
        "machine": machine(),
    }
    figures, sections = measure(smoke)
    failed = [s for s in sections if " FAILED " in s]
    result["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    result["duration_s"] = round(time.monotonic() - started)
    result["sections"] = sections
    result["figures"] = [f.as_dict() for f in figures]
    folder = output or (
        Path(os.environ.get("APPWATCH_VAR_DIR", ROOT / "var")) / "bench" / "smoke"
        if smoke
        else HERE / "results"
    )
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{datetime.date.today().isoformat()}-{result['revision']}.json"
    result["file"] = name
    (folder / name).write_text(
        json.dumps(result, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8"
    )
    print("\n".join(markdown_table(result["figures"])))
    print(f"bench: wrote {folder / name} in {result['duration_s']} s")
    found = problems(result, EXPECTED)
    if smoke:
        for problem in found:
            print(f"bench-smoke: {problem}")
        print(
            f"bench-smoke: {len(result['figures'])} figures, {'incomplete' if found else 'complete'}"
        )
        return 1 if found else 0
    write_results(markdown(result))
    for problem in found:
        print(f"bench: {problem}")
    return 1 if failed else 0


def modules(prefixes: list[str]) -> int:
    """Run every benchmark module with a `main()` (or those whose names start so), each in
    its own process; each prints its own figures."""
    names = [
        path.stem
        for path in sorted(HERE.glob("*.py"))
        if "def main(" in path.read_text(encoding="utf-8")
        and path.stem != "run"
        and (not prefixes or any(path.stem.startswith(p) for p in prefixes))
    ]
    failed = []
    for name in names:
        print(f"## {name}", flush=True)
        done = subprocess.run(
            [sys.executable, "-c", f"import benchmarks.{name} as m; m.main()"], cwd=ROOT
        )
        if done.returncode:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes; check completeness")
    parser.add_argument("--output", type=Path, help="folder for the JSON file")
    parser.add_argument("--modules", nargs="*", help="run the separate benchmark modules")
    parser.add_argument("--render", type=Path, help="rewrite RESULTS.md's table from a JSON file")
    args = parser.parse_args()
    if args.modules is not None:
        return modules(args.modules)
    if args.render:
        write_results(markdown(json.loads(args.render.read_text(encoding="utf-8"))))
        return 0
    return harness(args.smoke, args.output)


if __name__ == "__main__":
    sys.exit(main())
