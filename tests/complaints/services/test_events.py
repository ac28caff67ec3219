"""The event log is append-only: the ORM and (on PostgreSQL) the database refuse UPDATE; the
erasure of personal data rewrites events through Event.objects.redact() alone."""

import pytest
from django.db import DatabaseError, connection, transaction

from complaints.models import Event
from complaints.services import consumers, triage
from complaints.services.consumers import TOMBSTONE
from tests.factories import make_complaint

pytestmark = pytest.mark.django_db


def _consumer_answer(complaint, alice, rita):
    """A consumer's own words in the timeline: what erasure must redact."""
    triage.complaint_request_info(complaint=complaint, actor=rita, question="Which day?")
    consumers.complaint_info_add(
        complaint=complaint, text="On 1 May, call 13812345678", actor=alice
    )
    return Event.objects.get(complaint=complaint, actor=alice, reason__contains="13812345678")


def test_orm_update_of_events_is_refused(app):
    complaint = make_complaint(app=app)
    event = Event.objects.filter(complaint=complaint).first()
    with pytest.raises(ValueError, match="append-only"):
        Event.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(ValueError, match="append-only"):
        Event.objects.update(reason="rewritten")
    event.reason = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        Event.objects.bulk_update([event], ["reason"])
    assert Event.objects.get(pk=event.pk).reason != "rewritten"


def test_saving_an_existing_event_is_refused(app):
    event = Event.objects.filter(complaint=make_complaint(app=app)).first()
    event.reason = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.save(update_fields=["reason"])
    assert Event.objects.get(pk=event.pk).reason != "rewritten"


def test_redaction_rewrites_only_personal_data(app, alice, rita):
    complaint = make_complaint(app=app, submitter=alice)
    answer = _consumer_answer(complaint, alice, rita)
    assert Event.objects.filter(pk=answer.pk).redact(reason=TOMBSTONE, actor=None) == 1
    answer_after = Event.objects.get(pk=answer.pk)
    assert (answer_after.reason, answer_after.actor) == (TOMBSTONE, None)
    assert (answer_after.kind, answer_after.created_at) == (answer.kind, answer.created_at)
    with pytest.raises(ValueError, match="can be redacted"):
        Event.objects.filter(pk=answer.pk).redact(to_status="closed")
    with pytest.raises(ValueError, match="can be redacted"):
        Event.objects.filter(pk=answer.pk).redact()


def test_erasure_redacts_the_consumers_events(app, alice, rita):
    complaint = make_complaint(app=app, submitter=alice)
    answer = _consumer_answer(complaint, alice, rita)
    consumers.complaint_erase(complaint=complaint, actor=alice)
    answer.refresh_from_db()
    assert (answer.reason, answer.actor) == (TOMBSTONE, None)
    assert not Event.objects.filter(complaint=complaint, actor=alice).exists()
    assert Event.objects.filter(complaint=complaint, kind=Event.Kind.ERASURE).count() == 1


def _raw_update(event_id: int, reason: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE complaints_event SET reason = %s WHERE id = %s", [reason, event_id])


@pytest.mark.postgres
def test_postgres_refuses_a_raw_update_of_events(app):
    event = Event.objects.filter(complaint=make_complaint(app=app)).first()
    with pytest.raises(DatabaseError, match="append-only"):
        _raw_update(event.pk, "rewritten")
    assert Event.objects.get(pk=event.pk).reason != "rewritten"


@pytest.mark.postgres
def test_postgres_lets_erasure_redact_and_closes_the_door_behind_it(app, alice, rita):
    complaint = make_complaint(app=app, submitter=alice)
    answer = _consumer_answer(complaint, alice, rita)
    with transaction.atomic():
        consumers.complaint_erase(complaint=complaint, actor=alice)
        # Later in the same transaction, UPDATE is refused again.
        with pytest.raises(DatabaseError, match="append-only"):
            _raw_update(answer.pk, "rewritten")
    answer.refresh_from_db()
    assert (answer.reason, answer.actor) == (TOMBSTONE, None)


@pytest.mark.postgres
def test_postgres_lets_a_deleted_account_leave_its_events_without_actor(app, alice, rita):
    complaint = make_complaint(app=app, submitter=alice)
    answer = _consumer_answer(complaint, alice, rita)
    alice.delete()
    answer.refresh_from_db()
    assert answer.actor is None and answer.reason == "On 1 May, call 13812345678"


def _raw(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.postgres
def test_postgres_refuses_a_raw_delete_of_events(app):
    complaint = make_complaint(app=app)
    event = Event.objects.filter(complaint=complaint).first()
    with pytest.raises(DatabaseError, match="append-only: DELETE"):
        _raw("DELETE FROM complaints_event WHERE id = %s", [event.pk])
    # Not during erasure either: redaction rewrites in place, it never deletes.
    with pytest.raises(DatabaseError, match="append-only: DELETE"), transaction.atomic():
        Event.objects.filter(pk=event.pk).redact(actor=None)
        _raw("DELETE FROM complaints_event WHERE id = %s", [event.pk])
    assert Event.objects.filter(pk=event.pk).exists()


@pytest.mark.postgres
# Committed rows: PostgreSQL refuses any TRUNCATE of a table with constraint checks pending.
# (serialized_rollback, as every transactional test here: the seed data comes back after.)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgres_refuses_truncate_unless_the_session_allows_it(app):
    make_complaint(app=app)
    with transaction.atomic(), connection.cursor() as cursor:
        # The test settings allow it on their connections (pytest-django's flush); a session
        # that has not said so is refused.
        cursor.execute("SET LOCAL appwatch.allow_truncate = off")
        with pytest.raises(DatabaseError, match="append-only: TRUNCATE"):
            cursor.execute("TRUNCATE complaints_event CASCADE")
    assert Event.objects.exists()


def test_a_complaint_or_case_with_history_is_protected_from_deletion(app, rita):
    from django.db.models import ProtectedError

    from complaints.services import cases

    complaint = make_complaint(app=app)
    case = cases.case_open(app=app, categories=["fraud"], actor=rita)
    with pytest.raises(ProtectedError):
        complaint.delete()
    with pytest.raises(ProtectedError):
        case.delete()
    assert Event.objects.filter(complaint=complaint).exists()
    assert Event.objects.filter(case=case).exists()


def test_retention_erases_a_rejected_complaint_without_deleting_an_event(app, alice, rita):
    """Erasure (and so retention) works through digests and redaction: every row stays."""
    from complaints.selectors.audit import audit_chain_breaks

    complaint = make_complaint(app=app, submitter=alice)
    _consumer_answer(complaint, alice, rita)
    triage.complaint_reject(complaint=complaint, actor=rita, reason="spam")
    before = Event.objects.count()
    consumers.complaint_erase(complaint=complaint, actor=None, actor_role="system")
    assert Event.objects.count() == before + 1  # the erasure event, nothing removed
    assert list(audit_chain_breaks()) == []
