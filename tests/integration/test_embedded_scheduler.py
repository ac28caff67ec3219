"""`make run` serves the whole product: with no broker configured, `bin/serve` starts the
periodic jobs beside the web server. A notice whose deadline has passed turns its case overdue
by itself, with nobody calling a command, and the web pages answer meanwhile.

bin/serve is started as `make run` starts it (two web workers), on this test's PostgreSQL
database, with the overdue check every second instead of every ten minutes.
"""

import datetime
import os
import subprocess
import time
import urllib.request

import pytest
from django.conf import settings
from django.utils import timezone

from complaints.calendar import add_working_days
from complaints.models import Case, Category, Event
from complaints.services import cases
from tests.integration.test_celery_worker import _database_url
from tests.integration.test_shared_throttle import _free_port

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.real_clock,  # the served processes keep real time
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
WAIT_SECONDS = 90


def _status(port: int, path: str) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status
    except OSError:
        return None


def test_a_passed_deadline_turns_the_case_overdue_under_the_embedded_default(tmp_path, app, rita):
    category = Category.objects.get(code="over_permission")
    case = cases.case_open(app=app, categories=[category], actor=rita)
    cases.notice_issue(
        case=case,
        actor=rita,
        problems="Asks for the contact list before the app can be used.",
        deadline_date=add_working_days(timezone.localdate(), 20),  # a working day, as required
    )
    # The deadline has since passed (written directly: no service backdates a notice).
    Case.objects.filter(pk=case.pk).update(
        deadline_date=timezone.localdate() - datetime.timedelta(days=2)
    )
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"CELERY_BROKER_URL", "CACHE_URL"}},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "APPWATCH_VAR_DIR": str(tmp_path / "var"),
        "PORT": str(port),
        "OVERDUE_CHECK_SECONDS": "1",
        "VENV": str(settings.BASE_DIR / ".venv"),
    }
    serve = subprocess.Popen(
        [str(settings.BASE_DIR / "bin" / "serve")],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        page, status = None, None
        while time.monotonic() < deadline and serve.poll() is None:
            page = page or _status(port, "/")
            case.refresh_from_db()
            status = case.status
            if status == Case.Status.OVERDUE and page:
                break
            time.sleep(0.5)
    finally:
        serve.terminate()
        output = serve.communicate(timeout=60)[0]
    assert page == 200, output[-3000:]
    assert status == Case.Status.OVERDUE, output[-3000:]
    moves = Event.objects.filter(case=case, to_status=Case.Status.OVERDUE)
    assert moves.count() == 1
    assert moves.get().actor is None  # the platform did it, not a person
    # Stopping the server stopped the scheduler too.
    assert serve.returncode is not None
    leftover = subprocess.run(
        ["pgrep", "-f", str(tmp_path / "var" / "celerybeat-schedule")], capture_output=True
    )
    assert leftover.returncode == 1, leftover.stdout
