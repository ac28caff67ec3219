"""Celery tasks of inspections: take an id, call one service."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from .models import AppInspection
from .services import inspection_fail
from .services import inspection_run as run


@shared_task(
    acks_late=True,
    # The child process has its own limit; these catch a worker stuck around it.
    soft_time_limit=settings.INSPECTION_TIME_LIMIT_SECONDS + 30,
    time_limit=settings.INSPECTION_TIME_LIMIT_SECONDS + 60,
)
def inspection_run(inspection_id: int) -> str | None:
    try:
        inspection = run(inspection_id=inspection_id)
    except SoftTimeLimitExceeded:
        inspection = AppInspection.objects.filter(pk=inspection_id).first()
        if inspection is not None:
            inspection_fail(inspection=inspection, code="timeout")
    return inspection.status if inspection is not None else None
