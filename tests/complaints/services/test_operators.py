"""Operator answers, consumer confirmation and dispute, and closing unanswered answers."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from complaints.errors import DomainError, PermissionDenied, TransitionNotAllowed
from complaints.models import Complaint, Event, OperatorResponse
from complaints.services import operators, triage
from tests.factories import make_complaint

# Deadlines, clocks and day counts: run at each of the dates in tests/clock.py.
pytestmark = [pytest.mark.usefixtures("english"), pytest.mark.every_date]

S = Complaint.Status
TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=TZ)


@pytest.fixture
def accepted(app, rita):
    complaint = make_complaint(app=app, contact_email="alice@example.com")
    triage.complaint_accept(
        complaint=complaint, actor=rita, category_codes=["unauthorized_charges"], at=MONDAY
    )
    return complaint


def test_answer_reaches_the_consumer(
    accepted, olivia, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = operators.complaint_answer(
            complaint=accepted, actor=olivia, text="We refunded 30 yuan.", closure_code="refunded"
        )
    accepted.refresh_from_db()
    assert accepted.status == S.ANSWERED
    assert (response.kind, response.company, response.closure_code) == (
        OperatorResponse.Kind.COMPLAINT_REPLY,
        accepted.app.operator,
        "refunded",
    )
    event = accepted.events.get(to_status=S.ANSWERED)
    assert event.actor == olivia and event.actor_role == "operator" and event.public
    mail = [m for m in mailoutbox if m.to == ["alice@example.com"]]
    assert len(mail) == 1 and "We refunded 30 yuan." in mail[0].body


def test_answer_backdated(accepted, olivia):
    at = MONDAY + datetime.timedelta(days=2)
    response = operators.complaint_answer(
        complaint=accepted, actor=olivia, text="x", closure_code="fixed", at=at
    )
    response.refresh_from_db()
    assert response.created_at == at
    assert accepted.events.get(to_status=S.ANSWERED).created_at == at


def test_other_operator_cannot_answer(accepted, oscar, rita):
    for actor in (oscar, rita):
        with pytest.raises(
            PermissionDenied, match="Only the app's operator can answer this complaint."
        ):
            operators.complaint_answer(
                complaint=accepted, actor=actor, text="x", closure_code="fixed"
            )


def test_answer_input_is_checked(accepted, olivia):
    with pytest.raises(DomainError, match="Write your answer to the consumer."):
        operators.complaint_answer(complaint=accepted, actor=olivia, text="", closure_code="fixed")
    with pytest.raises(DomainError, match="Choose a closure code.") as error:
        operators.complaint_answer(complaint=accepted, actor=olivia, text="x", closure_code="shrug")
    assert error.value.field == "closure_code"
    assert not OperatorResponse.objects.exists()


def test_answer_before_acceptance_is_refused(app, olivia):
    complaint = make_complaint(app=app)
    with pytest.raises(TransitionNotAllowed):
        operators.complaint_answer(
            complaint=complaint, actor=olivia, text="x", closure_code="fixed"
        )
    assert not OperatorResponse.objects.exists()


def test_not_our_app_goes_back_to_the_regulator(
    accepted, olivia, rita, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        operators.complaint_answer(
            complaint=accepted,
            actor=olivia,
            text="That is a clone of our app.",
            closure_code="not_our_app",
        )
    accepted.refresh_from_db()
    assert accepted.status == S.NEEDS_REVIEW
    assert accepted.decision_due_date > datetime.date.today()
    assert accepted.events.get(kind=Event.Kind.ALERT).data["alert"] == "not_our_app"
    assert any("rita@example.com" in m.to for m in mailoutbox)


def test_consumer_confirms(accepted, olivia):
    operators.complaint_answer(complaint=accepted, actor=olivia, text="x", closure_code="fixed")
    operators.complaint_confirm(complaint=accepted, rating=4)
    accepted.refresh_from_db()
    assert (accepted.status, accepted.rating) == (S.CLOSED, 4)
    assert accepted.closed_at is not None
    assert accepted.events.get(to_status=S.CLOSED).actor_role == "consumer"


def test_confirm_rating_range(accepted, olivia):
    operators.complaint_answer(complaint=accepted, actor=olivia, text="x", closure_code="fixed")
    with pytest.raises(DomainError, match="Rate from 1 to 5."):
        operators.complaint_confirm(complaint=accepted, rating=9)


def test_confirm_without_an_answer_is_refused(accepted):
    with pytest.raises(TransitionNotAllowed, match="There is no answer to confirm."):
        operators.complaint_confirm(complaint=accepted)


def test_consumer_disputes(accepted, olivia, rita, mailoutbox, django_capture_on_commit_callbacks):
    operators.complaint_answer(complaint=accepted, actor=olivia, text="x", closure_code="explained")
    with django_capture_on_commit_callbacks(execute=True):
        operators.complaint_dispute(complaint=accepted, reason="They still charge me monthly.")
    accepted.refresh_from_db()
    assert accepted.status == S.DISPUTED
    assert accepted.events.get(to_status=S.DISPUTED).reason == "They still charge me monthly."
    assert accepted.events.get(kind=Event.Kind.ALERT).data["alert"] == "dispute"
    assert any("rita@example.com" in m.to for m in mailoutbox)
    # The regulator sends it back to the operator, who answers again.
    triage.complaint_accept(complaint=accepted, actor=rita)
    operators.complaint_answer(
        complaint=accepted, actor=olivia, text="Cancelled it.", closure_code="fixed"
    )
    assert accepted.status == S.ANSWERED


def test_dispute_needs_a_reason(accepted, olivia):
    operators.complaint_answer(complaint=accepted, actor=olivia, text="x", closure_code="fixed")
    with pytest.raises(DomainError, match="Say why the answer does not resolve your complaint."):
        operators.complaint_dispute(complaint=accepted, reason="")


def test_auto_close_after_the_reply_period(accepted, olivia, settings):
    settings.CONSUMER_REPLY_DAYS = 15
    operators.complaint_answer(
        complaint=accepted, actor=olivia, text="x", closure_code="fixed", at=MONDAY
    )
    assert operators.complaints_auto_close(now=MONDAY + datetime.timedelta(days=14)) == []
    closed = operators.complaints_auto_close(now=MONDAY + datetime.timedelta(days=16))
    assert [c.pk for c in closed] == [accepted.pk]
    accepted.refresh_from_db()
    assert accepted.status == S.CLOSED
    event = accepted.events.get(to_status=S.CLOSED)
    assert event.actor_role == "system" and event.data == {"auto_closed": True}
    assert operators.complaints_auto_close(now=MONDAY + datetime.timedelta(days=17)) == []


def test_auto_close_leaves_disputed_alone(accepted, olivia):
    operators.complaint_answer(
        complaint=accepted, actor=olivia, text="x", closure_code="fixed", at=MONDAY
    )
    operators.complaint_dispute(complaint=accepted, reason="no")
    assert operators.complaints_auto_close(now=MONDAY + datetime.timedelta(days=60)) == []


def test_a_dispute_sent_back_restarts_the_operator_clock(accepted, olivia, rita, settings):
    settings.OPERATOR_RESPONSE_DAYS = 15
    operators.complaint_answer(complaint=accepted, actor=olivia, text="x", closure_code="fixed")
    operators.complaint_dispute(complaint=accepted, reason="no")
    later = MONDAY + datetime.timedelta(days=40)
    triage.complaint_accept(complaint=accepted, actor=rita, at=later)
    accepted.refresh_from_db()
    assert accepted.operator_due_date == datetime.date(2026, 4, 26)
