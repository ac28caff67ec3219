# ruff: noqa: F811 — pytest fixtures imported from tests.classifier.helpers are used as arguments
"""A filing's classification keeps no outbox row: the complaint row says it waits, and beat's
dispatcher sends a run of `classify_waiting` while such complaints wait and none is pending, so
a filing made with Redis down is classified once Redis answers again."""

import pytest
import redis
from django.utils import timezone

from complaints.models import Complaint, OutboxMessage
from complaints.services.classification import classification_of_waiting
from complaints.services.classification_requests import (
    classification_dispatch,
    complaints_wait_unasked,
)
from complaints.services.enqueue import publish_pause_end
from complaints.services.intake import complaint_submit
from config.beat import OutboxScheduler
from config.celery import app as celery_app
from tests.classifier.helpers import (  # noqa: F401 — fixtures
    OBVIOUS,
    active_version,
    model_dirs,
)
from tests.complaints.services.conftest import drop_broker_connections

pytestmark = [pytest.mark.django_db, pytest.mark.redis]
S = Complaint.Status
PENDING = "appwatch:pending:complaints.tasks.classify_waiting"


@pytest.fixture
def broker_back(settings):
    """Call it to bring Redis back after `dead_broker`: the test's own Redis database, its
    default queue and the pending mark cleared."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)

    def back() -> redis.Redis:
        conf = celery_app.conf
        conf.broker_url = conf.broker_write_url = settings.CELERY_BROKER_URL
        drop_broker_connections()
        publish_pause_end()
        client.delete("celery", "maintenance", PENDING)
        return client

    yield back
    client.delete("celery", "maintenance", PENDING)


@pytest.mark.breaks_broker
def test_a_filing_made_with_redis_down_is_sent_by_the_dispatcher_once_redis_answers(
    app, active_version, dead_broker, broker_back, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        complaint, _token = complaint_submit(description=OBVIOUS["over_permission"], app=app)
    # Nothing in the outbox: the complaint row is what waits.
    assert not OutboxMessage.objects.exists()
    assert complaints_wait_unasked()
    assert classification_dispatch() is False  # Redis still down: nothing sent, nothing lost
    queue = broker_back()
    assert classification_dispatch() is True
    assert queue.llen("celery") == 1
    assert classification_dispatch() is False  # one run pending serves them all
    assert queue.llen("celery") == 1
    # The run (as the worker does it) clears the mark and classifies what waits.
    assert classification_of_waiting() == 1
    complaint.refresh_from_db()
    assert complaint.status in (S.CLASSIFIED, S.NEEDS_REVIEW)
    assert not complaints_wait_unasked()
    assert classification_dispatch() is False
    assert queue.llen("celery") == 1


def test_a_filing_whose_run_went_out_leaves_the_dispatcher_nothing_to_send(
    app, active_version, real_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        complaint_submit(description=OBVIOUS["unauthorized_charges"], app=app)
    assert real_broker.llen("celery") == 1 and not OutboxMessage.objects.exists()
    assert classification_dispatch() is False  # the filing's run is pending
    assert real_broker.llen("celery") == 1


def test_failed_and_claimed_complaints_are_left_to_the_sweep(
    app, active_version, real_broker, django_capture_on_commit_callbacks
):
    complaint, _token = complaint_submit(
        description=OBVIOUS["over_permission"], app=app, classify=False
    )
    Complaint.objects.filter(pk=complaint.pk).update(classification_attempts=1)
    assert classification_dispatch() is False  # a failed run: retried by the sweep, later
    Complaint.objects.filter(pk=complaint.pk).update(
        classification_attempts=0, classification_started_at=timezone.now()
    )
    assert classification_dispatch() is False  # a run holds it (or its worker was lost)
    Complaint.objects.filter(pk=complaint.pk).update(classification_started_at=None)
    assert classification_dispatch() is True
    assert real_broker.llen("celery") == 1


def test_without_an_active_model_the_dispatcher_sends_nothing(app, real_broker):
    complaint_submit(description="闪退，客服不理", app=app, classify=False)
    assert complaints_wait_unasked()
    assert classification_dispatch() is False
    assert real_broker.llen("celery") == 0


@pytest.mark.breaks_broker
# Beat closes stale connections at each tick: outside a wrapping transaction (see
# test_enqueue.py's beat test).
@pytest.mark.django_db(transaction=True)
def test_beat_sends_a_run_for_complaints_filed_while_redis_was_down(
    tmp_path, app, active_version, dead_broker, broker_back, settings
):
    settings.OUTBOX_DISPATCH_SECONDS = 0  # dispatch at every tick
    complaint_submit(description=OBVIOUS["account_cancellation"], app=app)
    scheduler = OutboxScheduler(app=celery_app, schedule_filename=str(tmp_path / "schedule"))
    try:
        scheduler.tick()  # Redis is down: nothing sent
        queue = broker_back()
        scheduler.tick()
        assert queue.llen("celery") == 1
        scheduler.tick()
        assert queue.llen("celery") == 1  # pending: not sent again
    finally:
        scheduler.close()
