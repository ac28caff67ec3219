"""Rectification cases: open, assign, notices and deadlines, reports, verification, overdue,
escalation, closing and reminders."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from complaints.errors import Conflict, DomainError, PermissionDenied, TransitionNotAllowed
from complaints.models import Case, CaseCategory, Complaint, Event, OperatorResponse
from complaints.services import cases as case_services
from complaints.services import triage
from tests.factories import make_complaint

# Deadlines, clocks and day counts: run at each of the dates in tests/clock.py.
pytestmark = [pytest.mark.usefixtures("english"), pytest.mark.every_date]

K = Case.Status
TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=TZ)


def png(name: str = "shot.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def case(app, rita):
    return case_services.case_open(
        app=app, categories=["fraud", "unauthorized_charges"], actor=rita, at=MONDAY
    )


def test_open_gives_reference_and_category_rows(case, app):
    assert case.reference == "RC-2026-00001"
    assert case.status == K.OPEN and case.origin == Case.Origin.MANUAL
    rows = CaseCategory.objects.filter(case=case).order_by("category__code")
    assert [(r.category.code, r.app, r.is_open) for r in rows] == [
        ("fraud", app, True),
        ("unauthorized_charges", app, True),
    ]
    created = case.events.get(kind=Event.Kind.CREATED)
    assert created.to_status == K.OPEN and created.created_at == MONDAY
    assert case.title.startswith("快送外卖")


def test_references_count_up_within_the_year(case, app, rita):
    case_services.case_close(case=case, actor=rita, reason="done")
    second = case_services.case_open(app=app, categories=["fraud"], actor=rita, at=MONDAY)
    assert second.reference == "RC-2026-00002"


def test_one_open_case_per_app_and_category(case, app, rita):
    with pytest.raises(Conflict, match="already has an open case for .*: RC-2026-00001") as error:
        case_services.case_open(app=app, categories=["fraud"], actor=rita)
    assert error.value.field == "categories"
    assert Case.objects.count() == 1


def test_open_links_given_complaints(app, rita):
    complaint = make_complaint(app=app)
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["over_permission"])
    case = case_services.case_open(
        app=app, categories=["over_permission"], actor=rita, complaints=[complaint]
    )
    complaint.refresh_from_db()
    assert complaint.case == case and complaint.status == Complaint.Status.LINKED


def test_open_refuses_other_apps_complaints(app, other_app, rita):
    complaint = make_complaint(app=other_app)
    with pytest.raises(
        DomainError, match=f"Complaint {complaint.tracking_number} is about a different app."
    ):
        case_services.case_open(app=app, categories=["fraud"], actor=rita, complaints=[complaint])


def test_open_needs_categories_and_a_regulator(app, rita, alice):
    with pytest.raises(DomainError, match="Choose at least one category."):
        case_services.case_open(app=app, categories=[], actor=rita)
    with pytest.raises(PermissionDenied):
        case_services.case_open(app=app, categories=["fraud"], actor=alice)


def test_assign_only_to_regulators(case, rita, olivia):
    case_services.case_assign(case=case, assignee=rita, actor=rita)
    assert case.assignee == rita
    assert case.events.get(kind=Event.Kind.ASSIGNMENT).data == {"from": "", "to": "rita"}
    with pytest.raises(DomainError, match="Cases can only be assigned to regulators."):
        case_services.case_assign(case=case, assignee=olivia, actor=rita)


def test_notice_default_deadline_is_the_shortest_category(case, rita):
    # fraud: 5 working days, unauthorized_charges: 10 → 5 working days from Monday 2 March.
    notice = case_services.notice_issue(
        case=case, actor=rita, problems="Fake refund calls.", at=MONDAY
    )
    case.refresh_from_db()
    assert notice.deadline_date == datetime.date(2026, 3, 9)
    assert case.deadline_date == notice.deadline_date
    assert case.status == K.NOTICE_ISSUED
    assert notice.number == "RC-2026-00001-1"
    assert "反电信网络诈骗法" in notice.legal_basis and "消费者权益保护法" in notice.legal_basis
    assert "Fake refund calls." in notice.text and "整改通知书" in notice.text
    assert "2026年3月9日" in notice.text


def test_notice_deadline_skips_chinese_holidays(app, rita):
    case = case_services.case_open(app=app, categories=["fraud"], actor=rita)
    # Issued on 30 September 2026: the National Day holiday runs 1–7 October.
    at = datetime.datetime(2026, 9, 30, 9, 0, tzinfo=TZ)
    notice = case_services.notice_issue(case=case, actor=rita, problems="x", at=at)
    assert notice.deadline_date > datetime.date(2026, 10, 12)


def test_notice_in_english_for_an_english_case(app, rita):
    case = case_services.case_open(app=app, categories=["fraud"], actor=rita, language="en")
    notice = case_services.notice_issue(case=case, actor=rita, problems="Fake refunds.", at=MONDAY)
    assert notice.text.startswith("RECTIFICATION NOTICE")
    assert "Anti-Telecom and Online Fraud Law" in notice.legal_basis


def test_notice_deadline_must_be_in_the_future(case, rita):
    with pytest.raises(
        DomainError, match="The deadline must be after the date of the notice."
    ) as error:
        case_services.notice_issue(
            case=case, actor=rita, problems="x", deadline_date=datetime.date(2026, 3, 2), at=MONDAY
        )
    assert error.value.field == "deadline_date"
    assert not case.notices.exists()


def test_notice_needs_problems(case, rita):
    with pytest.raises(DomainError, match="Describe the problems found."):
        case_services.notice_issue(case=case, actor=rita, problems="")


def test_notice_emails_the_operator(
    case, rita, olivia, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice = case_services.notice_issue(case=case, actor=rita, problems="x", at=MONDAY)
    mails = [m for m in mailoutbox if "olivia@example.com" in m.to]
    assert len(mails) == 1 and notice.number in mails[0].subject
    assert f"/operator/cases/{case.pk}/" in mails[0].body


def test_report_from_the_operator(case, rita, olivia):
    case_services.notice_issue(case=case, actor=rita, problems="x", at=MONDAY)
    response = case_services.rectification_report_submit(
        case=case, actor=olivia, text="Removed the flow.", files=[png()]
    )
    case.refresh_from_db()
    assert case.status == K.RESPONSE_RECEIVED
    assert response.kind == OperatorResponse.Kind.RECTIFICATION_REPORT
    assert response.notice == case.notices.get()
    evidence = response.evidence.get()
    assert evidence.content_type == "image/png" and evidence.file.name.endswith(
        f"{evidence.sha256}.png"
    )


def test_report_from_another_operator_is_refused(case, rita, oscar):
    case_services.notice_issue(case=case, actor=rita, problems="x", at=MONDAY)
    with pytest.raises(PermissionDenied, match="Only the app's operator can answer this case."):
        case_services.rectification_report_submit(case=case, actor=oscar, text="hi")


def test_report_rejects_files_that_are_not_images_or_pdf(case, rita, olivia):
    case_services.notice_issue(case=case, actor=rita, problems="x", at=MONDAY)
    bad = SimpleUploadedFile("x.png", b"#!/bin/sh\necho hi\n", content_type="image/png")
    with pytest.raises(
        DomainError, match="“x.png” is not a JPEG, PNG or WebP image or a PDF document."
    ):
        case_services.rectification_report_submit(case=case, actor=olivia, text="done", files=[bad])
    case.refresh_from_db()
    assert case.status == K.NOTICE_ISSUED and not OperatorResponse.objects.exists()


def test_report_before_a_notice_is_a_transition_error(case, olivia):
    with pytest.raises(TransitionNotAllowed):
        case_services.rectification_report_submit(case=case, actor=olivia, text="done")


def test_verify_rectified(case, rita, olivia):
    case_services.notice_issue(case=case, actor=rita, problems="x", at=MONDAY)
    case_services.rectification_report_submit(case=case, actor=olivia, text="done")
    case_services.rectification_verify(
        case=case, actor=rita, rectified=True, notes="Tested v8.2.", files=[png()]
    )
    case.refresh_from_db()
    assert case.status == K.RECTIFIED and case.rectified_at is not None
    assert case.verification_notes == "Tested v8.2." and case.evidence.count() == 1


def test_verify_not_rectified_with_new_deadline(case, rita, olivia):
    case_services.notice_issue(case=case, actor=rita, problems="x", at=MONDAY)
    case_services.rectification_report_submit(case=case, actor=olivia, text="done")
    case_services.rectification_verify(
        case=case,
        actor=rita,
        rectified=False,
        notes="Still there.",
        new_deadline_date=datetime.date(2026, 4, 1),
        at=MONDAY,
    )
    case.refresh_from_db()
    assert case.status == K.NOTICE_ISSUED and case.deadline_date == datetime.date(2026, 4, 1)
    assert case.notices.count() == 2
    statuses = list(
        case.events.exclude(to_status="").order_by("id").values_list("to_status", flat=True)
    )
    assert statuses == [
        "open",
        "notice_issued",
        "response_received",
        "not_rectified",
        "notice_issued",
    ]


def test_verify_not_rectified_and_escalate(case, rita, olivia):
    case_services.notice_issue(case=case, actor=rita, problems="x", at=MONDAY)
    case_services.rectification_report_submit(case=case, actor=olivia, text="done")
    case_services.rectification_verify(
        case=case, actor=rita, rectified=False, notes="No.", escalate_measure="public_notice"
    )
    case.refresh_from_db()
    assert (case.status, case.escalation) == (K.ESCALATED, "public_notice")


def test_verify_rules(case, rita):
    with pytest.raises(DomainError, match="Write the verification notes."):
        case_services.rectification_verify(case=case, actor=rita, rectified=True, notes="")
    with pytest.raises(
        DomainError, match="A rectified case takes neither a new deadline nor an escalation."
    ):
        case_services.rectification_verify(
            case=case, actor=rita, rectified=True, notes="x", escalate_measure="referral"
        )
    with pytest.raises(DomainError, match="Give a new deadline or an escalation, not both."):
        case_services.rectification_verify(
            case=case,
            actor=rita,
            rectified=False,
            notes="x",
            escalate_measure="referral",
            new_deadline_date=datetime.date(2026, 5, 1),
        )


def test_mark_overdue(case, rita, mailoutbox, django_capture_on_commit_callbacks):
    case_services.notice_issue(case=case, actor=rita, problems="x", at=MONDAY)
    assert case_services.cases_mark_overdue(today=datetime.date(2026, 3, 9)) == []
    with django_capture_on_commit_callbacks(execute=True):
        marked = case_services.cases_mark_overdue(today=datetime.date(2026, 3, 10))
    assert marked == [case]
    case.refresh_from_db()
    assert case.status == K.OVERDUE
    assert case.events.get(kind=Event.Kind.ALERT).data["alert"] == "overdue"
    # Regulators are written to in the site language (zh-Hans by default).
    assert any(
        "rita@example.com" in m.to and f"案件 {case.reference} 逾期未整改" in m.subject
        for m in mailoutbox
    )
    # Running the sweep again changes nothing.
    assert case_services.cases_mark_overdue(today=datetime.date(2026, 3, 10)) == []


def test_escalate_overdue_case(case, rita):
    case_services.notice_issue(case=case, actor=rita, problems="x", at=MONDAY)
    case_services.cases_mark_overdue(today=datetime.date(2026, 3, 10))
    case.refresh_from_db()
    with pytest.raises(DomainError, match="Choose an escalation measure."):
        case_services.case_escalate(case=case, actor=rita, measure="shout", reason="x")
    case_services.case_escalate(
        case=case, actor=rita, measure="store_removal", reason="Ignored the notice."
    )
    case.refresh_from_db()
    assert (case.status, case.escalation) == (K.ESCALATED, "store_removal")


def test_close_closes_waiting_complaints_and_frees_the_category(case, app, rita):
    complaint = make_complaint(app=app)
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])
    complaint.refresh_from_db()
    assert complaint.case == case
    case_services.case_close(case=case, actor=rita, reason="Fixed.")
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.CLOSED
    assert not CaseCategory.objects.filter(case=case, is_open=True).exists()
    # A new case for the same app and category is now allowed.
    case_services.case_open(app=app, categories=["fraud"], actor=rita)


def test_close_needs_a_reason(case, rita):
    with pytest.raises(DomainError, match="Give a reason for closing the case."):
        case_services.case_close(case=case, actor=rita, reason=" ")


def test_note_is_internal(case, rita):
    note = case_services.case_note_add(case=case, actor=rita, text="Call them Tuesday.")
    assert note.author == rita
    assert case.events.get(kind=Event.Kind.NOTE).public is False
