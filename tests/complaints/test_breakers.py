"""The breakers that keep a request from waiting on a service that is down: after one failure
no request touches the broker (or a Redis cache) until the breaker's own probe reaches it."""

import socket
import threading
import time

import pytest
from rest_framework.test import APIClient

from complaints.breakers import Breaker
from complaints.models import Complaint, OutboxMessage
from complaints.services.enqueue import broker_breaker
from complaints.services.intake import complaint_submit
from complaints.throttling import cache_breaker
from config.celery import app as celery_app
from tests.complaints.services.conftest import drop_broker_connections

pytestmark = pytest.mark.django_db


class Blackhole:
    """A TCP port that takes connections and never answers (a broker hanging, or a host
    dropping packets): every touch costs the caller its whole timeout, and is counted."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self._held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            self._held.append(conn)

    def close(self):
        self.server.close()
        for conn in self._held:
            conn.close()


@pytest.fixture
def blackhole():
    hole = Blackhole()
    yield hole
    hole.close()


@pytest.fixture
def hanging_broker(blackhole, settings):
    """Tasks go to a broker (not eager), and the broker takes connections but never answers."""
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.broker_url, conf.broker_write_url)
    url = f"redis://127.0.0.1:{blackhole.port}/0"
    conf.task_always_eager, conf.broker_url, conf.broker_write_url = False, url, url
    settings.OUTBOX_PUBLISH_TIMEOUT = 0.2
    settings.OUTBOX_PAUSE_AFTER_FAILURE_SECONDS = 60  # no probe during the test
    drop_broker_connections()
    broker_breaker.reset()
    yield blackhole
    conf.task_always_eager, conf.broker_url, conf.broker_write_url = saved
    drop_broker_connections()
    broker_breaker.reset()


def _wait_for(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_a_tripped_breaker_stays_open_until_its_probe_gets_an_answer():
    answering = threading.Event()

    def probe():
        if not answering.is_set():
            raise ConnectionError("down")

    breaker = Breaker("test service", probe, lambda: 0.02)
    assert not breaker.is_open
    breaker.trip()
    assert breaker.is_open
    time.sleep(0.1)  # several probes failed meanwhile
    assert breaker.is_open
    answering.set()
    assert _wait_for(lambda: not breaker.is_open)


@pytest.mark.breaks_broker
def test_after_one_failed_publish_filings_do_not_touch_the_broker(
    app, hanging_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        complaint_submit(description="强制索取通讯录权限，不给就闪退", app=app)
    assert hanging_broker.connections == 1  # the one attempt that found the outage
    assert broker_breaker.is_open
    started = time.monotonic()
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            complaint_submit(description="强制索取通讯录权限，不给就闪退", app=app)
    assert hanging_broker.connections == 1
    # Five filings without a single publish timeout (0.2 s each) between them.
    assert time.monotonic() - started < 0.2 * 5
    # Nothing lost: every filing waits, unclaimed, for the dispatcher's run (no outbox row).
    assert (
        Complaint.objects.filter(
            status=Complaint.Status.SUBMITTED,
            classification_started_at__isnull=True,
            classification_attempts=0,
        ).count()
        == 6
    )
    assert not OutboxMessage.objects.exists()


@pytest.mark.breaks_broker
def test_a_page_asking_for_a_task_does_not_touch_the_broker_while_it_is_down(hanging_broker):
    from complaints.services.enqueue import task_send

    broker_breaker.trip()
    assert task_send("complaints.tasks.sweep_unclassified") is False
    assert hanging_broker.connections == 0


@pytest.mark.redis
@pytest.mark.breaks_broker
def test_the_breaker_closes_when_its_probe_reaches_the_broker_again(hanging_broker, settings):
    settings.OUTBOX_PAUSE_AFTER_FAILURE_SECONDS = 0.05
    broker_breaker.trip()
    time.sleep(0.2)
    assert broker_breaker.is_open  # the hanging broker does not answer the probe
    conf = celery_app.conf
    conf.broker_url = conf.broker_write_url = settings.CELERY_BROKER_URL  # Redis is back
    assert _wait_for(lambda: not broker_breaker.is_open)


@pytest.fixture
def hanging_cache(blackhole, settings):
    settings.CACHE_TIMEOUT = 0.2
    hanging = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{blackhole.port}/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
    settings.CACHES = {"default": hanging, "throttle": hanging}
    cache_breaker.reset()
    yield blackhole
    cache_breaker.reset()


def test_with_the_throttles_cache_down_filings_go_through_without_waiting_on_it(app, hanging_cache):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    body = {"app": app.pk, "description": "强制索取通讯录权限，不给就闪退"}
    assert api.post("/api/v1/complaints/", body, format="json").status_code == 201
    touched = hanging_cache.connections
    assert touched >= 1 and cache_breaker.is_open
    for _ in range(3):
        assert api.post("/api/v1/complaints/", body, format="json").status_code == 201
    assert hanging_cache.connections == touched
    assert Complaint.objects.count() == 4
