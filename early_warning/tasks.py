"""Celery tasks of early warning: take ids or a date, call one service."""

import datetime

from celery import shared_task

from .clustering import complaints_cluster
from .daily import early_warning_run
from .mail import early_warning_mail_send


@shared_task(acks_late=True)
def cluster_complaints(complaint_ids: list[int]) -> int:
    """Enqueued by classification (settings.COMPLAINTS_CLASSIFIED_TASKS) with the ids it
    classified; returns how many clusters changed."""
    return len(complaints_cluster(complaint_ids=complaint_ids))


@shared_task
def early_warning_daily(day: str | None = None) -> int:
    """Beat's daily run (yesterday, or the ISO date given); returns the alerts raised."""
    parsed = datetime.date.fromisoformat(day) if day else None
    return len(early_warning_run(day=parsed))


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=5,
)
def early_warning_mail(mode: str) -> int:
    """Beat's early-warning e-mails: "immediate" every few minutes, "daily" once a day;
    returns how many went."""
    return early_warning_mail_send(mode=mode)
