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
