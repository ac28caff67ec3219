"""Events are written unchained and linked into the hash chain by the sealer (audit_chain,
"Sealing"): the chain it builds verifies, a row changed before or after sealing is named, the
PostgreSQL trigger lets through only the sealer's one change, concurrent filings all end up in
the chain once, and a sealer killed mid-batch leaves nothing half-linked."""

import datetime
import json
import threading
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, OperationalError, connection, connections, transaction

from complaints.models import Event
from complaints.selectors.audit import audit_chain_breaks
from complaints.services import consumers, triage
from complaints.services.audit import audit_chain_seal
from complaints.services.consumers import TOMBSTONE
from tests.factories import make_complaint
from tests.threads import in_thread

pytestmark = pytest.mark.django_db


def verify(*args: str) -> str:
    out = StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue()


def verify_fails(*args: str) -> str:
    err = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify", "--all", *args, stdout=StringIO(), stderr=err)
    return str(failure.value) + "\n" + err.getvalue()


def tamper(sql: str, params=()) -> None:
    """Someone with database rights, past the append-only triggers (a superuser's switch)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


def chain_positions() -> list[int]:
    return list(Event.objects.exclude(chain_seq=None).order_by("chain_seq").values_list(
        "chain_seq", flat=True
    ))  # fmt: skip


def test_a_filing_writes_its_event_unchained_and_the_sealer_links_it_in_order(app, alice, rita):
    first = make_complaint(app=app, submitter=alice)
    triage.complaint_accept(complaint=first, actor=rita, category_codes=["fraud"])
    make_complaint(app=app)
    events = list(Event.objects.order_by("pk"))
    assert len(events) == 4  # filed, labelled, accepted; filed
    for event in events:
        assert (event.chain_seq, event.prev_hash, event.row_hash) == (None, None, None)
        assert len(event.content_seal) == 64
    assert audit_chain_seal() == 4
    linked = list(Event.objects.order_by("pk"))
    assert [e.chain_seq for e in linked] == [1, 2, 3, 4]
    assert linked[0].prev_hash == "0" * 64
    assert [e.prev_hash for e in linked[1:]] == [e.row_hash for e in linked[:3]]
    assert audit_chain_seal() == 0  # nothing left, nothing linked twice
    assert verify("--no-seal") == "audit chain intact: 4 events\n"


def test_audit_verify_seals_the_waiting_rows_first(app):
    make_complaint(app=app)
    make_complaint(app=app)
    assert verify("--no-seal") == "audit chain intact: 0 events, 2 waiting to be sealed\n"
    assert verify() == "sealed 2 events that were waiting\naudit chain intact: 2 events\n"


def test_a_row_changed_before_it_was_sealed_is_left_out_and_named(app):
    make_complaint(app=app)
    changed = Event.objects.get(complaint=make_complaint(app=app))
    make_complaint(app=app)
    tamper("UPDATE complaints_event SET to_status = 'accepted' WHERE id = %s", [changed.pk])
    assert audit_chain_seal() == 2  # the other two
    changed.refresh_from_db()
    assert changed.chain_seq is None
    message = verify_fails()
    assert f"event {changed.pk} (chain position None): changed after it was written" in message
    # It stays out, and stays named, however often the sealer runs.
    assert audit_chain_seal() == 0
    assert f"event {changed.pk} " in verify_fails()


def test_a_row_changed_after_it_was_sealed_is_named(app):
    make_complaint(app=app)
    event = Event.objects.get(complaint=make_complaint(app=app))
    audit_chain_seal()
    tamper("UPDATE complaints_event SET to_status = 'accepted' WHERE id = %s", [event.pk])
    message = verify_fails()
    assert f"event {event.pk} (chain position 2): changed after it was written" in message


def test_a_content_seal_forged_or_wiped_before_sealing_is_named(app):
    forged = Event.objects.get(complaint=make_complaint(app=app))
    wiped = Event.objects.get(complaint=make_complaint(app=app))
    tamper(
        "UPDATE complaints_event SET to_status = 'closed', content_seal = %s WHERE id = %s",
        ["0" * 64, forged.pk],
    )
    tamper("UPDATE complaints_event SET to_status = 'closed', content_seal = '' WHERE id = %s",
           [wiped.pk])  # fmt: skip
    assert audit_chain_seal() == 0
    message = verify_fails()
    assert f"event {forged.pk} (chain position None): changed after it was written" in message
    assert f"event {wiped.pk} (chain position None): not in the chain" in message


def test_a_row_left_unsealed_beyond_the_bound_is_a_finding(app, settings):
    """A sealer that is not running shows: rows waiting longer than the bound are named."""
    settings.AUDIT_SEALING_BOUND_SECONDS = 60
    event = Event.objects.get(complaint=make_complaint(app=app))
    soon = event.created_at + datetime.timedelta(seconds=59)
    late = event.created_at + datetime.timedelta(seconds=61)
    assert list(audit_chain_breaks(now=soon)) == []
    [finding] = list(audit_chain_breaks(now=late))
    assert (
        str(finding)
        == f"event {event.pk} (chain position None): not sealed 60 s after it was written"
    )
    audit_chain_seal()
    assert list(audit_chain_breaks(now=late)) == []


def test_erasure_of_rows_not_sealed_yet_keeps_the_chain_whole(app, alice, rita):
    complaint = make_complaint(app=app, submitter=alice)
    triage.complaint_request_info(complaint=complaint, actor=rita, question="Which day?")
    consumers.complaint_info_add(complaint=complaint, text="1 May, call 13812345678", actor=alice)
    consumers.complaint_erase(complaint=complaint, actor=alice)  # before any sealing
    assert not Event.objects.filter(reason__contains="13812345678").exists()
    assert audit_chain_seal() == Event.objects.count()
    assert "audit chain intact" in verify()
    # And on rows already sealed: a second complaint erased after its rows were linked.
    other = make_complaint(app=app, submitter=alice)
    triage.complaint_request_info(complaint=other, actor=rita, question="Which app?")
    consumers.complaint_info_add(complaint=other, text="call 13900001111", actor=alice)
    audit_chain_seal()
    consumers.complaint_erase(complaint=other, actor=alice)
    assert Event.objects.filter(complaint=other, reason=TOMBSTONE).exists()
    assert "audit chain intact" in verify()


def test_a_sealed_account_deletion_and_rows_around_it_verify(app, alice):
    make_complaint(app=app, submitter=alice)
    audit_chain_seal()
    make_complaint(app=app, submitter=alice)  # waiting when the account goes
    alice.delete()
    assert "audit chain intact: 2 events" in verify()


# --- PostgreSQL: the trigger, concurrency, a crash --------------------------------------------


def _raw(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.postgres
def test_the_trigger_lets_the_chain_fields_be_set_once_and_nothing_else(app):
    event = Event.objects.get(complaint=make_complaint(app=app))
    set_chain = "UPDATE complaints_event SET chain_seq = %s, prev_hash = %s, row_hash = %s"
    refused = pytest.raises(DatabaseError, match="append-only: UPDATE")
    with refused:  # another column along with the chain fields
        _raw(set_chain + ", to_status = 'closed' WHERE id = %s", [1, "a" * 64, "b" * 64, event.pk])
    with refused:  # the content seal along with them
        _raw(set_chain + ", content_seal = '' WHERE id = %s", [1, "a" * 64, "b" * 64, event.pk])
    with refused:  # part of the chain fields only
        _raw("UPDATE complaints_event SET chain_seq = 1 WHERE id = %s", [event.pk])
    with refused:  # no other column on its own either
        _raw("UPDATE complaints_event SET public = false WHERE id = %s", [event.pk])
    _raw(set_chain + " WHERE id = %s", [1, "a" * 64, "b" * 64, event.pk])  # the sealer's move
    with refused:  # once: a sealed row's chain fields stay
        _raw(set_chain + " WHERE id = %s", [2, "c" * 64, "d" * 64, event.pk])
    with refused:
        _raw("UPDATE complaints_event SET chain_seq = NULL, prev_hash = NULL, row_hash = NULL "
             "WHERE id = %s", [event.pk])  # fmt: skip
    event.refresh_from_db()
    assert (event.chain_seq, event.prev_hash, event.row_hash) == (1, "a" * 64, "b" * 64)


@pytest.mark.postgres
def test_redaction_may_rewrite_personal_fields_only(app, alice):
    event = Event.objects.get(complaint=make_complaint(app=app, submitter=alice))
    with pytest.raises(DatabaseError, match="append-only: UPDATE"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('appwatch.redaction', 'on', true)")
        _raw("UPDATE complaints_event SET to_status = 'closed' WHERE id = %s", [event.pk])
    assert Event.objects.filter(pk=event.pk).redact(reason=TOMBSTONE, actor=None) == 1


def _event_updates_sent(work) -> int:
    """How many UPDATE statements on the events table `work` sends to the database (an
    executemany counts one per row: the server receives each)."""
    sent = 0

    def count(execute, sql, params, many, context):
        nonlocal sent
        if sql.startswith("UPDATE") and "complaints_event" in sql:
            sent += len(params) if many else 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        work()
    return sent


@pytest.mark.postgres
def test_the_sealer_links_a_batch_in_one_statement_whatever_its_size(app):
    make_complaint(app=app)
    assert _event_updates_sent(audit_chain_seal) == 1
    for _ in range(12):
        make_complaint(app=app)
    assert _event_updates_sent(audit_chain_seal) == 1
    for _ in range(5):
        make_complaint(app=app)
    assert _event_updates_sent(lambda: audit_chain_seal(batch_size=2)) == 3  # 2 + 2 + 1
    assert chain_positions() == list(range(1, 19))
    assert verify("--no-seal") == "audit chain intact: 18 events\n"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_filings_are_all_sealed_once_with_no_gap(app, tmp_path):
    """Four filers, an import chaining its rows itself and two sealers at once: every row
    ends up in the chain exactly once, positions 1..n."""
    path = tmp_path / "hotline.jsonl"
    path.write_text("\n".join(
        json.dumps({"external_id": f"S-{i}", "app_name": app.name, "description": f"第{i}条"})
        for i in range(300)
    ), encoding="utf-8")  # fmt: skip
    done = threading.Event()
    failures: list = []

    def file():
        for _ in range(15):
            make_complaint(app=app)

    def seal():
        while not done.is_set():
            audit_chain_seal(batch_size=7)
            time.sleep(0.005)

    def bulk():
        call_command("import_complaints", str(path), "--no-classify", "--batch-size", "40",
                     stdout=StringIO())  # fmt: skip

    sealers = [in_thread(seal, failures) for _ in range(2)]
    writers = [in_thread(work, failures) for work in (file, file, file, file, bulk)]
    for thread in writers:
        thread.join(timeout=120)
    done.set()
    for thread in sealers:
        thread.join(timeout=60)
    assert failures == []
    audit_chain_seal()
    total = Event.objects.count()
    assert total == 4 * 15 + 300
    assert chain_positions() == list(range(1, total + 1))
    assert not Event.objects.filter(chain_seq=None).exists()
    assert f"audit chain intact: {total} events" in verify()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_sealer_killed_mid_batch_leaves_nothing_half_linked(app):
    """The sealer's session is terminated while its batch is half written (it waits on a row
    another session holds): the batch rolls back whole and the next run links everything."""
    for _ in range(6):
        make_complaint(app=app)
    ids = list(Event.objects.order_by("pk").values_list("pk", flat=True))
    holder = connections.create_connection("default")
    holder.set_autocommit(False)
    with holder.cursor() as cursor:  # the fourth row, locked by someone else
        cursor.execute("SELECT id FROM complaints_event WHERE id = %s FOR UPDATE", [ids[3]])
    sealer_pid: list[int] = []
    failures: list = []

    def seal():
        connection.ensure_connection()
        sealer_pid.append(connection.connection.info.backend_pid)
        audit_chain_seal(batch_size=100)

    thread = in_thread(seal, failures)
    with connection.cursor() as cursor:
        for _ in range(200):  # until the sealer waits on the locked row, mid-UPDATE
            cursor.execute(
                "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'",
                [sealer_pid[0] if sealer_pid else 0],
            )
            if cursor.fetchone():
                break
            time.sleep(0.05)
        else:
            pytest.fail("the sealer never reached the locked row")
        cursor.execute("SELECT pg_terminate_backend(%s)", [sealer_pid[0]])
    thread.join(timeout=30)
    holder.rollback()
    holder.close()
    assert len(failures) == 1 and isinstance(failures[0], OperationalError)
    assert not Event.objects.exclude(chain_seq=None).exists()  # the first three rolled back too
    assert audit_chain_seal() == 6
    assert chain_positions() == [1, 2, 3, 4, 5, 6]
    assert "audit chain intact: 6 events" in verify()


def test_beat_runs_the_sealer_every_second_on_the_maintenance_queue(settings, app):
    from complaints.tasks import seal_audit_chain

    entry = settings.CELERY_BEAT_SCHEDULE["seal-audit-chain"]
    assert (entry["task"], entry["schedule"]) == ("complaints.tasks.seal_audit_chain", 1.0)
    assert settings.CELERY_TASK_ROUTES[entry["task"]] == {"queue": "maintenance"}
    make_complaint(app=app)
    make_complaint(app=app)
    assert seal_audit_chain.delay().get() == 2  # eager in the suite, as under `make run`
    assert chain_positions() == [1, 2]
