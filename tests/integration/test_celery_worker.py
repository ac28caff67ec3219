"""A real Celery worker process, against Redis and PostgreSQL: a complaint filed through the
API is classified by the worker. How fast is a benchmark's question; the wait here is only
long enough that a busy machine does not fail the test.

The worker reads the same (test) database as this process, so the test commits for real
(transaction=True), and it listens on a queue of its own so no other worker on the same
Redis can take the task.
"""

import contextlib
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from classifier.serving import served_model_forget
from complaints.models import Classification, Complaint
from config.celery import app as celery_app
from tests.classifier.helpers import OBVIOUS, activate_small_model

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    # The worker is another process on the real clock; this one keeps it too, so times the
    # two write compare as they would in production.
    pytest.mark.real_clock,
    # serialized_rollback: the flush after a transactional test would otherwise take the
    # seeded taxonomy and groups away from every test that runs after this one.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
CLASSIFY_WITHIN_SECONDS = 90


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """`celery -A config worker` in a child process, with its output collected."""

    def __init__(self, queue: str, artifact_dir: Path, extra_env: dict | None = None):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CLASSIFIER_ARTIFACT_DIR": str(
                artifact_dir
            ),  # empty: the worker loads the model from the database
            **(extra_env or {}),
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--queues",
                queue,
                "--hostname",
                f"{queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip())
            if " ready." in line:
                self.ready.set()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    @property
    def log(self) -> str:
        return "\n".join(self.lines[-60:])


@contextlib.contextmanager
def running_worker(task_name: str, models_dir):
    """A real worker consuming a queue of its own, to which `task_name` is routed; the app
    publishes through Redis while it runs, and everything is put back afterwards."""
    queue = f"appwatch-test-{uuid.uuid4().hex[:10]}"
    saved = celery_app.conf.task_routes, celery_app.conf.task_always_eager
    # Test settings run tasks in-process; here they must go through Redis to the worker.
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_routes = {task_name: {"queue": queue}}
    # The routing table is computed once per app; earlier publishes may have built it already.
    celery_app.amqp.flush_routes()
    celery_app.amqp.__dict__.pop("router", None)
    # Publish over fresh connections to the configured broker, whatever earlier tests did.
    celery_app.conf.broker_url = celery_app.conf.broker_write_url = settings.CELERY_BROKER_URL
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    process = Worker(queue, models_dir)
    try:
        assert process.ready.wait(60), f"the worker did not start:\n{process.log}"
        yield process
    finally:
        process.stop()
        celery_app.conf.task_routes, celery_app.conf.task_always_eager = saved
        celery_app.amqp.flush_routes()
        celery_app.amqp.__dict__.pop("router", None)


@pytest.fixture
def worker(tmp_path, settings):
    settings.CLASSIFIER_ARTIFACT_DIR = tmp_path / "models"
    served_model_forget()
    # A run an earlier test left marked pending would make this test's filing send none.
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(
        "appwatch:pending:complaints.tasks.classify_waiting"
    )
    try:
        with running_worker("complaints.tasks.classify_waiting", tmp_path / "worker-models") as w:
            yield w
    finally:
        served_model_forget()


def test_complaint_filed_through_the_api_is_classified_by_the_worker(client, worker):
    version = activate_small_model()
    response = client.post(
        "/api/v1/complaints/",
        {"app_name": "快送外卖", "description": OBVIOUS["account_cancellation"]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    filed_at = time.monotonic()
    complaint = Complaint.objects.get(tracking_number=response.json()["tracking_number"])
    while time.monotonic() - filed_at < CLASSIFY_WITHIN_SECONDS:
        complaint.refresh_from_db()
        if complaint.status != Complaint.Status.SUBMITTED:
            break
        time.sleep(0.1)
    elapsed = time.monotonic() - filed_at
    print(f"classified by the worker {elapsed:.2f}s after filing")
    assert complaint.status in (Complaint.Status.CLASSIFIED, Complaint.Status.NEEDS_REVIEW), (
        f"still {complaint.status} after {elapsed:.1f}s; worker log:\n{worker.log}"
    )
    classification = Classification.objects.get(complaint=complaint)
    assert classification.model_version_id == version.pk
    assert "account_cancellation" in classification.labels
    assert sorted(complaint.categories.values_list("code", flat=True)) == sorted(
        classification.labels
    )
    assert elapsed < CLASSIFY_WITHIN_SECONDS
    # The worker's own log names the task it ran for this complaint.
    deadline = time.monotonic() + 5
    while "succeeded" not in worker.log and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "complaints.tasks.classify_waiting[" in worker.log and "succeeded" in worker.log, (
        worker.log
    )


def _worker_backends() -> set[int]:
    """The other sessions on the test database: the worker's."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        return {pid for (pid,) in cursor.fetchall()}


def _finished(worker) -> int:
    """Tasks the worker has ended, well or not."""
    return sum(" succeeded " in line or " raised " in line for line in worker.lines)


def _run_one(worker, task) -> str:
    """Send `task`, wait until the worker has ended it, and return its log line."""
    before = _finished(worker)
    task.delay()
    deadline = time.monotonic() + 60
    while _finished(worker) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    ended = [line for line in worker.lines if " succeeded " in line or " raised " in line]
    assert len(ended) == before + 1, worker.log
    return ended[-1]


def test_the_worker_keeps_its_database_connection_from_task_to_task(tmp_path, settings):
    """Celery's default opens a PostgreSQL session per task; the worker keeps one, as the web
    processes do between requests (DB_CONN_MAX_AGE), and replaces it once it broke."""
    from complaints.tasks import sweep_unclassified  # its first query outside a transaction

    settings.CLASSIFIER_ARTIFACT_DIR = tmp_path / "models"
    sessions = []
    with running_worker("complaints.tasks.sweep_unclassified", tmp_path / "worker-models") as w:
        for _ in range(3):
            assert " succeeded " in _run_one(w, sweep_unclassified)
            sessions.append(_worker_backends())
        assert len(sessions[0]) == 1, sessions
        assert sessions[0] == sessions[1] == sessions[2]
        with connection.cursor() as cursor:  # the session dies (a restart, an administrator)
            cursor.execute("SELECT pg_terminate_backend(%s)", [sessions[0].pop()])
        _run_one(w, sweep_unclassified)  # may fail on the dead session
        assert " succeeded " in _run_one(w, sweep_unclassified), w.log
        assert len(_worker_backends()) == 1
