"""How fast one worker process drains a classification backlog (issue 16: >= 300 complaints/s
per worker process), one task per complaint against batches.

    .venv/bin/python -m benchmarks.drain_bench [--complaints 3000] [--runs 3]

The platform from benchmarks/stack.py without its web tier: a scratch database from the
template (schema, demo registry, trained model), a redis-server of its own, and one real
worker started by bin/worker with `--pool solo` (one process, model loaded before the first
task). Each run stores --complaints waiting complaints, publishes their messages while the
worker is stopped (so they queue as a backlog would after a burst), and times from resuming it
to the last complaint classified, in wall time and in the worker's CPU time (the machine is
shared: complaints per CPU-second says what the code costs). Modes:
  single   one `classify_complaint` message per complaint, as filing sent them before batches
  ids      one `classify_complaints([id])` message per complaint (as the sweep would, one by
           one): each takes up to CLASSIFY_BATCH_SIZE waiting complaints, later ones find
           theirs done
  outbox   messages of CLASSIFY_BATCH_SIZE ids, as the dispatcher joins them after an outage
  filing   what filing sends now: `classify_waiting`, one message while one is pending (the
           pending mark lasts 5 s, so a 60 s burst leaves 12 messages; sent here: 12)
"""

import argparse
import os
import statistics
import time

from benchmarks.stack import Stack

WORKER = ("--pool", "solo", "--loglevel=WARNING")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--modes", default="single,ids,outbox,filing")
    args = parser.parse_args(argv)
    measure(args.complaints, args.runs, args.modes.split(","))


def _wait_worker(celery_app, timeout: float = 120) -> None:
    """Until the worker answers a ping: it loads the model before it consumes anything."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if celery_app.control.ping(timeout=1):
            return
    raise RuntimeError(f"the worker did not answer within {timeout:.0f} s")


def measure(complaints: int, runs: int, modes: list[str]) -> dict[str, dict[str, list[float]]]:
    """Per mode, the runs' drain rates: complaints per second (wall) and per worker
    CPU-second. Prints them as a Markdown table as it goes."""
    results: dict[str, dict[str, list[float]]] = {}
    with Stack(web=False, worker_options=WORKER, prefix="appwatch_drain") as stack:
        # This process stores the backlog and publishes it to the platform's own database
        # and broker.
        os.environ.update(stack.env)
        import django

        django.setup()
        import redis
        from django.conf import settings
        from django.db import connections
        from django.utils import timezone

        from complaints.models import Complaint
        from complaints.services.intake import tracking_number_new
        from config.celery import app as celery_app
        from tests.classifier.helpers import OBVIOUS

        texts = list(OBVIOUS.values())
        queue = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        _wait_worker(celery_app)
        size = settings.CLASSIFY_BATCH_SIZE
        print(
            f"{complaints:,} waiting complaints, one worker process (--pool solo), "
            f"batch size {size}, {runs} runs each; wall rate and CPU rate (worker)"
        )
        print("| mode | complaints/s (median, wall) | runs | complaints per worker CPU-s |")
        print("|---|---|---|---|")
        try:
            for mode in modes:
                walls, cpus = [], []
                # One message per complaint is slow enough that a tenth of the backlog tells.
                count = complaints // 10 if mode in ("single", "ids") else complaints
                for _run in range(runs):
                    now = timezone.now()
                    rows = Complaint.objects.bulk_create(
                        Complaint(
                            tracking_number=tracking_number_new(now) + f"{i:05d}"[-3:],
                            access_token_hash="0" * 64,
                            app_name="快送外卖",
                            description=f"{texts[i % len(texts)]} ({i})",
                            submitted_at=now,
                        )
                        for i in range(count)
                    )
                    ids = [row.pk for row in rows]
                    if mode == "single":
                        messages = [("complaints.tasks.classify_complaint", [pk]) for pk in ids]
                    elif mode == "ids":
                        messages = [("complaints.tasks.classify_complaints", [[pk]]) for pk in ids]
                    elif mode == "filing":
                        messages = [("complaints.tasks.classify_waiting", [])] * 12
                    else:
                        messages = [
                            ("complaints.tasks.classify_complaints", [ids[i : i + size]])
                            for i in range(0, len(ids), size)
                        ]
                    # Queue the backlog behind a pause, so the worker starts on a full queue.
                    stack.pause_worker()
                    with celery_app.producer_or_acquire() as producer:
                        for name, task_args in messages:
                            celery_app.send_task(name, task_args, producer=producer)
                    cpu_before = stack.cpu_seconds("worker")
                    started = time.monotonic()
                    stack.resume_worker()
                    waiting = Complaint.objects.filter(
                        pk__in=ids, status=Complaint.Status.SUBMITTED
                    )
                    while waiting.exists():
                        time.sleep(0.05)
                        if time.monotonic() - started > 600:
                            raise RuntimeError(f"{mode}: backlog not drained in 600 s")
                    # Until the queue is empty too: later messages are then no-ops, still work.
                    while queue.llen("celery"):
                        time.sleep(0.05)
                    elapsed = time.monotonic() - started
                    walls.append(count / elapsed)
                    cpu = stack.cpu_seconds("worker") - cpu_before
                    cpus.append(count / max(cpu, 1e-6))
                results[mode] = {"walls": walls, "cpus": cpus}
                print(
                    f"| {mode} | {statistics.median(walls):,.0f} | "
                    f"{', '.join(f'{w:,.0f}' for w in walls)} | {statistics.median(cpus):,.0f} |",
                    flush=True,
                )
        finally:
            stack.resume_worker()  # a stopped worker would not hear the SIGTERM that ends it
            connections.close_all()
    return results


if __name__ == "__main__":
    main()
