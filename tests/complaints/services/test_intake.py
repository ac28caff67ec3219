"""complaint_submit: stored first, masked, idempotent, evidence in the same transaction, and
never lost when the broker is down."""

import datetime
import io
import logging
import threading
import time
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from PIL import Image

from complaints.errors import Conflict, DomainError
from complaints.models import Complaint, Event, Evidence, OutboxMessage
from complaints.selectors.consumers import complaint_by_token
from complaints.services import intake
from complaints.services.classification_requests import complaints_wait_unasked
from complaints.services.evidence import evidence_clean
from complaints.services.intake import access_token_hash, complaint_submit
from tests.factories import category
from tests.threads import in_thread

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def png(size=(20, 20)):
    out = io.BytesIO()
    Image.new("RGB", size, "blue").save(out, "PNG")
    data = out.getvalue()
    return evidence_clean(name="s.png", stream=io.BytesIO(data), size=len(data))


def test_submit_stores_masks_and_records_the_event(app, alice):
    complaint, token = complaint_submit(
        description="客服让我把验证码发到 13812345678，卡号 4111111111111111 被扣了钱",
        app=app,
        submitter=alice,
        contact_phone="138 1234 5678",
        contact_email="Alice@Example.COM",
        amount=Decimal("99.00"),
        category_hint=category("fraud"),
    )
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.SUBMITTED
    assert complaint.app_name == "快送外卖"
    assert "13812345678" in complaint.description
    assert (
        complaint.description_masked
        == "客服让我把验证码发到 138****5678，卡号 4111********1111 被扣了钱"
    )
    assert complaint.contact_phone == "+8613812345678"
    assert complaint.contact_email == "Alice@example.com"
    assert (
        complaint.access_token_hash == access_token_hash(token)
        and token not in complaint.access_token_hash
    )
    assert complaint.decision_due_date > complaint.submitted_at.date()
    event = Event.objects.get(complaint=complaint)
    assert (event.kind, event.to_status, event.actor, event.actor_role) == (
        "created",
        "submitted",
        alice,
        "consumer",
    )


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"description": "  "}, "description", "Describe what happened."),
        ({"app": None, "app_name": ""}, "app_name", "Name the app, or choose it from the list."),
        (
            {"contact_phone": "12345"},
            "contact_phone",
            "Enter a valid phone number, for example 138 1234 5678.",
        ),
        ({"contact_email": "not-an-email"}, "contact_email", "Enter a valid email address."),
        ({"amount": Decimal("-1")}, "amount", "The amount cannot be negative."),
        (
            {"occurred_date": datetime.date(2099, 1, 1)},
            "occurred_date",
            "This date is in the future.",
        ),
        (
            {"occurred_date": datetime.date(1990, 5, 1)},
            "occurred_date",
            "This date is more than 10 years ago.",
        ),
    ],
)
def test_submit_rejects_bad_input(app, kwargs, field, message):
    values = {"description": "闪退", "app": app, **kwargs}
    with pytest.raises(DomainError) as caught:
        complaint_submit(**values)
    assert (caught.value.field, caught.value.message) == (field, message)
    assert not Complaint.objects.exists()


def test_the_day_it_happened_may_be_up_to_ten_years_before_filing(app):
    today = timezone.localdate()
    ten_years = today.replace(year=today.year - 10, day=min(today.day, 28))
    for day in (today, ten_years):
        complaint, _token = complaint_submit(description="闪退", app=app, occurred_date=day)
        assert complaint.occurred_date == day
    with pytest.raises(DomainError):
        complaint_submit(
            description="闪退", app=app, occurred_date=ten_years - datetime.timedelta(days=1)
        )


def test_a_backdated_filing_is_judged_on_its_own_day(app):
    filed = timezone.now() - datetime.timedelta(days=400)
    complaint, _token = complaint_submit(
        description="闪退", app=app, submitted_at=filed, occurred_date=filed.date()
    )
    assert complaint.occurred_date == filed.date()
    with pytest.raises(DomainError):
        complaint_submit(
            description="闪退",
            app=app,
            submitted_at=filed,
            occurred_date=(filed + datetime.timedelta(days=2)).date(),
        )


