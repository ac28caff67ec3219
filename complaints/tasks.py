"""Celery tasks: thin wrappers that take ids, load rows and call one service.

Enqueued only after commit; each is safe to run twice.
"""

import gc
import logging

from celery import shared_task
from celery.signals import worker_init
from django import db
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from classifier.services import TrainingBusy, model_train_with_confirmed
from classifier.serving import active_model

from .services.audit import audit_chain_seal
from .services.cases import cases_mark_overdue
from .services.classification import (
    classification_of_waiting,
    classification_sweep,
    complaint_classify,
)
from .services.classification_batch import complaints_classify
from .services.deadlines import notices_remind
from .services.evidence import evidence_drafts_purge
from .services.intake import complaint_receipt_send, complaint_receipts_send
from .services.notifications import notification_send
from .services.operators import complaints_auto_close
from .services.retention import retention_purge
from .services.statistics import statistics_refresh

logger = logging.getLogger(__name__)


# --- classification ------------------------------------------------------------------------

# Worth another try later: the database restarting or a connection dropped mid-task.
_TRANSIENT = (OperationalError, InterfaceError)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=_TRANSIENT,
    retry_backoff=2,
    # Below the broker's visibility timeout, or a waiting retry is handed out twice.
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=5,
)
def classify_complaints(self, complaint_ids: list[int], model_version_id: int | None = None) -> int:
    """Classify these complaints and, on a worker, as many other waiting ones as fit in the
    batch: a backlog of one-complaint messages drains in batches, the later messages finding
    their complaint done. Late ack: a worker that dies mid-task gets the message redelivered
    (see CELERY_VISIBILITY_TIMEOUT), counted as lost, not failed (classification_batch)."""
    room = 0 if self.request.is_eager else settings.CLASSIFY_BATCH_SIZE - len(complaint_ids)
    return len(
        complaints_classify(
            complaint_ids=complaint_ids, model_version_id=model_version_id, top_up=room
        )
    )


@shared_task(acks_late=True, autoretry_for=_TRANSIENT, retry_backoff=2, retry_backoff_max=60)
def classify_waiting() -> int:
    """Filing's task: every complaint waiting, in batches (one model call and one set of bulk
    writes each). One pending message serves every filing until it starts."""
    return classification_of_waiting()


@shared_task(
    acks_late=True,
    autoretry_for=_TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=5,
)
def classify_complaint(complaint_id: int, model_version_id: int | None = None) -> int | None:
    """One complaint: messages queued before batches existed, and the tests."""
    classification = complaint_classify(
        complaint_id=complaint_id, model_version_id=model_version_id
    )
    return classification.pk if classification else None


@shared_task(acks_late=True)
def sweep_unclassified() -> int:
    return classification_sweep()


@worker_init.connect
def _load_model_before_the_first_task(**kwargs) -> None:
    """Load the active model in the worker's main process before any task: the first
    classification does not pay for it, and prefork children share its memory (fork). What
    the main process has loaded is then frozen out of the garbage collector's reach, so a
    child's collections do not write to (and so copy) the model's and the code's pages."""
    try:
        served = active_model(refresh=True)
        if served is not None:
            logger.info("Classifier %s loaded before the first task.", served.version)
    except Exception:  # noqa: BLE001 — the first task loads it instead
        logger.warning("Could not load the classifier at worker start.", exc_info=True)
    finally:
        # Children must not share the parent's database connection.
        db.connections.close_all()
        gc.collect()
        gc.freeze()


# Early ack and no retries: a retraining that dies is simply run again next week or by hand,
# never redelivered into a loop of minute-long trainings.
@shared_task(acks_late=False, time_limit=3600, soft_time_limit=3300)
def retrain_classifier(actor_id: int | None = None, force: bool = False) -> str:
    try:
        version = model_train_with_confirmed(actor_id=actor_id, force=force)
    except TrainingBusy:
        logger.warning("Retraining skipped: another training is running.")
        return "skipped: another training is running"
    return f"{version.version} {version.status}"


# --- rectification loop (triage, cases, operators) -----------------------------------------


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=60,  # below the broker's visibility timeout
    max_retries=5,
)
def send_notification(kind: str, event_id: int) -> int:
    return notification_send(kind=kind, event_id=event_id)


@shared_task(acks_late=True)
def send_receipt(complaint_id: int, sealed_token: str) -> bool:
    return complaint_receipt_send(complaint_id=complaint_id, sealed_token=sealed_token)


@shared_task(acks_late=True)
def send_receipts(receipts: list[list]) -> int:
    """The receipts the outbox dispatcher joined: [complaint id, sealed token] pairs."""
    return complaint_receipts_send(receipts=[(pk, sealed) for pk, sealed in receipts])


@shared_task(acks_late=True)
def mark_overdue_cases() -> int:

    marked = cases_mark_overdue(today=timezone.localdate())
    if marked:
        logger.info("Marked %s case(s) overdue.", len(marked))
    return len(marked)


@shared_task(acks_late=True)
def send_deadline_reminders() -> int:

    return len(notices_remind(today=timezone.localdate()))


@shared_task(acks_late=True)
def auto_close_answered() -> int:
    return len(complaints_auto_close())


# --- statistics ----------------------------------------------------------------------------


@shared_task(acks_late=True)
def refresh_statistics(full: bool = False) -> str:
    """Every minute from beat: the dashboards' summary table, day by day as things change."""
    result = statistics_refresh(full=full)
    return (
        "skipped: another refresh is running"
        if result is None
        else f"{result.rows} rows, {result.seconds:.2f} s"
    )


# --- consumers: filing ---------------------------------------------------------------------


@shared_task(acks_late=True)
def purge_evidence_drafts() -> int:
    """Files uploaded in web forms that were never sent, older than a day."""
    return evidence_drafts_purge()


@shared_task(acks_late=True)
def purge_expired_personal_data() -> int:
    """Daily from beat: personal data of complaints closed longer than RETENTION_YEARS ago."""
    return retention_purge()


# --- the audit log ---------------------------------------------------------------------------


@shared_task(acks_late=True)
def seal_audit_chain() -> int:
    """Every AUDIT_SEAL_SECONDS from beat: link the events written since into the hash chain."""
    return audit_chain_seal()
