"""The audit log is hash-chained: `manage.py audit_verify` passes on a log written through the
services (filing, triage, bulk intake, erasure) and sealed, and names the first row that was
changed, removed or reordered behind their back. Runs on SQLite and, with DATABASE_URL,
PostgreSQL. (Sealing itself: test_audit_sealing.py.)"""

import json
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from complaints.models import Complaint, Event
from complaints.services import consumers, triage
from complaints.services.audit import audit_chain_seal
from complaints.services.consumers import TOMBSTONE
from tests.factories import make_complaint

pytestmark = pytest.mark.django_db


def verify() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def verify_fails(*, all_rows: bool = False) -> str:
    """The failure message; with `all_rows`, every break listed (stderr) as well."""
    err = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command(
            "audit_verify", *(["--all"] if all_rows else []), stdout=StringIO(), stderr=err
        )
    return str(failure.value) + "\n" + err.getvalue()


def tamper(sql: str, params=()) -> None:
    """Someone with database rights goes around the application (on PostgreSQL past the
    append-only triggers too, which a superuser can switch off)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


@pytest.fixture
def history(app, alice, rita):
    """Three complaints with a little life: accepted, asked and answered, rejected."""
    first = make_complaint(app=app, submitter=alice)
    triage.complaint_accept(complaint=first, actor=rita, category_codes=["fraud"])
    second = make_complaint(app=app, submitter=alice)
    triage.complaint_request_info(complaint=second, actor=rita, question="Which day?")
    consumers.complaint_info_add(complaint=second, text="1 May, call 13812345678", actor=alice)
    third = make_complaint(app=app)
    triage.complaint_reject(complaint=third, actor=rita, reason="spam")
    audit_chain_seal()
    return first, second, third


def test_each_row_holds_the_previous_rows_hash(history):
    events = list(Event.objects.order_by("chain_seq"))
    assert [e.chain_seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == "0" * 64
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.row_hash
    assert len({e.row_hash for e in events}) == len(events)
    assert "audit chain intact" in verify()


def test_a_changed_status_is_named(history):
    first = history[0]
    event = Event.objects.get(complaint=first, to_status="accepted")
    tamper("UPDATE complaints_event SET to_status = 'rejected' WHERE id = %s", [event.pk])
    message = verify_fails()
    assert f"event {event.pk} " in message and "changed" in message


def test_a_changed_reason_is_named_although_it_is_not_hashed_directly(history):
    answer = Event.objects.get(reason__contains="13812345678")
    tamper("UPDATE complaints_event SET reason = 'all fine' WHERE id = %s", [answer.pk])
    message = verify_fails()
    assert f"event {answer.pk} " in message and "reason was changed" in message


def test_a_changed_actor_is_named(history, rita, bob):
    event = Event.objects.filter(actor=rita).first()
    tamper("UPDATE complaints_event SET actor_id = %s WHERE id = %s", [bob.pk, event.pk])
    assert f"event {event.pk} " in verify_fails()


def test_a_changed_time_is_named(history):
    event = Event.objects.order_by("chain_seq")[2]
    tamper(
        "UPDATE complaints_event SET created_at = %s WHERE id = %s",
        ["2020-01-01T00:00:00+00:00", event.pk],
    )
    assert f"event {event.pk} " in verify_fails()


def test_a_removed_row_is_named_by_the_row_after_it(history):
    events = list(Event.objects.order_by("chain_seq"))
    tamper("DELETE FROM complaints_event WHERE id = %s", [events[3].pk])
    message = verify_fails()
    assert f"event {events[4].pk} " in message and "missing" in message


def test_reordered_rows_are_named(history):
    events = list(Event.objects.order_by("chain_seq"))
    a, b = events[1], events[2]
    # Swap their places (through a free position: the column is unique).
    tamper("UPDATE complaints_event SET chain_seq = -1 WHERE id = %s", [a.pk])
    tamper("UPDATE complaints_event SET chain_seq = %s WHERE id = %s", [a.chain_seq, b.pk])
    tamper("UPDATE complaints_event SET chain_seq = %s WHERE id = %s", [b.chain_seq, a.pk])
    message = verify_fails()
    assert f"event {b.pk} " in message and "out of order" in message


def test_rehashing_one_row_does_not_hide_the_change(history):
    """Recomputing the changed row's own hash breaks the link to the next row."""
    from complaints.models import audit_chain

    events = list(Event.objects.order_by("chain_seq"))
    target = events[2]
    target.to_status = "closed"
    forged = audit_chain.event_hash(target.prev_hash, target)
    tamper(
        "UPDATE complaints_event SET to_status = 'closed', row_hash = %s WHERE id = %s",
        [forged, target.pk],
    )
    message = verify_fails()
    assert f"event {events[3].pk} " in message


