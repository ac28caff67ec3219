"""Celery tasks: thin wrappers that take ids, load rows and call one service.

Enqueued only after commit; each is safe to run twice.
"""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def classify_complaint(complaint_id: int) -> None:
    from .services.classification import complaint_classify

    complaint_classify(complaint_id=complaint_id)


# --- rectification loop (triage, cases, operators) -----------------------------------------


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification(kind: str, event_id: int) -> int:
    from .services.notifications import notification_send

    return notification_send(kind=kind, event_id=event_id)


@shared_task(acks_late=True)
def mark_overdue_cases() -> int:
    from django.utils import timezone

    from .services.cases import cases_mark_overdue

    marked = cases_mark_overdue(today=timezone.localdate())
    if marked:
        logger.info("Marked %s case(s) overdue.", len(marked))
    return len(marked)


@shared_task(acks_late=True)
def send_deadline_reminders() -> int:
    from django.utils import timezone

    from .services.cases import notices_remind

    return len(notices_remind(today=timezone.localdate()))


@shared_task(acks_late=True)
def auto_close_answered() -> int:
    from .services.operators import complaints_auto_close

    return len(complaints_auto_close())


# --- statistics ----------------------------------------------------------------------------


@shared_task(acks_late=True)
def refresh_statistics(full: bool = False) -> str:
    """Every minute from beat: the dashboards' summary table, day by day as things change."""
    from .services.statistics import statistics_refresh

    result = statistics_refresh(full=full)
    return "skipped: another refresh is running" if result is None else f"{result.rows} rows, {result.seconds:.2f} s"
