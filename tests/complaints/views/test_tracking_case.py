"""The consumer's status page tells what came of the case their complaint joined: its
reference, public status, notice and deadline, the verified result, and the app's public page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.calendar import add_working_days
from complaints.services import cases as case_services
from complaints.services import triage
from tests.factories import make_complaint


@pytest.fixture
def linked(app, rita):
    complaint = make_complaint(app=app, language="en")
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["over_permission"])
    case = case_services.case_open(
        app=app, categories=["over_permission"], actor=rita, complaints=[complaint]
    )
    complaint.refresh_from_db()
    return complaint, case


def status_page(client, complaint, language="en") -> str:
    client.cookies["django_language"] = language
    client.get(
        reverse("track_detail", args=[complaint.tracking_number]) + f"?t={complaint.test_token}"
    )
    return client.get(reverse("track_detail", args=[complaint.tracking_number])).content.decode()


def test_no_case_no_section(client, app):
    page = status_page(client, make_complaint(app=app))
    assert 'id="joined-case"' not in page


def test_before_the_notice_only_the_reference(client, linked):
    complaint, case = linked
    page = status_page(client, complaint)
    assert case.reference in page
    assert "The regulator is preparing a rectification notice to the operator." in page
    assert f'href="{reverse("app-scorecard", args=[case.app_id])}"' in page
    assert "Deadline to put it right" not in page


def test_notice_deadline_and_result_in_english_and_chinese(client, linked, rita, olivia):
    complaint, case = linked
    deadline = add_working_days(timezone.localdate(), 15)
    notice = case_services.notice_issue(
        case=case, actor=rita, problems="Contacts at launch.", deadline_date=deadline
    )
    page = status_page(client, complaint)
    assert f"{notice.number}, issued {timezone.localdate():%Y-%m-%d}" in page
    assert f'<dd id="case-deadline">{deadline:%Y-%m-%d}</dd>' in page
    assert 'data-status="under_rectification">under rectification<' in page
    assert 'id="case-result"' not in page

    case_services.rectification_report_submit(case=case, actor=olivia, text="Removed.", files=[])
    case_services.rectification_verify(case=case, actor=rita, rectified=True, notes="Checked 3.2.")
    page = status_page(client, complaint)
    assert 'data-status="rectified">rectified<' in page
    assert f"The regulator checked on {timezone.localdate():%Y-%m-%d}: rectified." in page
    assert "Checked 3.2." not in page  # the regulator's notes stay internal
    zh = status_page(client, complaint, "zh-hans")
    assert (
        "本应用的整改案件" in zh
        and f"监管部门于 {timezone.localdate():%Y-%m-%d} 核查：已整改。" in zh
    )
    assert f"{case.app.name} 在整改公示栏中的页面" in zh


def test_not_rectified_and_overdue_say_so(client, linked, rita, olivia):
    complaint, case = linked
    case_services.notice_issue(
        case=case,
        actor=rita,
        problems="Contacts at launch.",
        at=timezone.now() - datetime.timedelta(days=60),
    )
    case_services.cases_mark_overdue(today=timezone.localdate())
    assert 'data-status="overdue">overdue<' in status_page(client, complaint)
