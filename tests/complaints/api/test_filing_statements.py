"""What one filing over the API asks of the database, statement by statement (issue 16,
"Making filing cheap"): a new statement on the request path turns this red.

Run as production runs it: a real transaction (not the test's wrapping one, whose savepoints
would add statements production does not have) and a real broker, so the classification run
is published after commit and the receipt's outbox row written.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.models import Complaint, OutboxMessage
from complaints.services.enqueue import outbox_dispatch

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _verb(sql: str) -> str:
    words = sql.split()
    verb = words[0].upper()
    if verb == "SELECT" and "pg_advisory_xact_lock" in sql:
        return "LOCK audit chain"
    table = next((w.strip('"') for w in words if w.strip('"').startswith("complaints_")), "")
    return f"{verb} {table}".strip()


def test_an_api_filing_runs_these_statements_and_no_more(api, app, real_broker):
    body = {
        "app_name": app.name,
        "description": "不给通讯录权限就闪退，客服电话 138 1234 5678 也打不通。",
        "contact_email": "consumer@example.com",
    }
    with CaptureQueriesContext(connection) as queries:
        response = api.post("/api/v1/complaints/", body, format="json")
    assert response.status_code == 201, response.content
    statements = [_verb(query["sql"]) for query in queries]
    assert statements == [
        "BEGIN",
        "SAVEPOINT",  # the insert may meet a taken tracking number or a racing retry
        "INSERT complaints_complaint",
        "RELEASE",
        # Unchained, its content sealed: no lock, no head (the sealer links it, in beat).
        "INSERT complaints_event",
        # The receipt only (it carries the sealed token): the classification run keeps no row,
        # the complaint row says it waits (services/classification_requests.py).
        "INSERT complaints_outboxmessage",
        "COMMIT",
    ], "\n".join(query["sql"] for query in queries)
    complaint = Complaint.objects.get(tracking_number=response.json()["tracking_number"])
    assert complaint.description_masked and "138 1234 5678" not in complaint.description_masked
    # The classification run went at once; the receipt waits for the dispatcher (beat).
    assert real_broker.llen("celery") == 1
    assert list(OutboxMessage.objects.values_list("task_name", flat=True)) == [
        "complaints.tasks.send_receipt"
    ]
    assert outbox_dispatch() == 1
    assert real_broker.llen("celery") == 2 and not OutboxMessage.objects.exists()
