"""Asking for classification: what a filing or an import hands to the workers after commit,
and beat's look at the database for complaints whose request did not reach the broker.

Kept apart from services/classification.py so that the web processes, which only ask, never
import the classifier (scikit-learn, the model) at start or on a filing.
"""

import contextlib
import logging

from django.conf import settings

from ..models import Complaint
from .enqueue import (
    Request,
    pending_mark_clear,
    pending_mark_set,
    publish_quick,
    requests_on_commit,
    task_send,
    tasks_run_in_process,
)

logger = logging.getLogger(__name__)

CLASSIFY_WAITING = "complaints.tasks.classify_waiting"


def classification_request(*, complaint_id: int) -> Request:
    """What a new complaint asks for: with workers, a run of `classify_waiting`, which takes
    every complaint waiting at the time in batches (one run pending serves any number of
    filings); without (tasks in-process), the classification of just this one.

    The run is published after commit but written to no outbox row: the complaint row itself
    records that it waits (submitted, never claimed), and when the publish does not happen
    (Redis down, the breaker open) `classification_dispatch` finds it there."""
    what = f"classification of complaint {complaint_id}"
    if tasks_run_in_process():
        return Request("complaints.tasks.classify_complaints", ([complaint_id],), what)
    return Request(CLASSIFY_WAITING, (), what, outbox=False)


def classification_enqueue_on_commit(*, complaint_id: int) -> None:
    """After the change commits: have this complaint classified."""
    requests_on_commit(classification_request(complaint_id=complaint_id))


def complaints_wait_unasked() -> bool:
    """Whether a complaint waits that no run has taken yet: submitted, never claimed, never
    failed (what a filing's request is for; failed and lost runs are the sweep's)."""
    return Complaint.objects.filter(
        status=Complaint.Status.SUBMITTED,
        classification_started_at__isnull=True,
        classification_attempts=0,
    ).exists()


def classification_dispatch() -> bool:
    """Beat's dispatcher, every OUTBOX_DISPATCH_SECONDS beside the outbox: when complaints
    wait that no run has taken and none is pending, send a run of `classify_waiting`. This is
    how a filing's classification goes out when its own publish did not (Redis was down, the
    process's breaker open): within a second of Redis answering again. Returns whether it
    sent one. Nothing to do without a broker (runs are in-process) or an active model."""
    from classifier.selectors import model_version_active

    if tasks_run_in_process() or not complaints_wait_unasked():
        return False
    if model_version_active() is None:
        return False
    try:
        if not pending_mark_set(CLASSIFY_WAITING):
            return False  # a run is pending and will take them
    except Exception:  # noqa: BLE001 — Redis still down: the next tick tries again
        logger.info("Broker unavailable; classification of waiting complaints waits.")
        return False
    if publish_quick(CLASSIFY_WAITING, [], from_request=False):
        logger.info("Dispatcher: a run of %s sent for waiting complaints.", CLASSIFY_WAITING)
        return True
    # The mark would hold back the next tick's run for nothing.
    with contextlib.suppress(Exception):
        pending_mark_clear(CLASSIFY_WAITING)
    return False


def classification_enqueue(complaint_ids: list[int], model_version_id: int | None = None) -> bool:
    """Send classification of these complaints to the workers, in batches; False when the
    broker is down (one warning; the sweep tries again)."""
    size = settings.CLASSIFY_BATCH_SIZE
    for start in range(0, len(complaint_ids), size):
        batch = complaint_ids[start : start + size]
        if not task_send(
            "complaints.tasks.classify_complaints",
            batch,
            model_version_id,
            what=f"classification of {len(batch)} complaint(s)",
        ):
            return False
    return True
