"""Faults with a real worker, Redis and PostgreSQL: a filing made while Redis is unreachable
answers and waits until beat's dispatcher sends its classification run; a worker killed with
SIGKILL mid-classification has its message redelivered, and the lost run does not count as
a failed attempt. `make chaos` runs the same faults under load; this is the quick check.
"""

import os
import signal
import time
import uuid

import pytest
from django.conf import settings
from django.db import transaction

from classifier.serving import served_model_forget
from complaints.models import Classification, Complaint, OutboxMessage
from complaints.services.classification_requests import classification_dispatch
from complaints.services.enqueue import publish_pause_end
from config.celery import app as celery_app
from tests.classifier.helpers import OBVIOUS, activate_small_model
from tests.integration.test_celery_worker import Worker

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.real_clock,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
WAIT_SECONDS = 90
DEAD_BROKER = "redis://127.0.0.1:1/7"
# The worker's settings for this test: a message left unacknowledged by a dead worker comes
# back after 3 s (production: CELERY_VISIBILITY_TIMEOUT, 600 s) and a run begun 1 s ago
# counts as lost.
FAST_REDELIVERY = {
    "CELERY_VISIBILITY_TIMEOUT": "3",
    "CELERY_UNACKED_RESTORE_SECONDS": "1",
    "CLASSIFY_LEASE_SECONDS": "1",
}


def _broker(url: str) -> None:
    conf = celery_app.conf
    conf.broker_url = conf.broker_write_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    publish_pause_end()


def _forget_pending_runs() -> None:
    """A run marked pending by an earlier test would make this test's filing send none."""
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(
        "appwatch:pending:complaints.tasks.classify_waiting"
    )


@pytest.fixture
def queue(tmp_path, settings):
    """A queue of this test's own for classification; tasks go through Redis."""
    settings.CLASSIFIER_ARTIFACT_DIR = tmp_path / "models"
    served_model_forget()
    name = f"appwatch-test-{uuid.uuid4().hex[:10]}"
    conf = celery_app.conf
    saved = conf.task_routes, conf.task_always_eager
    conf.task_always_eager = False
    conf.task_routes = {"complaints.tasks.classify_waiting": {"queue": name}}
    celery_app.amqp.flush_routes()
    celery_app.amqp.__dict__.pop("router", None)  # built once per app from the old routes
    _broker(settings.CELERY_BROKER_URL)
    _forget_pending_runs()
    yield name
    conf.task_routes, conf.task_always_eager = saved
    celery_app.amqp.flush_routes()
    celery_app.amqp.__dict__.pop("router", None)
    _broker(settings.CELERY_BROKER_URL)
    served_model_forget()


def _start(queue: str, tmp_path, name: str) -> Worker:
    worker = Worker(queue, tmp_path / f"{name}-models", extra_env=FAST_REDELIVERY)
    assert worker.ready.wait(60), f"the worker did not start:\n{worker.log}"
    return worker


def _wait_classified(complaint: Complaint, worker: Worker) -> float:
    started = time.monotonic()
    while time.monotonic() - started < WAIT_SECONDS:
        complaint.refresh_from_db()
        if complaint.status != Complaint.Status.SUBMITTED:
            return time.monotonic() - started
        time.sleep(0.1)
    pytest.fail(f"still {complaint.status} after {WAIT_SECONDS}s; worker log:\n{worker.log}")


def _file(client, key: str):
    return client.post(
        "/api/v1/complaints/",
        {"app_name": "快送外卖", "description": OBVIOUS["account_cancellation"]},
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def test_a_filing_with_redis_unreachable_answers_and_is_classified_once_redis_is_back(
    client, queue, tmp_path
):
    activate_small_model()
    worker = _start(queue, tmp_path, "worker")
    try:
        _broker(DEAD_BROKER)  # the web process cannot reach Redis
        first = _file(client, "chaos-key-1")
        assert first.status_code == 201, first.content
        complaint = Complaint.objects.get(tracking_number=first.json()["tracking_number"])
        # No outbox row: the complaint row itself says it waits for classification.
        assert not OutboxMessage.objects.exists()
        # The client gave up before the answer came and retries with its key: the same
        # complaint and token, nothing stored twice.
        again = _file(client, "chaos-key-1")
        assert again.status_code == 201, again.content
        assert again.json()["tracking_number"] == first.json()["tracking_number"]
        assert again.json()["access_token"] == first.json()["access_token"]
        assert Complaint.objects.count() == 1
        assert classification_dispatch() is False  # beat's dispatcher: Redis still down
        _broker(settings.CELERY_BROKER_URL)  # Redis is back
        _forget_pending_runs()
        assert classification_dispatch() is True  # its next tick sends a run
        print(f"classified {_wait_classified(complaint, worker):.2f}s after Redis returned")
    finally:
        worker.stop()
    assert Classification.objects.filter(complaint=complaint).count() == 1


def test_a_worker_killed_mid_classification_has_its_message_redelivered(client, queue, tmp_path):
    version = activate_small_model()
    response = _file(client, "killed-worker-1")  # published; no worker yet
    assert response.status_code == 201, response.content
    complaint = Complaint.objects.get(tracking_number=response.json()["tracking_number"])
    assert not OutboxMessage.objects.exists()
    first = None
    try:
        # Hold the verdict's row uncommitted, so the worker's own insert of it waits: the
        # worker is then certainly mid-task when it is killed.
        with transaction.atomic():
            blocker = Classification.objects.create(
                complaint=complaint, model_version=version, labels=[], confidence=0.5
            )
            first = _start(queue, tmp_path, "first")
            deadline = time.monotonic() + WAIT_SECONDS
            while time.monotonic() < deadline:
                if Complaint.objects.filter(
                    pk=complaint.pk, classification_started_at__isnull=False
                ).exists():
                    break
                time.sleep(0.1)
            else:
                pytest.fail(f"the worker never took the task:\n{first.log}")
            time.sleep(1)  # past the claim, into the blocked insert
            os.kill(first.process.pid, signal.SIGKILL)
            first.process.wait(timeout=10)
            transaction.set_rollback(True)
        assert not Classification.objects.filter(pk=blocker.pk).exists()
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.SUBMITTED
        second = _start(queue, tmp_path, "second")
        try:
            elapsed = _wait_classified(complaint, second)
            print(f"redelivered and classified {elapsed:.2f}s after the second worker started")
            # The model was loaded as the worker started, before its first task.
            assert "loaded before the first task" in "\n".join(second.lines), second.log
        finally:
            second.stop()
    finally:
        if first is not None and first.process.poll() is None:
            first.stop()
    complaint.refresh_from_db()
    assert complaint.status in (Complaint.Status.CLASSIFIED, Complaint.Status.NEEDS_REVIEW)
    # The lost run is counted as lost, not as a failed attempt toward the poison limit.
    assert (complaint.classification_attempts, complaint.classification_interruptions) == (0, 1)
    assert complaint.classification_started_at is None
    assert Classification.objects.filter(complaint=complaint).count() == 1
