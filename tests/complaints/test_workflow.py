"""The lifecycles: every allowed move works through the services and writes its event; a sample
of forbidden moves is refused with a clear error and leaves no trace."""

import pytest

from complaints import workflow
from complaints.errors import TransitionNotAllowed
from complaints.models import Case, CaseCategory, Complaint, Event
from complaints.services.events import case_move, complaint_move
from tests.factories import AppFactory, category, make_complaint

ALL_COMPLAINT_MOVES = [
    (src, dst) for src, targets in workflow.COMPLAINT_TRANSITIONS.items() for dst in sorted(targets)
]
ALL_CASE_MOVES = [
    (src, dst) for src, targets in workflow.CASE_TRANSITIONS.items() for dst in sorted(targets)
]


def _case(app, status):
    case = Case.objects.create(reference=f"RC-T-{Case.objects.count() + 1}", app=app, status=status)
    CaseCategory.objects.create(
        case=case, category=category("fraud"), app=app, is_open=status != Case.Status.CLOSED
    )
    return case


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), ALL_COMPLAINT_MOVES)
def test_every_allowed_complaint_move_writes_one_event(src, dst, rita):
    complaint = make_complaint()
    Complaint.objects.filter(pk=complaint.pk).update(status=src)
    complaint.refresh_from_db()
    before = Event.objects.filter(complaint=complaint).count()

    complaint_move(complaint=complaint, to_status=dst, actor=rita, reason="test")

    complaint.refresh_from_db()
    assert complaint.status == dst
    event = Event.objects.filter(complaint=complaint).latest("id")
    assert Event.objects.filter(complaint=complaint).count() == before + 1
    assert (event.from_status, event.to_status, event.actor, event.actor_role, event.reason) == (
        src,
        dst,
        rita,
        "regulator",
        "test",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), ALL_CASE_MOVES)
def test_every_allowed_case_move_writes_one_event(src, dst, rita):
    case = _case(AppFactory(), src)

    case_move(case=case, to_status=dst, actor=rita, reason="test")

    case.refresh_from_db()
    assert case.status == dst
    event = Event.objects.filter(case=case).latest("id")
    assert (event.from_status, event.to_status, event.actor) == (src, dst, rita)
    # The open flag that backs the one-open-case constraint follows the status.
    assert CaseCategory.objects.get(case=case).is_open is (dst != Case.Status.CLOSED)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("src", "dst"),
    [
        ("submitted", "closed"),
        ("submitted", "linked"),
        ("closed", "accepted"),
        ("withdrawn", "submitted"),
        ("rejected", "accepted"),
        ("answered", "linked"),
    ],
)
def test_forbidden_complaint_moves_are_refused_without_trace(src, dst, rita):
    complaint = make_complaint()
    Complaint.objects.filter(pk=complaint.pk).update(status=src)
    complaint.refresh_from_db()
    events = Event.objects.count()

    with pytest.raises(TransitionNotAllowed) as excinfo:
        complaint_move(complaint=complaint, to_status=dst, actor=rita)

    assert complaint.get_status_display() in excinfo.value.message or src in excinfo.value.message
    complaint.refresh_from_db()
    assert complaint.status == src
    assert Event.objects.count() == events


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("src", "dst"),
    [
        ("open", "rectified"),
        ("closed", "rectified"),
        ("rectified", "overdue"),
        ("response_received", "closed"),
        ("open", "escalated"),
    ],
)
def test_forbidden_case_moves_are_refused(src, dst, rita):
    case = _case(AppFactory(), src)
    with pytest.raises(TransitionNotAllowed):
        case_move(case=case, to_status=dst, actor=rita)
    case.refresh_from_db()
    assert case.status == src
    assert not Event.objects.filter(case=case).exists()


def test_error_message_is_translated(settings):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(TransitionNotAllowed) as excinfo:
        workflow.check_complaint_move("closed", "accepted")
    assert "投诉" in excinfo.value.message
    with translation.override("en"), pytest.raises(TransitionNotAllowed) as excinfo:
        workflow.check_complaint_move("closed", "accepted")
    assert excinfo.value.message.startswith("A complaint cannot go")


def test_every_status_has_a_row_in_the_table():
    assert set(workflow.COMPLAINT_TRANSITIONS) == set(Complaint.Status)
    assert set(workflow.CASE_TRANSITIONS) == set(Case.Status)
    for targets in workflow.COMPLAINT_TRANSITIONS.values():
        assert targets <= set(Complaint.Status)
