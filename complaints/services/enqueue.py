"""Handing work to Celery from the services: by task name, so no service imports the tasks
module (which imports the services), and never failing the change that asked for it.
"""

import logging

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def _task(task_name: str):
    app = current_app
    if task_name not in app.tasks:
        # A web process has not imported the apps' tasks modules yet: autodiscovery runs
        # when the default modules are imported.
        app.loader.import_default_modules()
    return app.tasks[task_name]


def task_send(task_name: str, *args, what: str = "") -> bool:
    """Send the task now (run in-process when tasks are eager). A broker outage is logged
    and reported as False, never raised: the sweeps and beat pick the work up later."""
    task = _task(task_name)
    try:
        task.apply_async(args=args)
    except Exception:  # noqa: BLE001 — a broker outage must not fail the change that caused it
        logger.warning("Could not enqueue %s.", what or f"{task_name}{args}", exc_info=True)
        return False
    return True


def enqueue_on_commit(task_name: str, *args, what: str = "") -> None:
    """Send the task once the surrounding transaction commits (at once outside one), so a
    worker never reads rows that are not there yet; see task_send for failures."""
    transaction.on_commit(lambda: task_send(task_name, *args, what=what))
