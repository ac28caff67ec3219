"""row_insert writes a new row as save() would (every field prepared by the field, the model's
before_write first), with the statement made once; with skip_conflict a row a unique
constraint refuses is left out instead of failing the transaction."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from complaints.models import Complaint, Event, audit_chain
from complaints.services.row_insert import row_insert

pytestmark = pytest.mark.django_db

AT = datetime.datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=datetime.UTC)


def _complaint(app, **fields) -> Complaint:
    values = {
        "tracking_number": "AW-260302-ROW001",
        "access_token_hash": "a" * 64,
        "app": app,
        "app_name": app.name,
        "description": "每次打开都要通讯录权限。",
        "description_masked": None,
        "occurred_date": datetime.date(2026, 2, 27),
        "amount": Decimal("68.50"),
        "details": {"steps_tried": ["卸载重装"], "refused_without": "yes"},
        "channel": Complaint.Channel.API,
        "contact_name": "张三",
        "contact_phone": "+8613812345678",
        "contact_email": "Zhang.San@Example.com",
        "submitted_at": AT,
        "decision_due_date": datetime.date(2026, 3, 13),
    }
    return Complaint(**(values | fields))


def test_a_row_inserted_reads_back_as_the_same_complaint_save_would_store(app):
    inserted, saved = _complaint(app), _complaint(app, tracking_number="AW-260302-ROW002")
    assert row_insert(inserted) is True
    saved.save()
    assert inserted.pk and not inserted._state.adding
    fields = [
        f.attname
        for f in Complaint._meta.concrete_fields
        if f.attname not in {"id", "tracking_number", "updated_at"}
    ]
    read_back = {
        pk: {name: getattr(row, name) for name in fields}
        for pk, row in Complaint.objects.in_bulk([inserted.pk, saved.pk]).items()
    }
    assert read_back[inserted.pk] == read_back[saved.pk]
    row = Complaint.objects.get(pk=inserted.pk)
    # Encrypted at rest and read back clear; the blind index written by before_write.
    assert row.contact_email == "Zhang.San@Example.com" and row.contact_phone == "+8613812345678"
    assert row.contact_email_index and row.contact_email_index == saved.contact_email_index
    assert (row.amount, row.details, row.submitted_at) == (
        Decimal("68.50"),
        {"steps_tried": ["卸载重装"], "refused_without": "yes"},
        AT,
    )
    # auto_now, as save() sets it.
    assert timezone.now() - row.updated_at < datetime.timedelta(minutes=1)


def test_an_event_is_written_unchained_with_its_content_sealed(app):
    complaint = _complaint(app)
    row_insert(complaint)
    event = Event(
        kind=Event.Kind.CREATED,
        complaint=complaint,
        actor_role="consumer",
        to_status="submitted",
        data={"channel": "api"},
        created_at=AT,
    )
    assert row_insert(event) is True
    stored = Event.objects.get(pk=event.pk)
    assert stored.chain_seq is None and stored.row_hash is None
    assert stored.content_seal and audit_chain.content_seal_holds(stored)


def test_a_unique_constraint_refusal_raises_unless_skipped(app):
    row_insert(_complaint(app))
    taken = _complaint(app, description="另一件事")
    assert row_insert(taken, skip_conflict=True) is False
    assert taken.pk is None
    with pytest.raises(IntegrityError), transaction.atomic():
        row_insert(taken)
    assert Complaint.objects.count() == 1


def test_a_check_constraint_still_raises_with_skip_conflict(app):
    with pytest.raises(IntegrityError), transaction.atomic():
        row_insert(_complaint(app, amount=Decimal("-1")), skip_conflict=True)


def test_only_new_rows(app):
    complaint = _complaint(app)
    row_insert(complaint)
    with pytest.raises(ValueError, match="new rows only"):
        row_insert(complaint)


def test_values_a_field_converts_still_go_through_the_field(app):
    # A str, a bool or None is stored as it is; anything else is the field's to convert.
    complaint = _complaint(app, app_version=gettext_lazy("应用版本"), consent_publish=True)
    row_insert(complaint)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT app_version, consent_publish, contact_email, amount, description_masked"
            " FROM complaints_complaint WHERE id = %s",
            [complaint.pk],
        )
        app_version, consent_publish, contact_email, amount, masked = cursor.fetchone()
    assert (app_version, consent_publish, amount, masked) == (
        "应用版本",
        True,
        Decimal("68.50"),
        None,
    )
    # Encrypted at rest: the str given to an EncryptedTextField is not what is stored.
    assert contact_email and "Zhang.San" not in contact_email


def _prepared_inserts() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            ['INSERT INTO "complaints_complaint"%'],
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.postgres
def test_on_postgresql_the_insert_is_prepared_once_per_connection_with_its_values_bound(app):
    first = _complaint(app)
    row_insert(first)
    second = _complaint(app, tracking_number="AW-260302-ROW002", contact_name="O'Brien \\ 李")
    row_insert(second)
    (statement,) = _prepared_inserts()
    assert "$1" in statement and "张三" not in statement
    assert Complaint.objects.get(pk=second.pk).contact_name == "O'Brien \\ 李"
    assert Complaint.objects.filter(pk__in=[first.pk, second.pk]).count() == 2


@pytest.mark.postgres
def test_without_prepared_statements_the_insert_still_binds_on_the_server(app, monkeypatch):
    """DB_PREPARED_STATEMENTS=false: a pooler in transaction mode keeps no prepared statement."""
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # psycopg forgets its names with them
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    complaint = _complaint(app)
    row_insert(complaint)
    assert _prepared_inserts() == []
    assert Complaint.objects.get(pk=complaint.pk).app_name == app.name
