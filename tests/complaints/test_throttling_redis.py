"""The throttles counted in Redis, as production counts them: one script call per check from a
client the process keeps, the sliding window DRF counts elsewhere, refusals not recorded.
(The suite's other throttle tests count in memory; across processes:
tests/integration/test_shared_throttle.py.)"""

import datetime
import os
import secrets

import pytest
import time_machine
from rest_framework.test import APIClient

from complaints import throttling
from complaints.models import Complaint

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


@pytest.fixture
def counts(settings):
    """The throttle cache on the test Redis, under a prefix of this test's own."""
    prefix = f"test-throttle-{secrets.token_hex(4)}"
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": throttling.REDIS_CACHE,
            "LOCATION": os.environ["CELERY_BROKER_URL"],
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    }
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anon_submit": "2/min",
        },
    }
    client = throttling.redis_counter()[0]
    yield client, prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def _file(api, app):
    body = {"app": app.pk, "description": "强制索取通讯录权限，不给就闪退"}
    return api.post("/api/v1/complaints/", body, format="json")


def test_the_limit_holds_and_refusals_are_not_counted(counts, app):
    client, prefix = counts
    api = APIClient(REMOTE_ADDR="198.51.100.7")
    answers = [_file(api, app) for _ in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 429, 429]
    assert 55 <= int(answers[2]["Retry-After"]) <= 60
    assert Complaint.objects.count() == 2
    [key] = list(client.scan_iter(f"{prefix}:*"))
    assert key.decode().endswith("198.51.100.7")
    assert client.zcard(key) == 2  # the two refused requests left no trace
    assert 0 < client.ttl(key) <= 60
    # Another client has its own budget.
    assert _file(APIClient(REMOTE_ADDR="198.51.100.8"), app).status_code == 201


def test_the_window_slides(counts, app):
    api = APIClient(REMOTE_ADDR="198.51.100.9")
    assert [_file(api, app).status_code for _ in range(3)] == [201, 201, 429]
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(seconds=61)
    with time_machine.travel(later, tick=False):
        assert [_file(api, app).status_code for _ in range(3)] == [201, 201, 429]


def test_one_client_per_process(counts):
    assert throttling.redis_counter()[0] is throttling.redis_counter()[0]


def test_a_redis_that_does_not_know_the_script_still_counts(counts, app, monkeypatch):
    # As after a restart of Redis (SCRIPT FLUSH would empty the cache of every user of the
    # server): a hash Redis has no script for.
    client, prefix = counts
    monkeypatch.setattr(throttling.redis_counter()[1], "sha", "0" * 40)
    api = APIClient(REMOTE_ADDR="198.51.100.10")
    assert [_file(api, app).status_code for _ in range(3)] == [201, 201, 429]
    [key] = list(client.scan_iter(f"{prefix}:*"))
    assert client.zcard(key) == 2
