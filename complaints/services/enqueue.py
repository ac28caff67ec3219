"""Handing work to Celery from the services: by task name, so no service imports the tasks
module (which imports the services), and never failing or holding up the change that asked.

With a broker, work goes through the outbox (models/outbox.py): a row written in the
change's own transaction, published after commit over a connection with a short timeout and
no retry, deleted once Redis took it. What could not go out waits for the dispatcher
(`outbox_dispatch`, run by beat every second), so a filing answers as fast with Redis down
as with it up, and nothing it asked for is lost. A request whose work the database already
records (`Request.outbox=False`: a filing's classification, the complaint row says it waits)
writes no row: it is published after commit all the same, and what could not go out is found
again by beat's own look at the database (classification_requests.classification_dispatch).
After one failure a request no longer touches the broker at all: the process's breaker
(complaints/breakers.py) stays open until its own probe reaches Redis again. Without a
broker (the embedded default and the tests) tasks run in-process after commit, as before.
"""

import contextlib
import importlib
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..breakers import Breaker
from ..models import OutboxMessage
from .row_insert import row_insert

logger = logging.getLogger(__name__)

# Tasks whose one argument is a list of complaint ids: the dispatcher joins waiting rows of
# one such task into messages of up to CLASSIFY_BATCH_SIZE ids.
JOINABLE = frozenset({"complaints.tasks.classify_complaints"})
# Tasks sent one message per row that the dispatcher sends together instead: rows of the task
# become one message of the other, whose one argument lists each row's arguments (a second's
# receipts: one message, one query, one connection to the mail server).
JOINED_AS = {"complaints.tasks.send_receipt": "complaints.tasks.send_receipts"}
# Tasks that do whatever is waiting when they run (no arguments): one message stands for any
# number of requests for it, so the dispatcher sends one for all its waiting rows, and a
# request sends none while one is pending (`enqueue_coalesced_on_commit`). Each names the
# setting that says how long its run, once started, keeps the pending mark before it reads
# what waits (see `pending_mark_trusted`).
COALESCED = {"complaints.tasks.classify_waiting": "CLASSIFY_GATHER_SECONDS"}
# How long a pending mark holds without its task starting (a message lost with its worker):
# after this the next request sends a new one.
PENDING_MARK_SECONDS = 5
# What `pending_mark_trusted` leaves for clocks of different hosts disagreeing.
PENDING_MARK_CLOCK_MARGIN_SECONDS = 0.05
# How long the dispatcher leaves a row to the request that wrote it (OutboxMessage.available_at).
REQUEST_PUBLISHES_WITHIN_SECONDS = 2.0

_local = threading.local()


def _task(task_name: str):
    app = current_app
    if task_name not in app.tasks:
        # A web process has not imported the tasks module yet. Importing just that module
        # registers its tasks; Celery's import_default_modules would also run django.setup()
        # again, which reconfigures logging under a running process.
        importlib.import_module(task_name.rpartition(".")[0])
    return app.tasks[task_name]


def task_send(task_name: str, *args, what: str = "") -> bool:
    """Send the task now (run in-process when tasks are eager). A broker outage is logged
    and reported as False, never raised: the sweeps and beat pick the work up later. While
    the breaker is open nothing is tried."""
    task = _task(task_name)
    if not _eager() and broker_breaker.is_open:
        return False
    try:
        task.apply_async(args=args)
    except Exception:  # noqa: BLE001 — a broker outage must not fail the change that caused it
        logger.warning("Could not enqueue %s.", what or f"{task_name}{args}", exc_info=True)
        if not _eager():
            broker_breaker.trip()
        return False
    return True


def tasks_run_in_process() -> bool:
    """No broker (the embedded default, the tests): tasks run here, after commit."""
    return bool(current_app.conf.task_always_eager)


_eager = tasks_run_in_process


