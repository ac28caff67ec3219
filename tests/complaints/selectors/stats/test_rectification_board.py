"""The public status of a case, derived from its current state: one case walked through its
life, and what the public reads at each step (written out by hand)."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from complaints.models import Case
from complaints.selectors.stats import board, public_cases
from complaints.services import cases as case_services
from complaints.services import triage
from tests.factories import make_complaint

K = Case.Status
TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
DEADLINE = datetime.date(2026, 3, 9)  # the fraud category's 5 working days from MONDAY


def at(day: int) -> datetime.datetime:
    return MONDAY + datetime.timedelta(days=day)


def public_status(case: Case, today: datetime.date) -> str:
    return public_cases(today=today).get(pk=case.pk).public_status


@pytest.fixture
def case(app, rita):
    case = case_services.case_open(app=app, categories=["fraud"], actor=rita, at=MONDAY)
    case_services.notice_issue(case=case, actor=rita, problems="Fake refunds.", at=MONDAY)
    assert case.deadline_date == DEADLINE
    return case


def test_a_notice_runs_until_its_deadline_then_reads_overdue(case):
    assert public_status(case, DEADLINE) == "under_rectification"
    # The day after: overdue on the board before the nightly sweep marks the case.
    assert case.status == K.NOTICE_ISSUED
    assert public_status(case, DEADLINE + datetime.timedelta(days=1)) == "overdue"


def test_a_report_awaits_verification_even_past_the_deadline(case, olivia):
    case_services.rectification_report_submit(case=case, actor=olivia, text="Fixed.", at=at(3))
    assert public_status(case, DEADLINE) == "awaiting_verification"
    assert public_status(case, DEADLINE + datetime.timedelta(days=30)) == "awaiting_verification"


def test_not_rectified_with_a_new_notice_runs_to_the_new_deadline(case, rita, olivia):
    case_services.rectification_report_submit(case=case, actor=olivia, text="Fixed.", at=at(3))
    case_services.rectification_verify(
        case=case,
        actor=rita,
        rectified=False,
        notes="Still there.",
        new_deadline_date=datetime.date(2026, 3, 20),
        at=at(14),
    )
    row = public_cases(today=datetime.date(2026, 3, 16)).get(pk=case.pk)
    assert (row.public_status, row.deadline_date) == (
        "under_rectification",
        datetime.date(2026, 3, 20),
    )


def test_not_rectified_and_escalated(case, rita, olivia):
    case_services.rectification_report_submit(case=case, actor=olivia, text="Fixed.", at=at(3))
    case_services.rectification_verify(
        case=case, actor=rita, rectified=False, notes="No.", escalate_measure="public_notice"
    )
    assert public_status(case, DEADLINE + datetime.timedelta(days=30)) == "escalated"


def test_a_case_left_not_rectified_reads_not_rectified(case, olivia):
    # Cases verified before a new deadline or an escalation were required stay this way.
    case_services.rectification_report_submit(case=case, actor=olivia, text="Fixed.", at=at(3))
    Case.objects.filter(pk=case.pk).update(status=K.NOT_RECTIFIED)
    assert public_status(case, DEADLINE + datetime.timedelta(days=30)) == "not_rectified"
    assert [c.reference for c in board(status="not_rectified")] == [case.reference]


def test_rectified_reopened_by_a_recurrence_then_closed_without_a_fix(
    case, app, rita, olivia, settings
):
    settings.RECURRENCE_WINDOW_DAYS = 90
    case_services.rectification_report_submit(case=case, actor=olivia, text="Fixed.", at=at(3))
    case_services.rectification_verify(case=case, actor=rita, rectified=True, notes="OK", at=at(4))
    assert public_status(case, DEADLINE) == "rectified"
    case_services.case_close(case=case, actor=rita, reason="Done.", at=at(5))
    assert public_status(case, DEADLINE) == "rectified"
    triage.complaint_accept(
        complaint=make_complaint(app=app), actor=rita, category_codes=["fraud"], at=at(20)
    )
    case.refresh_from_db()
    assert case.status == K.OPEN
    assert public_status(case, at(21).date()) == "reopened"
    case_services.notice_issue(case=case, actor=rita, problems="Back again.", at=at(22))
    case_services.case_close(case=case, actor=rita, reason="Company dissolved.", at=at(23))
    # The fix verified earlier does not cover the later notice.
    assert public_status(case, at(24).date()) == "closed"
