"""The Celery app: configuration from Django settings (CELERY_ namespace), tasks autodiscovered."""

import os

from celery import Celery, signals
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("appwatch")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def _database_connections_as_for_requests(task=None, **kwargs) -> None:
    """Around each task on a worker, what Django does around each request: close a connection
    that is broken or older than DB_CONN_MAX_AGE and keep the rest (CELERY_DB_REUSE_MAX keeps
    Celery from closing every one). An eager task runs inside its caller's request."""
    if task is not None and not task.request.is_eager:
        close_old_connections()
