"""Celery tasks: thin wrappers that take ids, load rows and call one service.

Enqueued only after commit; each is safe to run twice.
"""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from classifier.services import TrainingBusy, model_train_with_confirmed

from .services.cases import cases_mark_overdue
from .services.classification import classification_sweep, complaint_classify
from .services.deadlines import notices_remind
from .services.evidence import evidence_drafts_purge
from .services.notifications import notification_send
from .services.operators import complaints_auto_close
from .services.retention import retention_purge
from .services.statistics import statistics_refresh

logger = logging.getLogger(__name__)


# --- classification ------------------------------------------------------------------------

# Worth another try later: the database restarting or a connection dropped mid-task.
_TRANSIENT = (OperationalError, InterfaceError)


@shared_task(
    acks_late=True,
    autoretry_for=_TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def classify_complaint(complaint_id: int, model_version_id: int | None = None) -> int | None:
    """Late ack: a worker that dies mid-task gets the message redelivered, and the attempt
    counter in the database ends the loop for a complaint that kills it every time."""
    classification = complaint_classify(
        complaint_id=complaint_id, model_version_id=model_version_id
    )
    return classification.pk if classification else None


@shared_task(acks_late=True)
def sweep_unclassified() -> int:
    return classification_sweep()


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


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification(kind: str, event_id: int) -> int:
    return notification_send(kind=kind, event_id=event_id)


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
