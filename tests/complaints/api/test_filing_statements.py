"""What one filing over the API asks of the database, statement by statement (issue 16,
"Making filing cheap"): a new statement on the request path turns this red.

Run as production runs it: a real transaction (not the test's wrapping one, whose savepoints
would add statements production does not have) and a real broker, so the classification run
is published after commit and the receipt's outbox row written.
"""

import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from complaints.models import Complaint, Event, Evidence, OutboxMessage
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
    table = re.search(r'(?:INTO|FROM|UPDATE) "(complaints_\w+)"', sql)
    return f"{verb} {table[1]}" if table else verb


def _statements(api, body: dict, **headers) -> tuple[list[str], list[str], dict]:
    with CaptureQueriesContext(connection) as queries:
        response = api.post("/api/v1/complaints/", body, format="json", headers=headers)
    assert response.status_code == 201, response.content
    sql = [query["sql"] for query in queries]
    return [_verb(text) for text in sql], sql, response.json()


def test_an_api_filing_runs_these_statements_and_no_more(api, app, real_broker):
    body = {
        "app_name": app.name,
        "description": "不给通讯录权限就闪退，客服电话 138 1234 5678 也打不通。",
        "contact_email": "consumer@example.com",
    }
    statements, sql, answer = _statements(api, body)
    assert statements == [
        "BEGIN",
        # ON CONFLICT DO NOTHING: a taken tracking number or a racing retry leaves the row
        # out instead of failing the transaction, so no savepoint surrounds it.
        "INSERT complaints_complaint",
        # Unchained, its content sealed: no lock, no head (the sealer links it, in beat).
        "INSERT complaints_event",
        # The receipt only (it carries the sealed token): the classification run keeps no row,
        # the complaint row says it waits (services/classification_requests.py).
        "INSERT complaints_outboxmessage",
        "COMMIT",
    ], "\n".join(sql)
    assert "ON CONFLICT DO NOTHING" in sql[1]
    complaint = Complaint.objects.get(tracking_number=answer["tracking_number"])
    assert complaint.description_masked and "138 1234 5678" not in complaint.description_masked
    # The classification run went at once; the receipt waits for the dispatcher (beat).
    assert real_broker.llen("celery") == 1
    assert list(OutboxMessage.objects.values_list("task_name", flat=True)) == [
        "complaints.tasks.send_receipt"
    ]
    assert outbox_dispatch() == 1
    assert real_broker.llen("celery") == 2 and not OutboxMessage.objects.exists()

    # No address, so no receipt; an Idempotency-Key costs no look-up (the insert finds a
    # used key itself), and a run already pending costs no publish.
    body = {"app_name": app.name, "description": "自动续费没有提醒，取消入口也找不到。"}
    statements, sql, answer = _statements(api, body, **{"Idempotency-Key": "statements-1"})
    assert statements == [
        "BEGIN",
        "INSERT complaints_complaint",
        "INSERT complaints_event",
        "COMMIT",
    ], "\n".join(sql)
    assert real_broker.llen("celery") == 2
    # The retry: the insert meets the key, and the complaint is looked up and answered again.
    statements, sql, again = _statements(api, body, **{"Idempotency-Key": "statements-1"})
    assert again["tracking_number"] == answer["tracking_number"]
    assert statements == [
        "BEGIN",
        "INSERT complaints_complaint",
        "SELECT complaints_complaint",
        "COMMIT",
    ], "\n".join(sql)


def test_a_filing_with_a_photo_adds_its_file_row_and_event_and_nothing_else(
    api, app, real_broker, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    photo = io.BytesIO()
    Image.new("RGB", (32, 24), "teal").save(photo, "PNG")
    photo.name = "screenshot.png"
    photo.seek(0)
    with CaptureQueriesContext(connection) as queries:
        response = api.post(
            "/api/v1/complaints/",
            {"app_name": app.name, "description": "截图为证：弹窗关不掉。", "evidence": [photo]},
            format="multipart",
        )
    assert response.status_code == 201, response.content
    sql = [query["sql"] for query in queries]
    assert [_verb(text) for text in sql] == [
        "BEGIN",
        "INSERT complaints_complaint",
        "INSERT complaints_event",
        # A complaint made in this transaction has no files to look up, and a failure fails
        # the whole filing, so no savepoint either.
        "INSERT complaints_evidence",
        "INSERT complaints_event",
        "COMMIT",
    ], "\n".join(sql)
    evidence = Evidence.objects.get()
    assert evidence.complaint.tracking_number == response.json()["tracking_number"]
    assert evidence.created_at is not None and evidence.content_type == "image/png"
    assert (tmp_path / evidence.file.name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert Event.objects.filter(complaint=evidence.complaint, kind=Event.Kind.EVIDENCE).count() == 1