def test_a_new_app_is_kept_by_name(db):
    complaint, _token = complaint_submit(
        description="乱扣费", app_name=" 新的应用 ", app_version="2.1", app_store="华为应用市场"
    )
    assert (complaint.app, complaint.app_name, complaint.app_version) == (None, "新的应用", "2.1")


def test_same_idempotency_key_and_body_give_the_same_complaint(app):
    first, token1 = complaint_submit(description="闪退", app=app, idempotency_key="k-1")
    second, token2 = complaint_submit(description="闪退", app=app, idempotency_key="k-1")
    assert first.pk == second.pk and token1 == token2
    assert complaint_by_token(tracking_number=first.tracking_number, token=token2) == first
    assert Complaint.objects.count() == 1


def test_same_idempotency_key_with_another_body_is_a_conflict(app):
    complaint_submit(description="闪退", app=app, idempotency_key="k-2")
    with pytest.raises(
        Conflict, match="This Idempotency-Key was already used for a different complaint."
    ):
        complaint_submit(description="别的内容", app=app, idempotency_key="k-2")
    assert Complaint.objects.count() == 1


def test_different_keys_give_different_tokens(app):
    _a, token_a = complaint_submit(description="闪退", app=app, idempotency_key="k-a")
    _b, token_b = complaint_submit(description="闪退", app=app, idempotency_key="k-b")
    assert token_a != token_b


def test_a_taken_tracking_number_is_drawn_again(app, monkeypatch):
    """The unique constraint decides: the insert that meets a taken number writes nothing and
    a new number is drawn, with no savepoint to roll back."""
    taken = complaint_submit(description="闪退", app=app)[0]
    draws = iter([taken.tracking_number, "AW-261118-FRESH1"])
    monkeypatch.setattr(intake, "tracking_number_new", lambda now=None: next(draws))
    complaint, _token = complaint_submit(description="又闪退了", app=app)
    assert complaint.tracking_number == "AW-261118-FRESH1"
    assert Complaint.objects.get(pk=complaint.pk).description == "又闪退了"
    assert Complaint.objects.get(pk=taken.pk).description == "闪退"
    assert Event.objects.filter(complaint=complaint).count() == 1


def test_when_every_draw_is_taken_nothing_is_stored(app, monkeypatch):
    taken = complaint_submit(description="闪退", app=app)[0]
    monkeypatch.setattr(intake, "tracking_number_new", lambda now=None: taken.tracking_number)
    with pytest.raises(IntegrityError, match="after 5 tracking numbers"):
        complaint_submit(description="又闪退了", app=app)
    assert list(Complaint.objects.all()) == [taken]
    assert Event.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_retry_racing_the_first_request_gets_its_complaint_and_token(app):
    """The retry (same key and body) inserts while the first request's transaction is still
    open: its insert waits for the first, meets the key once that commits, and answers as the
    retry it is. Nothing is stored twice."""
    first_inserted, release = threading.Event(), threading.Event()
    answers, failures = {}, []

    def first():
        with transaction.atomic():
            answers["first"] = complaint_submit(description="闪退", app=app, idempotency_key="r-1")
            first_inserted.set()
            release.wait(30)

    def retry():
        first_inserted.wait(30)
        answers["retry"] = complaint_submit(description="闪退", app=app, idempotency_key="r-1")

    threads = [in_thread(first, failures), in_thread(retry, failures)]
    assert first_inserted.wait(30), failures
    for _ in range(300):  # until the retry's insert waits on the first's uncommitted key
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                break
        time.sleep(0.05)
    else:
        pytest.fail(f"the retry never waited on the first request: {failures}")
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    (complaint, token), (again, token_again) = answers["first"], answers["retry"]
    assert (again.pk, token_again) == (complaint.pk, token)
    assert Complaint.objects.count() == 1
    assert Event.objects.filter(complaint=complaint).count() == 1


