"""Celery beat with the outbox: due entries are written to the outbox table instead of being
published, and beat itself drains the outbox every OUTBOX_DISPATCH_SECONDS.

Plain beat publishes a due entry once and, if Redis is down at that moment, logs the error and
moves the entry on to its next run: a daily reminder is then lost for the day. Here the entry
waits in the database and goes out within a second of Redis returning, together with whatever
web requests could not publish. The dispatcher runs inside beat's own loop, not as a task, so
it needs neither the broker nor a particular tick to run. Beside the outbox it looks for
complaints waiting for classification that no run has taken (a filing keeps no outbox row for
its classification: the complaint row says it waits) and sends a run when none is pending.

Routine ticks are logged at DEBUG: an entry due every minute or more often (the sealer every
second, the sweep, the statistics) and an outbox of rows sent on time would otherwise fill
`make run`'s log with a line a second. What is unusual stays at INFO or above: rows that waited
in the outbox past LATE_SECONDS (the broker or beat was away), daily and hourly entries,
failures.
"""

import datetime
import logging
import time

from celery.beat import PersistentScheduler
from celery.schedules import schedule as interval_schedule
from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.db.models import Min
from django.utils import timezone

logger = logging.getLogger(__name__)

# An entry due this often or more is a routine tick.
ROUTINE_SECONDS = 60.0
# Rows are sent within OUTBOX_DISPATCH_SECONDS of being written; older ones had to wait.
LATE_SECONDS = 30.0


def is_routine(entry) -> bool:
    """Whether the entry runs on a short fixed interval (not a daily or hourly crontab)."""
    every = entry.schedule
    return (
        isinstance(every, interval_schedule) and every.run_every.total_seconds() <= ROUTINE_SECONDS
    )


class OutboxScheduler(PersistentScheduler):
    _next_dispatch = 0.0
    # Beat's own clock for the dispatcher's rhythm; a test drives it instead of sleeping.
    clock = staticmethod(time.monotonic)

    def apply_entry(self, entry, producer=None):
        if not is_routine(entry):
            return super().apply_entry(entry, producer=producer)
        logger.debug("Scheduler: sending due task %s (%s)", entry.name, entry.task)
        try:
            self.apply_async(entry, producer=producer, advance=False)
        except Exception:  # noqa: BLE001 — beat goes on; the entry comes round again
            logger.warning("Scheduler: %s (%s) not queued.", entry.name, entry.task, exc_info=True)
        return None

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        from complaints.services.enqueue import outbox_add

        entry = self.reserve(entry) if advance else entry
        close_old_connections()
        # A database that is down fails loudly here (beat logs it); the entry was already
        # moved on, as plain beat does when Redis is down, and the next one comes as usual.
        outbox_add(entry.task, list(entry.args or ()), dict(entry.kwargs or {}))
        self._next_dispatch = 0.0  # send it now, not on the next second
        return None

    def tick(self, *args, **kwargs):
        delay = super().tick(*args, **kwargs)
        interval = settings.OUTBOX_DISPATCH_SECONDS
        if self.clock() >= self._next_dispatch:
            self._dispatch()
            self._next_dispatch = self.clock() + interval
        return min(delay, max(0.0, self._next_dispatch - self.clock()))

    def _dispatch(self) -> None:
        from complaints.models import OutboxMessage
        from complaints.services.classification_requests import classification_dispatch
        from complaints.services.enqueue import outbox_dispatch

        close_old_connections()
        try:
            now = timezone.now()
            oldest = OutboxMessage.objects.filter(available_at__lte=now).aggregate(
                oldest=Min("available_at")
            )["oldest"]
            sent = outbox_dispatch()
            classification_dispatch()
        except DatabaseError:
            logger.warning("Outbox dispatch skipped: the database is unavailable.", exc_info=True)
            return
        late = oldest is not None and now - oldest > datetime.timedelta(seconds=LATE_SECONDS)
        if sent and late:
            logger.info(
                "Outbox: %s task(s) sent, the oldest after waiting %.0f s.",
                sent,
                (now - oldest).total_seconds(),
            )