def test_erasure_keeps_the_chain_whole(history, alice):
    second = history[1]
    consumers.complaint_erase(complaint=second, actor=alice)
    assert Event.objects.filter(reason=TOMBSTONE).exists()
    assert not Event.objects.filter(reason__contains="13812345678").exists()
    redacted = Event.objects.filter(complaint=second, reason=TOMBSTONE).first()
    # The salt is gone with the text: the digest can no longer be tested against guesses.
    assert redacted.personal_salt == "" and redacted.reason_digest
    assert "audit chain intact" in verify()


def test_redaction_without_a_recorded_erasure_is_named(history):
    answer = Event.objects.get(reason__contains="13812345678")
    Event.objects.filter(pk=answer.pk).redact(reason=TOMBSTONE)
    message = verify_fails()
    assert f"event {answer.pk} " in message and "without an erasure" in message


def test_a_deleted_account_leaves_the_chain_whole(history, alice):
    alice.delete()
    assert "audit chain intact" in verify()


def test_bulk_intake_chains_its_events(tmp_path, app):
    make_complaint(app=app)
    path = tmp_path / "hotline.jsonl"
    rows = [
        {"external_id": f"H-{i}", "app_name": app.name, "description": f"第 {i} 条：弹窗关不掉"}
        for i in range(1, 251)
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    call_command("import_complaints", str(path), "--no-classify", stdout=StringIO())
    assert Complaint.objects.count() == 251
    assert "audit chain intact: 251 events" in verify()


def test_every_broken_row_with_all(history):
    events = list(Event.objects.order_by("chain_seq"))
    tamper("DELETE FROM complaints_event WHERE id = %s", [events[1].pk])
    tamper("UPDATE complaints_event SET public = NOT public WHERE id = %s", [events[4].pk])
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("audit_verify", "--all", stdout=StringIO(), stderr=err)
    assert f"event {events[4].pk} " in err.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_parallel_imports_make_one_chain(tmp_path, app, rita):
    """Filings, decisions and an import with three writers at once: one unbroken chain."""
    complaints = [make_complaint(app=app) for _ in range(6)]
    path = tmp_path / "many.jsonl"
    path.write_text(
        "\n".join(
            json.dumps({"external_id": f"P-{i}", "app_name": app.name, "description": f"第{i}条"})
            for i in range(600)
        ),
        encoding="utf-8",
    )
    barrier = threading.Barrier(3)
    failures = []

    def run(work):
        try:
            barrier.wait()
            work()
        except Exception as error:  # noqa: BLE001 — the test reports it
            failures.append(error)
        finally:
            connection.close()

    def decide():
        for complaint in complaints:
            triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])

    def file():
        for _ in range(6):
            make_complaint(app=app)

    def bulk():
        call_command(
            "import_complaints", str(path), "--no-classify", "--batch-size", "50",
            "--writers", "3", stdout=StringIO(),
        )  # fmt: skip

    threads = [threading.Thread(target=run, args=(w,)) for w in (decide, file, bulk)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert Event.objects.filter(kind="created", complaint__isnull=False).count() == 6 + 6 + 600
    assert Event.objects.filter(to_status="accepted").count() == 6
    assert f"audit chain intact: {Event.objects.count()} events" in verify()


def test_the_orm_refuses_to_delete_events(history):
    with pytest.raises(ValueError, match="append-only"):
        Event.objects.all().delete()
    with pytest.raises(ValueError, match="append-only"):
        Event.objects.first().delete()
    assert "audit chain intact" in verify()


# --- the end of the chain: the sealed head ----------------------------------------------------


def cut_last(count: int) -> list[Event]:
    """Delete the last `count` rows with raw SQL; returns the rows left, in chain order."""
    events = list(Event.objects.order_by("chain_seq"))
    for event in events[-count:]:
        tamper("DELETE FROM complaints_event WHERE id = %s", [event.pk])
    return events[:-count]


def head_row():
    with connection.cursor() as cursor:
        cursor.execute("SELECT length, last_hash, broken_at, seal FROM complaints_auditchainhead")
        return cursor.fetchone()


def test_rows_cut_off_the_end_are_reported(history):
    total = Event.objects.count()
    cut_last(3)
    message = verify_fails()
    assert f"the chain's end (position {total - 3})" in message
    assert f"3 row(s) cut off the end: the head records {total}" in message


def test_an_append_after_a_cut_does_not_hide_it(history, app):
    total = Event.objects.count()
    cut_last(2)
    make_complaint(app=app)  # the log goes on: it chains from the head, not from the cut end
    audit_chain_seal()
    newest = Event.objects.order_by("-chain_seq").first()
    assert newest.chain_seq == total + 1
    message = verify_fails()
    assert f"event {newest.pk} " in message and "missing" in message


def test_a_head_rewritten_to_match_the_cut_is_refused_by_its_seal(history):
    left = cut_last(2)
    tamper(
        "UPDATE complaints_auditchainhead SET length = %s, last_hash = %s",
        [left[-1].chain_seq, left[-1].row_hash],
    )
    assert "does not match its seal" in verify_fails()


def test_a_head_deleted_with_the_cut_is_reported_and_stays_reported(history, app):
    cut_last(2)
    tamper("DELETE FROM complaints_auditchainhead")
    assert "the head record is missing" in verify_fails()
    make_complaint(app=app)  # the next append notices, and marks the head for good
    audit_chain_seal()
    assert head_row()[2] is not None
    make_complaint(app=app)
    assert "an append found the head record missing" in verify_fails()


def test_a_head_sealed_with_another_key_is_reported(history, settings):
    settings.AUDIT_CHAIN_KEY = "another-key"
    assert "sealed with another AUDIT_CHAIN_KEY" in verify_fails()


def test_a_logged_checkpoint_catches_a_cut_with_an_older_head_put_back(
    history, app, settings, caplog, django_capture_on_commit_callbacks
):
    """Whoever keeps an old head can put it back after cutting to it; the head logged later
    (a copy outside the database) still names a row that is gone."""
    old_head = head_row()
    settings.AUDIT_CHECKPOINT_EVERY = 2
    with (
        caplog.at_level("INFO", logger="complaints.audit"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        make_complaint(app=app)
        make_complaint(app=app)
        audit_chain_seal()
    logged = [r.getMessage() for r in caplog.records if "audit chain checkpoint" in r.message]
    assert logged, "a checkpoint every 2 positions"
    point = logged[-1].rsplit(" ", 1)[1]
    assert "audit chain intact" in verify_checkpoint(point)
    cut_last(Event.objects.count() - old_head[0])
    tamper(
        "UPDATE complaints_auditchainhead SET length = %s, last_hash = %s, broken_at = %s, "
        "seal = %s",
        list(old_head),
    )
    assert "audit chain intact" in verify()  # the chain alone cannot tell
    with pytest.raises(CommandError, match=f"checkpoint {point.split(':')[0]}: .* is gone"):
        verify_checkpoint(point)


def verify_checkpoint(point: str) -> str:
    out = StringIO()
    call_command("audit_verify", "--checkpoint", point, stdout=out)
    return out.getvalue()


def test_a_complaint_with_history_cannot_be_deleted(history):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        history[0].delete()
    assert "audit chain intact" in verify()


def test_rows_written_beyond_the_head_do_not_stop_the_log_and_are_reported(history, app):
    """A row inserted around the audit log (a benchmark's fixture, or a forger) past the head:
    the next append chains after it rather than failing on its position, and says so."""
    last = Event.objects.order_by("-chain_seq").first()
    tamper(
        "INSERT INTO complaints_event (kind, actor_role, from_status, to_status, reason, "
        "message, data, public, created_at, chain_seq, prev_hash, row_hash, personal_salt, "
        "reason_digest, actor_digest) VALUES ('note', 'system', '', '', '', '{}', '{}', "
        "%s, %s, %s, %s, %s, '', '', '')",
        [True, "2026-01-01T00:00:00+00:00", last.chain_seq + 1, last.row_hash, "f" * 64],
    )
    complaint = make_complaint(app=app)
    audit_chain_seal()
    assert Event.objects.get(complaint=complaint).chain_seq == last.chain_seq + 2
    assert f"at position {last.chain_seq + 1} an append found" in verify_fails(all_rows=True)


def test_a_new_key_seals_the_head_again_only_over_a_whole_chain(history, settings):
    settings.AUDIT_CHAIN_KEY = "rotated-key"
    assert "sealed with another AUDIT_CHAIN_KEY" in verify_fails()
    out = StringIO()
    call_command("audit_verify", "--reseal", stdout=out)
    assert "audit chain head sealed again" in out.getvalue()
    assert "audit chain intact" in out.getvalue()
    assert Event.objects.filter(message__id="audit_chain_resealed").exists()


def test_a_new_key_does_not_launder_a_cut(history, settings):
    cut_last(2)
    settings.AUDIT_CHAIN_KEY = "rotated-key"
    with pytest.raises(CommandError, match="只有完整且链头由其他密钥封存的审计链才能重新封存"):
        call_command("audit_verify", "--reseal", stdout=StringIO())  # in the site's language
    settings.AUDIT_CHAIN_KEY = "test-audit-chain-key"
    assert "cut off the end" in verify_fails()
