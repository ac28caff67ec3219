"""What the Celery worker spends per complaint while API filings stream in (issue 16), in the
worker's own CPU time, beside the batches its runs formed.

    .venv/bin/python -m benchmarks.worker_stream [--concurrency 1,8,32] [--seconds 8] [--rounds 1]

The platform from benchmarks/stack.py (gunicorn 2 x 8, one worker as bin/worker runs it, no
beat). Each window files through the API with closed-loop clients for --seconds, then waits
until every complaint filed in it is classified; the worker's CPU over window and catch-up is
divided by the complaints filed, so it is the cost of classifying exactly those (nothing else
waits: no baseline view stores rows here). Batches are read back from the database: one batch
gives all its complaints one classified_at. Compare with drain_bench (a backlog): a worker that
paid more per complaint under a stream than for a backlog would show it here.
"""

import argparse
import statistics
import time

from benchmarks.harness_http import API, _describe
from benchmarks.http_load import closed_loop, json_post
from benchmarks.stack import Stack, cpu_seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    measure([int(c) for c in args.concurrency.split(",")], args.seconds, args.rounds)


def _wait_all_classified(stack: Stack, since: float, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = stack.sql(
            "SELECT count(*) FROM complaints_complaint"
            " WHERE submitted_at >= to_timestamp(%s) AND classified_at IS NULL",
            [since],
        )[0][0]
        if not left:
            return
        time.sleep(0.2)
    raise RuntimeError(f"complaints filed since {since} still unclassified after {timeout} s")


def measure(concurrencies: list[int], seconds: float, rounds: int) -> None:
    with Stack() as stack:
        names = [name for _, name in stack.app_names()]
        body = lambda i: {"app_name": names[i % len(names)], "description": _describe(i)}  # noqa: E731
        send = json_post(API, body)
        started = time.time()
        closed_loop(stack.web_port, send, concurrency=8, seconds=3)  # warm-up
        _wait_all_classified(stack, started)
        print(
            "| concurrency | filings/s | worker CPU-ms per complaint (main, pool) "
            "| batches | complaints per batch (median, max) |"
        )
        print("|---:|---:|---:|---:|---:|")
        for _round in range(rounds):
            for concurrency in concurrencies:
                time.sleep(1)  # the last window's run has ended
                main_pid = stack.processes.running["worker"].pid
                pool = [pid for pid in stack.pids("worker") if pid != main_pid]
                before = cpu_seconds([main_pid]), cpu_seconds(pool)
                since = time.time()
                window = closed_loop(stack.web_port, send, concurrency=concurrency, seconds=seconds)
                _wait_all_classified(stack, since)
                after = cpu_seconds([main_pid]), cpu_seconds(pool)
                sizes = [
                    n
                    for (n,) in stack.sql(
                        "SELECT count(*) FROM complaints_complaint"
                        " WHERE submitted_at >= to_timestamp(%s) GROUP BY classified_at",
                        [since],
                    )
                ]
                filed = sum(sizes)
                main_ms, pool_ms = (
                    (a - b) * 1000 / filed for a, b in zip(after, before, strict=True)
                )
                print(
                    f"| {concurrency} | {window.rate:,.0f} | {main_ms + pool_ms:.2f} "
                    f"({main_ms:.2f}, {pool_ms:.2f}) | {len(sizes)} "
                    f"| {statistics.median(sizes):.0f}, {max(sizes)} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
