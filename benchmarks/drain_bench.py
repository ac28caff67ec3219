"""How fast one worker process drains a classification backlog (issue 16: >= 300 complaints/s
per worker process), one task per complaint against batches.

    .venv/bin/python -m benchmarks.drain_bench [--complaints 3000] [--runs 3]

A scratch database from the chaos template (schema, demo registry, trained model), its own
redis-server on a spare port, and one real `celery worker --pool solo` (one process, model
loaded before the first task). Each run stores --complaints waiting complaints, publishes their
messages while the worker is busy elsewhere (so they queue as a backlog would), and times from
the first message to the last complaint classified, in wall time and in the worker's CPU time
(the machine is shared: complaints per CPU-second says what the code costs). Modes:
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
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.scratch import ROOT, create_database, drop_databases
from benchmarks.stack import db_url, free_port, template_database

TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--modes", default="single,ids,outbox,filing")
    args = parser.parse_args(argv)
    measure(args.complaints, args.runs, args.modes.split(","))


def measure(complaints: int, runs: int, modes: list[str]) -> dict[str, dict[str, list[float]]]:
    """Per mode, the runs' drain rates: complaints per second (wall) and per worker
    CPU-second. Prints them as a Markdown table as it goes."""
    results: dict[str, dict[str, list[float]]] = {}
    database = f"appwatch_drain_{os.getpid()}"
    create_database(database, template=template_database())
    workdir = Path(tempfile.mkdtemp(prefix="appwatch-drain-"))
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    os.environ.update(
        DATABASE_URL=db_url(database),
        CELERY_BROKER_URL=broker,
        DJANGO_SETTINGS_MODULE="config.settings",
        APPWATCH_VAR_DIR=str(workdir / "var"),
    )
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    env = {**os.environ, "CLASSIFIER_ARTIFACT_DIR": str(workdir / "models")}
    log = (workdir / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.utils import timezone

        from complaints.models import Complaint
        from complaints.services.intake import tracking_number_new
        from config.celery import app as celery_app
        from tests.classifier.helpers import OBVIOUS

        texts = list(OBVIOUS.values())
        time.sleep(15)  # the worker starts and loads its model
        size = settings.CLASSIFY_BATCH_SIZE
        print(
            f"{complaints:,} waiting complaints, one worker process (--pool solo), "
            f"batch size {size}, {runs} runs each; wall rate and CPU rate (worker)"
        )
        print("| mode | complaints/s (median, wall) | runs | complaints per worker CPU-s |")
        print("|---|---|---|---|")
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
                os.kill(worker.pid, signal.SIGSTOP)
                with celery_app.producer_or_acquire() as producer:
                    for name, task_args in messages:
                        celery_app.send_task(name, task_args, producer=producer)
                cpu_before = _cpu_seconds(worker.pid)
                started = time.monotonic()
                os.kill(worker.pid, signal.SIGCONT)
                waiting = Complaint.objects.filter(pk__in=ids, status=Complaint.Status.SUBMITTED)
                while waiting.exists():
                    time.sleep(0.05)
                    if time.monotonic() - started > 600:
                        raise RuntimeError(f"{mode}: backlog not drained in 600 s")
                # Until the queue is empty too: later messages are then no-ops, still work.
                import redis as redis_client

                queue = redis_client.Redis.from_url(broker)
                while queue.llen("celery"):
                    time.sleep(0.05)
                elapsed = time.monotonic() - started
                walls.append(count / elapsed)
                cpus.append(count / max(_cpu_seconds(worker.pid) - cpu_before, 1e-6))
            results[mode] = {"walls": walls, "cpus": cpus}
            print(
                f"| {mode} | {statistics.median(walls):,.0f} | "
                f"{', '.join(f'{w:,.0f}' for w in walls)} | {statistics.median(cpus):,.0f} |",
                flush=True,
            )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
        redis.terminate()
        redis.wait(timeout=10)
        from django.db import connections

        connections.close_all()
        drop_databases(database)
    return results


if __name__ == "__main__":
    main()
