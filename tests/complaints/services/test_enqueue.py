# ruff: noqa: F811 — pytest fixtures imported from tests.classifier.helpers are used as arguments
"""The outbox: a task asked for in a transaction is written there, published after commit or
by the dispatcher in beat, and never lost or waited for when the broker is down."""

import datetime
import time

import pytest
import time_machine
from django.utils import timezone

from complaints.models import Complaint, Event, OutboxMessage
from complaints.services.classification import classification_of_waiting
from complaints.services.enqueue import enqueue_on_commit, outbox_add, outbox_dispatch
from complaints.services.intake import complaint_submit
from config.beat import OutboxScheduler
from config.celery import app as celery_app
from tests.classifier.helpers import (  # noqa: F401 — fixtures
    OBVIOUS,
    active_version,
    model_dirs,
)

pytestmark = pytest.mark.django_db
S = Complaint.Status


def _later(seconds: float):
    return time_machine.travel(timezone.now() + datetime.timedelta(seconds=seconds), tick=True)


@pytest.mark.breaks_broker
def test_with_the_broker_down_the_task_waits_in_the_outbox_until_the_dispatcher_sends_it(
    app, active_version, dead_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        # Outside a filing (which asks for `classify_waiting` without a row, see
        # test_classification_requests.py): one complaint's classification, by id.
        complaint, _token = complaint_submit(
            description=OBVIOUS["over_permission"], app=app, classify=False
        )
        enqueue_on_commit("complaints.tasks.classify_complaints", [complaint.pk])
    assert OutboxMessage.objects.count() == 1
    with _later(3):
        assert outbox_dispatch() == 0  # Redis still down: nothing sent, nothing lost
    assert OutboxMessage.objects.count() == 1
    # Redis is back (here: tasks run in-process): the dispatcher sends it and forgets it.
    celery_app.conf.task_always_eager = True
    with _later(3):
        assert outbox_dispatch() == 1
    assert not OutboxMessage.objects.exists()
    complaint.refresh_from_db()
    assert complaint.status in (S.CLASSIFIED, S.NEEDS_REVIEW)


@pytest.mark.breaks_broker
def test_the_dispatcher_leaves_a_fresh_row_to_the_request_that_wrote_it(
    app, dead_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit("complaints.tasks.sweep_unclassified")
    celery_app.conf.task_always_eager = True
    assert outbox_dispatch() == 0
    with _later(3):
        assert outbox_dispatch() == 1


def test_without_a_broker_tasks_run_in_process_and_write_no_outbox_row(
    app, active_version, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        complaint, _token = complaint_submit(description=OBVIOUS["unauthorized_charges"], app=app)
    assert not OutboxMessage.objects.exists()
    complaint.refresh_from_db()
    assert complaint.status in (S.CLASSIFIED, S.NEEDS_REVIEW)


def test_a_rolled_back_change_leaves_no_outbox_row(app, dead_broker):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        complaint_submit(description="闪退", app=app)
        raise RuntimeError
    assert not OutboxMessage.objects.exists()


@pytest.mark.breaks_broker
# Beat closes stale connections at each tick, as a long-running process must: the test runs
# outside a wrapping transaction so PostgreSQL's connection may close and reopen.
@pytest.mark.django_db(transaction=True)
def test_beat_writes_a_due_entry_to_the_outbox_so_an_outage_does_not_drop_it(
    tmp_path, dead_broker, settings
):
    settings.OUTBOX_DISPATCH_SECONDS = 0  # dispatch at every tick
    scheduler = OutboxScheduler(app=celery_app, schedule_filename=str(tmp_path / "schedule"))
    entry = scheduler.schedule["deadline-reminders"]
    try:
        scheduler.apply_entry(entry)
        scheduler.tick()  # the dispatcher runs inside beat: Redis is down, the row stays
        assert OutboxMessage.objects.filter(
            task_name="complaints.tasks.send_deadline_reminders"
        ).exists()
        celery_app.conf.task_always_eager = True  # Redis is back
        scheduler.tick()
        assert not OutboxMessage.objects.exists()
    finally:
        scheduler.close()


def test_maintenance_tasks_have_their_own_queue(settings):
    from complaints.tasks import classify_complaints, refresh_statistics, sweep_unclassified

    router = celery_app.amqp.router
    queue_of = {
        task.name: router.route({}, task.name)["queue"].name
        for task in (classify_complaints, refresh_statistics, sweep_unclassified)
    }
    assert queue_of == {
        "complaints.tasks.classify_complaints": "celery",
        "complaints.tasks.refresh_statistics": "maintenance",
        "complaints.tasks.sweep_unclassified": "maintenance",
    }
    # A plain `celery worker` consumes both.
    assert set(celery_app.amqp.queues) == {"celery", "maintenance"}
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in settings.CELERY_TASK_ROUTES, entry["task"]


@pytest.mark.redis
def test_the_dispatcher_joins_waiting_classifications_into_batches(settings, db):
    """Published for real to Redis (its default queue on the test's own Redis database)."""
    import redis

    conf = celery_app.conf
    saved = conf.task_always_eager
    conf.task_always_eager = False
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("celery")
    try:
        settings.CLASSIFY_BATCH_SIZE = 200
        for complaint_id in range(1, 451):
            outbox_add("complaints.tasks.classify_complaints", [[complaint_id]])
        assert outbox_dispatch() == 450
        assert client.llen("celery") == 3  # 200 + 200 + 50
    finally:
        client.delete("celery")
        conf.task_always_eager = saved
    assert not OutboxMessage.objects.exists()


@pytest.mark.redis
def test_filings_share_one_pending_classification_run(
    app, active_version, real_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = complaint_submit(description=OBVIOUS["over_permission"], app=app)
    with django_capture_on_commit_callbacks(execute=True):
        second, _ = complaint_submit(description=OBVIOUS["unauthorized_charges"], app=app)
    assert real_broker.llen("celery") == 1  # one run pending serves both
    assert not OutboxMessage.objects.exists()
    # The run (as the worker does it) clears the mark first, then takes what waits.
    assert classification_of_waiting() == 2
    for complaint in (first, second):
        complaint.refresh_from_db()
        assert complaint.status in (S.CLASSIFIED, S.NEEDS_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        complaint_submit(description=OBVIOUS["account_cancellation"], app=app)
    assert real_broker.llen("celery") == 2  # filed after the run started: a new message


@pytest.mark.redis
def test_a_run_gathers_the_filings_of_its_first_moment_into_one_batch(
    settings, app, active_version, real_broker, django_capture_on_commit_callbacks
):
    settings.CLASSIFY_GATHER_SECONDS = 0.2
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = complaint_submit(description=OBVIOUS["over_permission"], app=app)
    assert real_broker.llen("celery") == 1
    waited, during = [], []

    def filings_meanwhile(seconds: float) -> None:
        waited.append(seconds)
        for text in (OBVIOUS["unauthorized_charges"], OBVIOUS["account_cancellation"]):
            with django_capture_on_commit_callbacks(execute=True):
                during.append(complaint_submit(description=text, app=app)[0])

    assert classification_of_waiting(sleep=filings_meanwhile) == 3
    assert waited == [0.2]
    assert real_broker.llen("celery") == 1  # the run was pending: they sent no message
    for complaint in (first, *during):
        complaint.refresh_from_db()
        assert complaint.status in (S.CLASSIFIED, S.NEEDS_REVIEW)
    assert (
        Event.objects.filter(
            kind=Event.Kind.TRANSITION, to_status__in=[S.CLASSIFIED, S.NEEDS_REVIEW]
        )
        .values("created_at")
        .distinct()
        .count()
        == 1
    )  # one batch
    # The message they would have sent finds the mark gone: a run with nobody to wait for.
    assert classification_of_waiting(sleep=waited.append) == 0
    assert waited == [0.2]


MARK = "appwatch:pending:complaints.tasks.classify_waiting"


@pytest.mark.redis
def test_a_filing_just_after_the_mark_was_set_trusts_its_run_without_asking_redis(
    settings, app, active_version, real_broker, django_capture_on_commit_callbacks
):
    settings.CLASSIFY_GATHER_SECONDS = 1.0  # room for a slow machine

    def file(kind: str) -> Complaint:
        with django_capture_on_commit_callbacks(execute=True):
            return complaint_submit(description=OBVIOUS[kind], app=app)[0]

    first = file("over_permission")
    assert real_broker.llen("celery") == 1
    set_at = float(real_broker.get(MARK))  # the mark holds when it was set
    assert abs(set_at - time.time()) < 1
    # Gone behind the filings' backs: one that asked Redis would now send a second run.
    real_broker.delete(MARK)
    second = file("unauthorized_charges")
    assert real_broker.llen("celery") == 1  # trusted: the pending run reads after it
    assert not real_broker.exists(MARK)  # and Redis was not asked
    # The run keeps the mark its gathering time before it reads, so it takes both.
    real_broker.set(MARK, repr(set_at))
    assert classification_of_waiting() == 2
    for complaint in (first, second):
        complaint.refresh_from_db()
        assert complaint.status in (S.CLASSIFIED, S.NEEDS_REVIEW)
    # Past the gathering time (less the clocks' margin) the next filing asks again.
    with _later(1.0):
        file("account_cancellation")
    assert real_broker.llen("celery") == 2


@pytest.mark.redis
@pytest.mark.parametrize(
    ("age", "trusted"), [(0.01, True), (2.0, False), (-0.5, False), (None, False)]
)
def test_a_mark_found_set_is_trusted_only_within_the_gathering_time_from_its_own(
    settings, app, active_version, real_broker, django_capture_on_commit_callbacks, age, trusted
):
    """Set by another process: its time, not this process's, starts the trust; a mark set in
    the future (clocks disagreeing) or holding no time (set before marks held theirs) is not
    trusted."""
    settings.CLASSIFY_GATHER_SECONDS = 1.0  # room for a slow machine
    real_broker.set(MARK, "1" if age is None else repr(time.time() - age))
    with django_capture_on_commit_callbacks(execute=True):
        complaint_submit(description=OBVIOUS["over_permission"], app=app)
    assert real_broker.llen("celery") == 0  # a run is pending: nothing sent
    real_broker.delete(MARK)
    with django_capture_on_commit_callbacks(execute=True):
        complaint_submit(description=OBVIOUS["unauthorized_charges"], app=app)
    assert real_broker.llen("celery") == (0 if trusted else 1)


@pytest.mark.redis
def test_without_a_gathering_time_no_mark_is_trusted(
    settings, app, active_version, real_broker, django_capture_on_commit_callbacks
):
    settings.CLASSIFY_GATHER_SECONDS = 0
    for kind in ("over_permission", "unauthorized_charges"):
        with django_capture_on_commit_callbacks(execute=True):
            complaint_submit(description=OBVIOUS[kind], app=app)
        real_broker.delete(MARK)  # as a run that started at once would
    assert real_broker.llen("celery") == 2


@pytest.mark.redis
def test_the_dispatcher_sends_one_run_for_all_waiting_requests_of_it(real_broker, db):
    for _ in range(5):
        outbox_add("complaints.tasks.classify_waiting")
    assert outbox_dispatch() == 5
    assert real_broker.llen("celery") == 1
    assert not OutboxMessage.objects.exists()


@pytest.mark.redis
def test_the_dispatcher_deletes_what_it_sent_in_one_statement(real_broker, db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for complaint_id in range(1, 8):  # receipts, joined into one message
        outbox_add("complaints.tasks.send_receipt", [complaint_id, "sealed"])
    outbox_add("complaints.tasks.classify_complaints", [[42]])
    outbox_add("complaints.tasks.classify_waiting")
    with CaptureQueriesContext(connection) as queries:
        assert outbox_dispatch() == 9
    assert real_broker.llen("celery") == 3
    deletes = [q["sql"] for q in queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 1, deletes
    assert not OutboxMessage.objects.exists()


def test_a_run_classifies_everything_waiting_in_batches(settings, app, active_version):
    from tests.factories import make_complaint

    settings.CLASSIFY_BATCH_SIZE = 2
    complaints = [make_complaint(app=app, description=OBVIOUS["over_permission"]) for _ in range(5)]
    assert classification_of_waiting() == 5
    assert not Complaint.objects.filter(
        pk__in=[c.pk for c in complaints], status=S.SUBMITTED
    ).exists()
