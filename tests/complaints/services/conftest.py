"""Fixtures for the services' tests: a broker outage in this process (Celery pointed at a port
nobody listens on)."""

import pytest

from complaints.services.enqueue import publish_pause_end
from config.celery import app as celery_app

DEAD_BROKER = "redis://127.0.0.1:1/7"


def drop_broker_connections() -> None:
    """Forget (without closing: other pools may share them) the broker connections earlier
    tests opened, so the next publish dials the current URL."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def dead_broker():
    """Tasks go to a broker (not eager), and the broker is down."""
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.broker_url, conf.broker_write_url)
    # broker_write_url too: when CELERY_BROKER_URL is set it is derived from it and wins.
    conf.task_always_eager, conf.broker_url, conf.broker_write_url = (
        False,
        DEAD_BROKER,
        DEAD_BROKER,
    )
    drop_broker_connections()
    publish_pause_end()
    try:
        yield DEAD_BROKER
    finally:
        conf.task_always_eager, conf.broker_url, conf.broker_write_url = saved
        drop_broker_connections()
        publish_pause_end()