def _quick_connection():
    """This thread's broker connection for publishing from a request: short timeouts, no
    retries (kombu's defaults would retry the connection for seconds)."""
    url = current_app.conf.broker_write_url or current_app.conf.broker_url
    connection = getattr(_local, "connection", None)
    if connection is not None and getattr(_local, "url", None) != url:
        _forget_quick_connection()
        connection = None
    if connection is None:
        timeout = settings.OUTBOX_PUBLISH_TIMEOUT
        connection = current_app.connection_for_write(
            transport_options={
                **current_app.conf.broker_transport_options,
                "max_retries": 0,
                "socket_connect_timeout": timeout,
                "socket_timeout": timeout,
            },
            connect_timeout=timeout,
        )
        _local.connection, _local.url = connection, url
    return connection


def _forget_quick_connection() -> None:
    connection = getattr(_local, "connection", None)
    _local.connection = None
    if connection is not None:
        # A dead connection may fail to close; it is dropped either way.
        with contextlib.suppress(Exception):
            connection.close()


def _broker_probe() -> None:
    """Raises while Redis does not answer (the breaker's probe thread, with its own client)."""
    _redis_client().ping()


# After a failed publish this process's requests leave the broker alone (their work waits in
# the outbox) until the probe, every OUTBOX_PAUSE_AFTER_FAILURE_SECONDS, reaches it again.
broker_breaker = Breaker(
    "The broker", _broker_probe, lambda: settings.OUTBOX_PAUSE_AFTER_FAILURE_SECONDS
)


def publish_pause_end() -> None:
    """Try the broker again at the next publish (tests, after simulating an outage)."""
    broker_breaker.reset()


def publish_quick(
    task_name: str, args: list, kwargs: dict | None = None, *, from_request: bool = True
) -> bool:
    """Publish once, bounded by OUTBOX_PUBLISH_TIMEOUT, or report False. From a request,
    nothing is tried while the breaker is open: an outage costs one failed attempt per
    process, not one per request. The dispatcher (`from_request=False`) always tries, and
    its success closes the breaker."""
    if from_request and broker_breaker.is_open:
        return False
    try:
        # By name: the web process never imports the tasks module (and with it the
        # classifier) to publish; routes come from CELERY_TASK_ROUTES all the same.
        current_app.send_task(
            task_name, args=args, kwargs=kwargs or {}, connection=_quick_connection(), retry=False
        )
    except Exception:  # noqa: BLE001 — any broker failure: the dispatcher sends it later
        _forget_quick_connection()
        logger.warning("Broker unavailable; %s waits for the dispatcher.", task_name, exc_info=True)
        if from_request:
            broker_breaker.trip()
        return False
    if not from_request:
        broker_breaker.reset()
    return True


@dataclass(frozen=True)
class Request:
    """One task a change asks for: by name, with its arguments. A coalesced request
    (`COALESCED`) is not sent while a run of its task is pending (see `pending_mark_set`).
    One that is not `urgent` (an e-mail) is left to the dispatcher, which sends what waits
    every OUTBOX_DISPATCH_SECONDS, in one go: the request spends no publish on it. One without
    `outbox` writes no row: only for work the change's own rows already record and a
    dispatcher finds there when the publish fails (it must be urgent)."""

    task_name: str
    args: tuple = ()
    what: str = ""
    urgent: bool = True
    outbox: bool = True

    @property
    def coalesced(self) -> bool:
        return self.task_name in COALESCED


def requests_on_commit(*requests: Request) -> None:
    """Send these tasks once the surrounding transaction commits (at once outside one), so a
    worker never reads rows that are not there yet. With a broker they are first written to
    the outbox in the change's own transaction (one INSERT for all; none for requests without
    `outbox`), so Redis being down loses nothing; after commit each urgent one is published
    and the rows that went out are deleted (one DELETE for all); the others wait for the
    dispatcher."""
    if _eager():
        for request in requests:
            transaction.on_commit(lambda r=request: task_send(r.task_name, *r.args, what=r.what))
        return
    kept = [r for r in requests if r.outbox]
    rows = {}
    if kept:
        now = timezone.now()
        left_to_request = now + timezone.timedelta(seconds=REQUEST_PUBLISHES_WITHIN_SECONDS)
        created = [
            OutboxMessage(
                task_name=r.task_name,
                args=list(r.args),
                available_at=left_to_request if r.urgent else now,
            )
            for r in kept
        ]
        if len(created) == 1:
            row_insert(created[0])  # the usual case (a receipt): no bulk machinery for one row
        else:
            OutboxMessage.objects.bulk_create(created)
        rows = {id(r): row for r, row in zip(kept, created, strict=True)}
    urgent = [(r, rows.get(id(r))) for r in requests if r.urgent]
    if urgent:
        transaction.on_commit(lambda: _publish_after_commit(urgent))