def test_evidence_is_stored_with_the_complaint(app, alice):
    complaint, _token = complaint_submit(
        description="截图为证", app=app, submitter=alice, evidence=[png()]
    )
    assert Evidence.objects.get(complaint=complaint).content_type == "image/png"
    assert list(Event.objects.filter(complaint=complaint).values_list("kind", flat=True)) == [
        "created",
        "evidence",
    ]


def test_too_many_files_store_nothing(app):
    files = [png((10 + i, 10)) for i in range(6)]
    with pytest.raises(DomainError, match="at most 5 files"):
        complaint_submit(description="截图", app=app, evidence=files)
    assert not Complaint.objects.exists()


def test_classification_runs_after_commit(app, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        complaint, _token = complaint_submit(description="闪退", app=app)
    assert len(callbacks) == 1  # nothing ran inside the transaction


def test_rolled_back_submission_enqueues_nothing(app, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        complaint_submit(description="闪退", app=app)
        raise RuntimeError
    assert callbacks == []
    assert not Complaint.objects.exists()


@pytest.mark.breaks_broker
def test_a_broker_outage_loses_nothing(
    app, caplog, dead_broker, django_capture_on_commit_callbacks
):
    """A real publish to a Redis nobody listens on: the complaint stands, waiting, and beat's
    dispatcher sends its classification once Redis answers (test_classification_requests.py);
    it needs no outbox row for that."""
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        complaint, token = complaint_submit(description="闪退", app=app)
    assert Complaint.objects.get(pk=complaint.pk).status == Complaint.Status.SUBMITTED
    assert complaints_wait_unasked()
    assert not OutboxMessage.objects.exists()
    assert "Broker unavailable; complaints.tasks.classify_waiting waits for the dispatcher" in (
        caplog.text
    )


# --- receipts the outbox dispatcher sends together ----------------------------------------------


def _receipts_waiting(app, addresses: list[str]) -> list[Complaint]:
    """Filed complaints whose receipts wait in the outbox for the dispatcher, as with workers."""
    from complaints import encryption
    from complaints.services.enqueue import outbox_add

    filed = []
    for address in addresses:
        complaint, token = complaint_submit(
            description="这个应用反复索要通讯录权限", app=app, contact_email=address,
            send_receipt=False, classify=False,
        )  # fmt: skip
        outbox_add("complaints.tasks.send_receipt", [complaint.pk, encryption.encrypt(token)])
        filed.append(complaint)
    return filed


@pytest.mark.parametrize("count", [2, 7])
def test_waiting_receipts_go_out_together_with_one_query_for_all(app, mailoutbox, count):
    from django.test.utils import CaptureQueriesContext

    from complaints.services.enqueue import outbox_dispatch

    filed = _receipts_waiting(app, [f"consumer{i}@example.com" for i in range(count)])
    with CaptureQueriesContext(connection) as queries:
        assert outbox_dispatch() == count  # tasks run in-process in the suite
    reads = [q["sql"] for q in queries if 'FROM "complaints_complaint"' in q["sql"]]
    assert len(reads) == 1, reads
    assert sorted((m.to[0], m.subject) for m in mailoutbox) == sorted(
        (f"consumer{i}@example.com", f"我们已收到您的投诉 {c.tracking_number}")
        for i, c in enumerate(filed)
    )
    assert not OutboxMessage.objects.exists()


def test_a_receipt_that_fails_costs_no_other(app, mailoutbox, caplog):
    from complaints.services.intake import complaint_receipts_send

    first, second = _receipts_waiting(app, ["mei@example.com", "lei@example.com"])
    sealed = list(OutboxMessage.objects.order_by("pk").values_list("args", flat=True))
    sealed[0][1] = "not a sealed token"
    assert complaint_receipts_send(receipts=[tuple(args) for args in sealed]) == 1
    (mail,) = mailoutbox
    assert mail.to == ["lei@example.com"] and second.tracking_number in mail.subject
    assert f"Receipt for complaint {first.tracking_number} not sent" in caplog.text
