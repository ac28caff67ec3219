"""Celery beat with the outbox: due entries are written to the outbox table instead of being
published, and beat itself drains the outbox every OUTBOX_DISPATCH_SECONDS.

Plain beat publishes a due entry once and, if Redis is down at that moment, logs the error and
moves the entry on to its next run: a daily reminder is then lost for the day. Here the entry
waits in the database and goes out within a second of Redis returning, together with whatever
web requests could not publish. The dispatcher runs inside beat's own loop, not as a task, so
it needs neither the broker nor a particular tick to run. Beside the outbox it looks for
complaints waiting for classification that no run has taken (a filing keeps no outbox row for
its classification: the complaint row says it waits) and sends a run when none is pending.
"""

import logging
import time

from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import DatabaseError, close_old_connections

logger = logging.getLogger(__name__)


class OutboxScheduler(PersistentScheduler):
    _next_dispatch = 0.0

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
        if time.monotonic() >= self._next_dispatch:
            self._dispatch()
            self._next_dispatch = time.monotonic() + interval
        return min(delay, max(0.0, self._next_dispatch - time.monotonic()))

    def _dispatch(self) -> None:
        from complaints.services.classification_requests import classification_dispatch
        from complaints.services.enqueue import outbox_dispatch

        close_old_connections()
        try:
            outbox_dispatch()
            classification_dispatch()
        except DatabaseError:
            logger.warning("Outbox dispatch skipped: the database is unavailable.", exc_info=True)