def _publish_after_commit(pairs: list[tuple[Request, OutboxMessage | None]]) -> None:
    sent = []
    for request, row in pairs:
        if broker_breaker.is_open:
            break
        if request.coalesced:
            try:
                needed = not pending_mark_trusted(request.task_name) and pending_mark_set(
                    request.task_name
                )
            except Exception:  # noqa: BLE001 — Redis down: the dispatcher sends it later
                logger.warning(
                    "Broker unavailable; %s waits for the dispatcher.", request.task_name
                )
                broker_breaker.trip()
                break
            if not needed:  # a run is pending and will see this commit
                if row is not None:
                    sent.append(row.pk)
                continue
        if not publish_quick(request.task_name, list(request.args)):
            break
        if row is not None:
            sent.append(row.pk)
    if sent:
        # One DELETE in autocommit: the rows have no relations or signals, so the deletion
        # collector's transaction around it would only add a BEGIN and a COMMIT.
        rows = OutboxMessage.objects.filter(pk__in=sent)
        rows._raw_delete(rows.db)


def enqueue_on_commit(task_name: str, *args, what: str = "") -> None:
    """One task after commit, through the outbox (see `requests_on_commit`)."""
    requests_on_commit(Request(task_name, args, what))


def _pending_mark_key(task_name: str) -> str:
    return f"appwatch:pending:{task_name}"


def _redis_client():
    """This thread's Redis client on the broker, with the request's short timeouts."""
    import redis

    url = current_app.conf.broker_write_url or current_app.conf.broker_url
    client = getattr(_local, "redis", None)
    if client is None or getattr(_local, "redis_url", None) != url:
        timeout = settings.OUTBOX_PUBLISH_TIMEOUT
        client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=None
        )
        _local.redis, _local.redis_url = client, url
    return client


# Task name -> when (wall clock, seconds) the last pending mark this process set or found was
# set: the mark's value.
_mark_set_at: dict[str, float] = {}


def pending_mark_set(task_name: str) -> bool:
    """Mark the task as pending; False when it already was (its run will see our rows). The
    mark holds the time it was set, which this process remembers either way."""
    now = time.time()
    found = _redis_client().set(
        _pending_mark_key(task_name), repr(now), nx=True, get=True, ex=PENDING_MARK_SECONDS
    )
    try:
        _mark_set_at[task_name] = now if found is None else float(found)
    except ValueError:  # a mark from before marks held their time
        _mark_set_at[task_name] = 0.0
    return found is None


def pending_marks_forget() -> None:
    """Trust no pending mark seen so far (tests: the next one's clock starts over)."""
    _mark_set_at.clear()


def pending_mark_trusted(task_name: str) -> bool:
    """Whether a run of the task is surely still to read what waits, without asking Redis: the
    pending mark this process last set or found was set so recently that its run cannot have
    read yet. That run is sent after its mark is set and, finding the mark when it starts,
    keeps it for its gathering time (COALESCED's setting) before it reads; so a commit made
    within that time of the mark being set (less a margin for clocks) is read by that run.
    Under a stream of filings most of them then spend no round trip to Redis on asking.

    The one case it misses: two runs pending at once for one mark (a message redelivered, or
    one sent after a mark expired unstarted), the first clearing the mark early for the
    second; a commit trusted to the second waits for the next run or beat's dispatcher
    (`classification_dispatch`, within OUTBOX_DISPATCH_SECONDS), never longer."""
    setting = COALESCED.get(task_name)
    if setting is None:
        return False
    held = getattr(settings, setting) - PENDING_MARK_CLOCK_MARGIN_SECONDS
    since = time.time() - _mark_set_at.get(task_name, 0.0)
    return 0 <= since < held  # a mark from "the future" is a clock that jumped: not trusted


