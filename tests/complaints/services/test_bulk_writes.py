"""The batch writers store what the ORM would: objects_insert's rows read back as
bulk_create's (JSON, text with quotes and backslashes, times to the microsecond, floats), with
the events' content seals holding; objects_update's changes read back as bulk_update's."""

import datetime

import pytest

from classifier.models import ModelVersion
from complaints.models import Classification, Complaint, Event, audit_chain
from complaints.services.bulk_writes import objects_insert, objects_update
from tests.factories import make_complaint

pytestmark = pytest.mark.django_db

AT = datetime.datetime(2026, 3, 2, 9, 30, 15, 123457, tzinfo=datetime.UTC)
AWKWARD = 'a "quoted" \\ back\\slash, {braces}, NULL, 逗号，换行\n\t和 emoji 😀'


def _events(complaint: Complaint) -> list[Event]:
    return [
        Event(
            actor_role="system",
            kind=Event.Kind.TRANSITION,
            complaint=complaint,
            from_status="submitted",
            to_status="classified",
            message={"id": "classified", "params": {"labels": ["fraud"], "confidence": 0.1 + 0.2}},
            data={"text": AWKWARD, "nested": [{"k": '\\"'}, None, 1 / 3], "empty": {}},
            public=False,
            created_at=AT,
        ),
        Event(
            actor_role="system",
            kind=Event.Kind.LABELS,
            complaint=complaint,
            data={"from": [], "to": ["other"]},
            public=True,
            created_at=AT + datetime.timedelta(microseconds=1),
        ),
    ]


def _columns(rows, *leave_out: str) -> list[dict]:
    """Every column of these rows but their ids and `leave_out`."""
    return [
        {
            field.attname: getattr(row, field.attname)
            for field in type(row)._meta.concrete_fields
            if field.attname not in {"id", *leave_out}
        }
        for row in rows
    ]


def test_events_inserted_at_once_read_back_as_bulk_create_stores_them(app):
    complaint = make_complaint(app=app)
    ours, django_s = _events(complaint), _events(complaint)
    assert objects_insert(ours) == ours
    Event.objects.bulk_create(django_s)
    assert all(event.pk for event in ours)
    read = Event.objects.in_bulk([e.pk for e in ours + django_s])
    mine, theirs = [read[e.pk] for e in ours], [read[e.pk] for e in django_s]
    assert _columns(mine) == _columns(theirs)
    assert mine[0].data["text"] == AWKWARD and mine[0].created_at == AT
    # Written unchained with a content seal that holds, as every event is.
    for event in mine:
        assert event.chain_seq is None and audit_chain.content_seal_holds(event)


def test_verdicts_inserted_at_once_read_back_as_bulk_create_stores_them(app):
    version = ModelVersion.objects.create(version="test-bulk-writes")
    first, second = make_complaint(app=app), make_complaint(app=app)

    def verdict(complaint: Complaint) -> Classification:
        return Classification(
            complaint=complaint,
            model_version=version,
            labels=["fraud", "other"],
            probabilities={"fraud": 0.1 + 0.2, "other": 1 / 3, "price_discrimination": 1e-12},
            confidence=2 / 3,
            explanation={"fraud": [{"term": AWKWARD, "weight": 0.1277}]},
            language="zh",
        )

    ours, theirs = verdict(first), verdict(second)
    objects_insert([ours])
    Classification.objects.bulk_create([theirs])
    mine, django_s = (Classification.objects.get(pk=c.pk) for c in (ours, theirs))
    # Their own complaints, and created_at is each insert's now.
    assert _columns([mine], "complaint_id", "created_at") == _columns(
        [django_s], "complaint_id", "created_at"
    )
    assert mine.confidence == 2 / 3 and mine.probabilities["fraud"] == 0.1 + 0.2
    assert mine.created_at is not None


def test_an_object_with_an_id_is_refused(app):
    event = _events(make_complaint(app=app))[0]
    event.pk = 12345
    with pytest.raises(ValueError, match="already has an id"):
        objects_insert([event])
    assert not Event.objects.filter(pk=12345).exists()


def test_changes_written_at_once_read_back_as_bulk_update_stores_them(app):
    ours = [make_complaint(app=app) for _ in range(2)]
    theirs = [make_complaint(app=app) for _ in range(2)]
    fields = ["classified_at", "classification_started_at", "confidence", "label_source"]
    for complaint in ours + theirs:
        complaint.classified_at = AT
        complaint.classification_started_at = None
        complaint.confidence = 1 / 3
        complaint.label_source = Complaint.LabelSource.MODEL
    assert objects_update(ours, fields) == 2
    Complaint.objects.bulk_update(theirs, fields)
    read = Complaint.objects.in_bulk([c.pk for c in ours + theirs])
    values = [[getattr(read[c.pk], name) for name in fields] for c in ours + theirs]
    assert values == [[AT, None, 1 / 3, "model"]] * 4
