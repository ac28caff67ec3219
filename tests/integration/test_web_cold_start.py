"""A web process starts light and files without loading the classifier: the first filing on
a fresh gunicorn worker must not wait for scikit-learn or the model (issue 16, cold start).
How fast is benchmarks/filing_cost.py's question; this checks what gets imported.

A fresh interpreter loads the WSGI application as gunicorn does and files one complaint over
the API against the test database, with the test's Redis as its broker, as in production: the
request publishes the classification run (by name) and leaves the receipt to the dispatcher.
"""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from complaints.models import Complaint, OutboxMessage

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HEAVY = ("sklearn", "scipy", "skops", "rjieba", "classifier.serving", "complaints.tasks")
SCRIPT = f"""
import json, sys
import config.wsgi
at_start = sorted(m for m in {HEAVY!r} if m in sys.modules)
views_loaded = "complaints.api.complaints" in sys.modules and "complaints.views.intake" in sys.modules
from django.test import Client
response = Client().post(
    "/api/v1/complaints/",
    {{"app_name": "冷启动测试", "description": "不给通讯录权限就闪退。", "contact_email": "a@example.com"}},
    content_type="application/json",
)
after = sorted(m for m in {HEAVY!r} if m in sys.modules)
print(json.dumps({{"status": response.status_code, "at_start": at_start, "after": after, "views_loaded": views_loaded}}))
print(response.json()["access_token"])
"""


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def test_a_fresh_web_process_files_without_importing_the_classifier(tmp_path, real_broker):
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"CACHE_URL"}},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "APPWATCH_VAR_DIR": str(tmp_path / "var"),
        # The suite's keys, so this process reads what that one sealed and stored.
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "CONTACT_INDEX_KEY": settings.CONTACT_INDEX_KEY,
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    *_, line, token = result.stdout.strip().splitlines()
    answer = json.loads(line)
    # The views were loaded with the application (config/wsgi.py), not on the first request;
    # the classifier neither then nor on the filing.
    assert answer == {"status": 201, "at_start": [], "after": [], "views_loaded": True}, (
        result.stderr[-3000:]
    )
    complaint = Complaint.objects.get(app_name="冷启动测试")
    assert complaint.contact_email == "a@example.com"
    # The classification run went to Redis; the receipt waits in the outbox for the dispatcher.
    assert complaint.status == Complaint.Status.SUBMITTED
    assert real_broker.llen("celery") == 1
    assert list(OutboxMessage.objects.values_list("task_name", flat=True)) == [
        "complaints.tasks.send_receipt"
    ]
    # The receipt's status link needs the token, which is kept only as a hash: it waits
    # sealed, never readable.
    waiting = json.dumps(list(OutboxMessage.objects.values_list("args", flat=True)))
    assert str(complaint.pk) in waiting and token not in waiting