def pending_mark_is_set(task_name: str) -> bool:
    """Whether a run of the task is marked pending (always False with tasks in-process)."""
    return not _eager() and bool(_redis_client().exists(_pending_mark_key(task_name)))


def pending_mark_clear(task_name: str) -> None:
    """Called by the task as it starts, before it reads what is waiting: a request that
    commits after this sends a new message."""
    if not _eager():
        _redis_client().delete(_pending_mark_key(task_name))


def enqueue_coalesced_on_commit(task_name: str, *, what: str = "") -> None:
    """Ask, after commit, for a run of a task that does whatever is waiting. While a run is
    pending (sent, not started) no other message is sent: the run will see this commit. Like
    `enqueue_on_commit`, the request goes through the outbox, so Redis being down loses
    nothing and holds up nothing."""
    requests_on_commit(Request(task_name, (), what))


def _messages(rows: list[OutboxMessage]) -> Iterable[tuple[list[int], str, list, dict]]:
    """(row ids, task, args, kwargs) to publish: joinable rows (and rows JOINED_AS another
    task) joined into batches, coalesced rows into one message per task."""
    batches: dict[str, tuple[list[int], list]] = {}
    coalesced: dict[str, list[int]] = {}
    size = settings.CLASSIFY_BATCH_SIZE
    for row in rows:
        if row.task_name in COALESCED and not row.args and not row.kwargs:
            coalesced.setdefault(row.task_name, []).append(row.pk)
            continue
        if row.task_name in JOINABLE and len(row.args) == 1 and not row.kwargs:
            task_name, more = row.task_name, row.args[0]
        elif row.task_name in JOINED_AS and not row.kwargs:
            task_name, more = JOINED_AS[row.task_name], [row.args]
        else:
            yield [row.pk], row.task_name, row.args, row.kwargs
            continue
        row_ids, items = batches.setdefault(task_name, ([], []))
        row_ids.append(row.pk)
        items.extend(more)
        if len(items) >= size:
            yield row_ids, task_name, [items], {}
            del batches[task_name]
    for task_name, (row_ids, items) in batches.items():
        yield row_ids, task_name, [items], {}
    for task_name, row_ids in coalesced.items():
        yield row_ids, task_name, [], {}


def _run_here(task_name: str, args: list, kwargs: dict) -> None:
    """Without a broker: run the task in this process; its failure is logged, not raised."""
    try:
        _task(task_name).apply(args=args, kwargs=kwargs)
    except Exception:  # noqa: BLE001 — one failing job must not stop the others
        logger.exception("Task %s failed.", task_name)


def outbox_dispatch(*, limit: int = 5000) -> int:
    """Publish what waits in the outbox, oldest first, and delete what went out. Stops at the
    first failure (Redis still down) and reports how many rows went out. Several dispatchers
    may run at once: each takes rows the others have not locked."""
    sent_ids: list[int] = []
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(available_at__lte=timezone.now())
            .order_by("id")[:limit]
        )
        for row_ids, task_name, args, kwargs in _messages(rows):
            if _eager():
                _run_here(task_name, args, kwargs)
            elif not publish_quick(task_name, args, kwargs, from_request=False):
                break
            sent_ids += row_ids
        if sent_ids:
            # One DELETE for every row that went out (a second's receipts are one message
            # each), in the transaction that holds them.
            gone = OutboxMessage.objects.filter(pk__in=sent_ids)
            gone._raw_delete(gone.db)
    sent = len(sent_ids)
    if sent:
        # Routine: beat dispatches every second and says itself when rows were late.
        logger.debug("Outbox: %s waiting task(s) sent.", sent)
    return sent


def outbox_add(task_name: str, args: list | None = None, kwargs: dict | None = None) -> None:
    """Queue a task for the dispatcher (beat's due entries)."""
    OutboxMessage.objects.create(task_name=task_name, args=args or [], kwargs=kwargs or {})
