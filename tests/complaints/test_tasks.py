"""The beat tasks of the rectification loop, run as Celery runs them (eagerly in tests)."""

import datetime

import pytest
from django.utils import timezone

from complaints import tasks
from complaints.calendar import add_working_days
from complaints.models import Case, Complaint
from complaints.services import cases as case_services
from complaints.services import operators, triage
from tests.factories import make_complaint

# Deadlines, clocks and day counts: run at each of the dates in tests/clock.py.
pytestmark = pytest.mark.every_date


def test_mark_overdue_cases_task(app, rita):
    case = case_services.case_open(app=app, categories=["fraud"], actor=rita)
    case_services.notice_issue(
        case=case, actor=rita, problems="x", at=timezone.now() - datetime.timedelta(days=30)
    )
    assert tasks.mark_overdue_cases.delay().get() == 1
    case.refresh_from_db()
    assert case.status == Case.Status.OVERDUE
    assert tasks.mark_overdue_cases.delay().get() == 0  # safe to run twice


def test_send_deadline_reminders_task(
    app, rita, olivia, mailoutbox, django_capture_on_commit_callbacks
):
    case = case_services.case_open(app=app, categories=["fraud"], actor=rita)
    case_services.notice_issue(
        case=case,
        actor=rita,
        problems="x",
        deadline_date=add_working_days(timezone.localdate(), 1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_deadline_reminders.delay().get() == 1
    assert tasks.send_deadline_reminders.delay().get() == 0
    # The company's contact address and each operator account, one message each.
    expected = sorted([app.operator.contact_email, "olivia@example.com"])
    assert sorted(m.to[0] for m in mailoutbox if "提醒" in m.subject) == expected


def test_auto_close_answered_task(app, rita, olivia, settings):
    settings.CONSUMER_REPLY_DAYS = 15
    complaint = make_complaint(app=app)
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])
    operators.complaint_answer(
        complaint=complaint,
        actor=olivia,
        text="x",
        closure_code="fixed",
        at=timezone.now() - datetime.timedelta(days=16),
    )
    assert tasks.auto_close_answered.delay().get() == 1
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.CLOSED


def test_send_notification_task_for_a_missing_event(db):
    assert tasks.send_notification.delay("complaint_status", 987654).get() == 0


def test_notification_in_english_for_an_english_complaint(
    app, rita, mailoutbox, django_capture_on_commit_callbacks
):
    complaint = make_complaint(app=app, language="en", contact_email="c@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        triage.complaint_request_info(complaint=complaint, actor=rita, question="Which version?")
    mail = next(m for m in mailoutbox if m.to == ["c@example.com"])
    assert mail.subject.startswith(f"Your complaint {complaint.tracking_number} is now")
    assert "Which version?" in mail.body and "/track/" in mail.body
