"""The API filing figures' windows each begin with nothing waiting for classification: the
baseline views store complaints that wait but send the worker nothing, and the settle between
windows has them classified, so no later window's worker pays for them."""

import celery
import pytest

from benchmarks.http_load import json_post
from config.celery import app as project_app
from tests.benchmarks.conftest import send_each

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.real_clock]


def _waiting(served) -> int:
    return served.sql("SELECT count(*) FROM complaints_complaint WHERE status = 'submitted'")[0][0]


def _store_through_the_baseline_view(served, count: int) -> None:
    [(_, app_name)] = served.app_names(limit=1)
    send = json_post("/bench/orm/", lambda i: {"app_name": app_name, "description": f"扣费 {i}"})
    send_each(served, send, count)


def test_settle_has_the_baseline_rows_classified_and_waits_until_they_are(platform):
    before = _waiting(platform)
    _store_through_the_baseline_view(platform, 25)
    assert _waiting(platform) == before + 25  # the view asks the worker for nothing

    platform.classification_settle(timeout=120)

    assert _waiting(platform) == 0
    # It sent its run without taking the project's Celery app's place in this process.
    assert celery.current_app._get_current_object() is project_app
    unclassified = platform.sql(
        "SELECT count(*) FROM complaints_complaint WHERE classified_at IS NULL"
        " AND status NOT IN ('submitted')"
    )[0][0]
    classified = platform.sql(
        "SELECT count(*) FROM complaints_complaint WHERE classified_at IS NOT NULL"
    )[0][0]
    assert classified >= 25 and unclassified == 0


def test_settle_does_not_return_while_complaints_still_wait(platform):
    platform.pause_worker()
    try:
        _store_through_the_baseline_view(platform, 3)
        with pytest.raises(RuntimeError, match="still wait"):
            platform.classification_settle(timeout=1.5)
        assert _waiting(platform) >= 3
    finally:
        platform.resume_worker()
    platform.classification_settle(timeout=120)
    assert _waiting(platform) == 0
