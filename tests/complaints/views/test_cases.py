"""The case pages: list with alerts, opening, actions, printable notice; and the operator portal."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from complaints.calendar import add_working_days
from complaints.models import Case, Complaint, Notice
from complaints.services import cases as case_services
from complaints.services import operators, triage
from tests.factories import make_complaint
from tests.otp import VerifiedClient as Client

# Deadlines, clocks and day counts: run at each of the dates in tests/clock.py.
pytestmark = [pytest.mark.usefixtures("english"), pytest.mark.every_date]

K = Case.Status


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 3), "blue").save(buffer, format="PNG")
    return SimpleUploadedFile("fix.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def rita_client(client, rita):
    client.force_login(rita)
    return client


@pytest.fixture
def case(app, rita):
    return case_services.case_open(app=app, categories=["over_permission"], actor=rita)


def test_case_list_and_alerts(rita_client, case, app, rita):
    # An overdue alert shows up on the list.
    case_services.notice_issue(
        case=case, actor=rita, problems="x", at=timezone.now() - datetime.timedelta(days=40)
    )
    case_services.cases_mark_overdue(today=timezone.localdate())
    response = rita_client.get(reverse("cases:list"))
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [case]
    assert response.context["alerts"][0].data["alert"] == "overdue"
    assert case.reference in response.content.decode()


def test_case_list_filters(rita_client, case, other_app, rita):
    other = case_services.case_open(app=other_app, categories=["fraud"], actor=rita)
    response = rita_client.get(reverse("cases:list"), {"category": "fraud"})
    assert list(response.context["page"].object_list) == [other]
    response = rita_client.get(reverse("cases:list"), {"q": case.reference})
    assert list(response.context["page"].object_list) == [case]
    case_services.case_assign(case=case, assignee=rita, actor=rita)
    response = rita_client.get(reverse("cases:list"), {"assignee": "me"})
    assert list(response.context["page"].object_list) == [case]


def test_open_a_case_with_a_complaint(rita_client, rita, app):
    complaint = make_complaint(app=app)
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])
    page = rita_client.get(reverse("cases:new"), {"app": app.pk, "complaint": complaint.pk})
    assert (
        page.status_code == 200
        and page.context["form"].initial["complaints"] == complaint.tracking_number
    )
    response = rita_client.post(
        reverse("cases:new"),
        {
            "app": app.pk,
            "categories": ["fraud"],
            "language": "zh-hans",
            "complaints": complaint.tracking_number,
            "title": "",
            "summary": "",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response.url == reverse("cases:detail", args=[case.pk])
    complaint.refresh_from_db()
    assert complaint.case == case


def test_open_a_second_case_for_the_same_category_is_refused(rita_client, case, app):
    response = rita_client.post(
        reverse("cases:new"),
        {"app": app.pk, "categories": ["over_permission"], "language": "zh-hans"},
    )
    assert response.status_code == 400
    assert "already has an open case for" in response.content.decode()
    assert Case.objects.count() == 1


def test_open_needs_app_and_categories(rita_client):
    response = rita_client.post(reverse("cases:new"), {"language": "zh-hans"})
    assert response.status_code == 400
    assert response.context["form"].errors["app"] == ["Choose the app."]
    assert response.context["form"].errors["categories"] == ["Choose at least one category."]


def test_open_with_unknown_complaint(rita_client, app):
    response = rita_client.post(
        reverse("cases:new"),
        {"app": app.pk, "categories": ["fraud"], "language": "en", "complaints": "AW-NOPE"},
    )
    assert response.status_code == 400
    assert "No complaint with tracking number “AW-NOPE”." in response.content.decode()


def test_case_page_and_the_whole_loop(rita_client, client, case, rita, olivia):
    page = rita_client.get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == 200 and page.context["can"]["notice"]
    deadline = add_working_days(timezone.localdate(), 12)
    response = rita_client.post(
        reverse("cases:action", args=[case.pk, "notice"]),
        {
            "problems": "Asks for contacts at launch.",
            "deadline_date": deadline.isoformat(),
            "legal_basis": "",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.deadline_date) == (K.NOTICE_ISSUED, deadline)
    notice = Notice.objects.get()
    printable = rita_client.get(reverse("cases:notice", args=[case.pk, notice.pk]))
    assert printable.status_code == 200 and "整改通知书" in printable.content.decode()

    client.force_login(olivia)
    portal = client.get(reverse("operator:portal"))
    assert [row["case"] for row in portal.context["case_rows"]] == [case]
    opened = client.get(reverse("operator:notice", args=[case.pk, notice.pk]))
    assert opened.status_code == 200 and 'id="notice-acknowledge"' in opened.content.decode()
    notice.refresh_from_db()
    assert notice.acknowledged_at is None  # reading is not acknowledging
    url = reverse("operator:notice_acknowledge", args=[case.pk, notice.pk])
    assert client.get(url).status_code == 405
    acknowledged = client.post(url)
    assert acknowledged.status_code == 302
    notice.refresh_from_db()
    assert notice.acknowledged_at is not None
    again = client.get(reverse("operator:notice", args=[case.pk, notice.pk]))
    assert 'id="notice-acknowledge"' not in again.content.decode()
    report = client.post(
        reverse("operator:case_report", args=[case.pk]),
        {"text": "Contacts now optional.", "files": [png()]},
    )
    assert report.status_code == 302
    case.refresh_from_db()
    assert case.status == K.RESPONSE_RECEIVED
    evidence = case.responses.get().evidence.get()
    assert client.get(reverse("operator:evidence", args=[evidence.pk])).status_code == 200

    client.force_login(rita)
    verify = client.post(
        reverse("cases:action", args=[case.pk, "verify"]),
        {"rectified": "yes", "notes": "Checked v8.3."},
    )
    assert verify.status_code == 302
    client.post(reverse("cases:action", args=[case.pk, "close"]), {"reason": "Rectified."})
    case.refresh_from_db()
    assert case.status == K.CLOSED


def test_case_actions_show_errors(rita_client, case):
    response = rita_client.post(reverse("cases:action", args=[case.pk, "notice"]), {"problems": ""})
    assert (
        response.status_code == 400 and response.context["error"] == "Describe the problems found."
    )
    response = rita_client.post(
        reverse("cases:action", args=[case.pk, "notice"]),
        {"problems": "x", "deadline_date": "2001-01-01"},
    )
    assert response.context["error"] == "The deadline must be after the date of the notice."
    response = rita_client.post(reverse("cases:action", args=[case.pk, "verify"]), {"notes": "x"})
    assert response.context["error"] == "Say whether the case is rectified."
    response = rita_client.post(
        reverse("cases:action", args=[case.pk, "escalate"]), {"measure": "x", "reason": "y"}
    )
    assert response.context["error"] == "Choose an escalation measure."
    response = rita_client.post(reverse("cases:action", args=[case.pk, "close"]), {"reason": ""})
    assert response.context["error"] == "Give a reason for closing the case."
    response = rita_client.post(
        reverse("cases:action", args=[case.pk, "assign"]), {"assignee": "99999"}
    )
    assert response.context["error"] == "Choose a regulator."
    assert rita_client.post(reverse("cases:action", args=[case.pk, "explode"])).status_code == 404


def test_assign_and_note(rita_client, case, rita):
    rita_client.post(reverse("cases:action", args=[case.pk, "assign"]), {"assignee": rita.pk})
    rita_client.post(reverse("cases:action", args=[case.pk, "note"]), {"text": "Phone them."})
    case.refresh_from_db()
    assert case.assignee == rita and case.notes.get().text == "Phone them."


def test_operator_answers_a_complaint(client, olivia, rita, app):
    complaint = make_complaint(app=app, description="电话13812345678，被乱扣费")
    triage.complaint_accept(
        complaint=complaint, actor=rita, category_codes=["unauthorized_charges"]
    )
    client.force_login(olivia)
    page = client.get(reverse("operator:complaint", args=[complaint.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "13812345678" not in body and "138****5678" in body
    bad = client.post(
        reverse("operator:complaint_answer", args=[complaint.pk]),
        {"text": "", "closure_code": "fixed"},
    )
    assert bad.status_code == 400 and bad.context["error"] == "Write your answer to the consumer."
    bad = client.post(
        reverse("operator:complaint_answer", args=[complaint.pk]),
        {"text": "x", "closure_code": "nah"},
    )
    assert bad.context["error"] == "Choose a closure code."
    ok = client.post(
        reverse("operator:complaint_answer", args=[complaint.pk]),
        {"text": "Refunded.", "closure_code": "refunded"},
    )
    assert ok.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.ANSWERED
    operators.complaint_confirm(complaint=complaint)
    assert complaint.status == Complaint.Status.CLOSED


def test_operator_does_not_see_unaccepted_complaints(client, olivia, app):
    complaint = make_complaint(app=app)
    client.force_login(olivia)
    assert client.get(reverse("operator:complaint", args=[complaint.pk])).status_code == 404
    assert client.get(reverse("operator:portal")).context["complaint_rows"] == []


def test_operator_does_not_see_a_case_before_its_notice(client, olivia, case):
    client.force_login(olivia)
    assert client.get(reverse("operator:case", args=[case.pk])).status_code == 404


def test_operator_report_errors(client, olivia, rita, case):
    case_services.notice_issue(case=case, actor=rita, problems="x")
    client.force_login(olivia)
    response = client.post(reverse("operator:case_report", args=[case.pk]), {"text": ""})
    assert response.status_code == 400 and response.context["error"] == "Describe what you changed."
    bad = SimpleUploadedFile("evil.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(
        reverse("operator:case_report", args=[case.pk]), {"text": "done", "files": [bad]}
    )
    assert (
        response.context["error"]
        == "“evil.pdf” is not a JPEG, PNG or WebP image or a PDF document."
    )


def test_operator_sees_a_passed_deadline_as_late(client, olivia, rita, case):
    # Issued long ago: the deadline passed, even if today is a weekend right after it.
    case_services.notice_issue(
        case=case, actor=rita, problems="x", at=timezone.now() - datetime.timedelta(days=40)
    )
    client.force_login(olivia)
    portal = client.get(reverse("operator:portal"))
    assert portal.context["case_rows"][0]["working_days_left"] == -1
    assert "past the deadline" in portal.content.decode()
    page = client.get(reverse("operator:case", args=[case.pk]))
    assert page.context["working_days_left"] == -1


def test_case_and_operator_pages_unknown_ids_and_wrong_methods(rita_client, client, olivia, case):
    assert rita_client.get(reverse("cases:detail", args=[999999])).status_code == 404
    assert (
        rita_client.post(reverse("cases:action", args=[999999, "note"]), {"text": "x"}).status_code
        == 404
    )
    assert rita_client.get(reverse("cases:notice", args=[case.pk, 999999])).status_code == 404
    assert rita_client.get(reverse("cases:action", args=[case.pk, "note"])).status_code == 405
    assert rita_client.post(reverse("cases:detail", args=[case.pk])).status_code == 405
    assert rita_client.put(reverse("cases:new")).status_code == 405
    client.force_login(olivia)
    assert client.get(reverse("operator:complaint", args=[999999])).status_code == 404
    assert client.get(reverse("operator:case", args=[999999])).status_code == 404
    assert client.get(reverse("operator:evidence", args=[999999])).status_code == 404
    assert client.post(reverse("operator:portal")).status_code == 405
    assert client.get(reverse("operator:case_report", args=[case.pk])).status_code == 405
    assert client.get(reverse("operator:complaint_answer", args=[1])).status_code == 405


def test_saved_filter_wrong_method_and_unknown_id(rita_client):
    assert rita_client.get(reverse("triage:filter_save")).status_code == 405
    assert rita_client.post(reverse("triage:filter_delete", args=[999999])).status_code == 404
    assert rita_client.get(reverse("triage:evidence", args=[999999])).status_code == 404
