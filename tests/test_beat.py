"""Beat under `make run`: the routine ticks (the sealer every second, the sweep, the statistics,
the outbox sending them on time) log at DEBUG only, while what is unusual still shows at INFO:
outbox rows that waited past their time, a sealing of events the sealer had not seen for
minutes. Beat's clock and the wall clock are driven by the test, a second per tick, from a fixed
instant: a minute that crossed an hourly entry's time (auto-close at :15) would rightly log it at
INFO, so the day and hour the suite runs must not decide which entries come due."""

import datetime
import logging
import zoneinfo

import pytest
import time_machine
from django.utils import timezone

from classifier.serving import active_model
from complaints.models import Event, OutboxMessage
from complaints.services.enqueue import outbox_add
from complaints.services.statistics import statistics_refresh
from config.beat import OutboxScheduler
from config.celery import app as celery_app
from tests.classifier.helpers import active_version, model_dirs  # noqa: F401 — fixtures
from tests.factories import make_complaint

# Beat closes stale connections at each tick (the clock jumps past their age): outside a
# wrapping transaction, so PostgreSQL's connection may close and reopen.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class Beat:
    """An OutboxScheduler whose seconds pass when the test says so."""

    def __init__(self, tmp_path, traveller):
        self.seconds = 0.0
        self.traveller = traveller
        self.scheduler = OutboxScheduler(
            app=celery_app, schedule_filename=str(tmp_path / "schedule")
        )
        self.scheduler.clock = lambda: self.seconds

    def run(self, seconds: int) -> None:
        for _ in range(seconds):
            self.seconds += 1
            self.traveller.shift(1)
            self.scheduler.tick()


# A Wednesday at 10:20 in Beijing: no crontab entry falls in the next quarter of an hour.
QUIET = datetime.datetime(2026, 3, 11, 10, 20, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def beat_start():
    return QUIET


@pytest.fixture
def beat(tmp_path, caplog, settings, beat_start):
    # As config/settings.py's LOGGING has it when tasks run in-process (the embedded default).
    caplog.set_level(logging.WARNING, logger="celery.app.trace")
    caplog.set_level(logging.DEBUG)  # last: it sets the capturing handler's level too
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"  # QUIET is quiet in beat's own zone
    with time_machine.travel(beat_start, tick=False) as traveller:
        beat = Beat(tmp_path, traveller)
        yield beat
        beat.scheduler.close()


def _visible(caplog) -> list[str]:
    # Not kombu's "No hostname was supplied" about the in-memory broker: once per process, in
    # whichever test first opens a connection, so it would make this test depend on the order.
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.INFO and r.name != "kombu.connection"
    ]


@pytest.mark.usefixtures("active_version")
def test_a_minute_of_routine_ticks_logs_nothing_at_info(beat, caplog, app):
    # The platform has been running today: statistics rebuilt, the model loaded.
    statistics_refresh(full=True)
    active_model()
    caplog.clear()
    beat.run(30)
    complaint = make_complaint(app=app)  # filed mid-minute: sealed at the next tick
    beat.run(30)

    assert _visible(caplog) == []
    # The work was done all the same, and said so at DEBUG.
    assert not Event.objects.filter(complaint=complaint, chain_seq=None).exists()
    assert not OutboxMessage.objects.exists()
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    sealer = "Scheduler: sending due task seal-audit-chain (complaints.tasks.seal_audit_chain)"
    assert debug.count(sealer) >= 55  # a tick sends one due entry: the sweep's seconds are its
    assert (
        "Scheduler: sending due task classify-sweep (complaints.tasks.sweep_unclassified)" in debug
    )
    assert "Outbox: 1 waiting task(s) sent." in debug


def test_outbox_rows_that_waited_past_their_time_are_reported(beat, caplog):
    outbox_add("complaints.tasks.send_deadline_reminders")
    OutboxMessage.objects.update(available_at=timezone.now() - datetime.timedelta(minutes=5))

    beat.run(1)

    assert not OutboxMessage.objects.exists()
    assert "Outbox: 2 task(s) sent, the oldest after waiting 301 s." in _visible(caplog)


def test_a_sealing_of_events_written_minutes_before_is_reported(beat, caplog, app):
    make_complaint(app=app)
    beat.traveller.shift(datetime.timedelta(minutes=10))  # beat was not running meanwhile

    for _entry in beat.scheduler.schedule:  # a tick sends one due entry: all are due now
        beat.scheduler.tick()

    assert not Event.objects.filter(chain_seq=None).exists()
    assert "Audit chain: 1 event(s) linked, the oldest written 600 s before." in _visible(caplog)


@pytest.mark.parametrize("beat_start", [QUIET.replace(minute=14, second=30)])
def test_an_hourly_entry_coming_due_within_the_minute_is_logged_at_info(beat, caplog):
    statistics_refresh(full=True)  # today's first rebuild says so at INFO; not this test's line
    caplog.clear()
    beat.run(60)  # 10:14:31 to 10:15:30: auto-close's quarter past comes round

    assert _visible(caplog) == [
        "Scheduler: Sending due task auto-close-answered (complaints.tasks.auto_close_answered)"
    ]


def test_daily_entries_still_say_when_they_are_sent(beat, caplog):
    entry = beat.scheduler.schedule["deadline-reminders"]

    beat.scheduler.apply_entry(entry)

    assert _visible(caplog) == [
        "Scheduler: Sending due task deadline-reminders (complaints.tasks.send_deadline_reminders)"
    ]
