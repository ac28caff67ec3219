"""The operator's journey in headless Chromium, on a phone and on a desktop: olivia answers a
complaint with a closure code and the consumer's status page shows the answer; she reads the
rectification notice (which acknowledges it) and reports the fix with a screenshot, which
rita then sees on the case."""

import re

import pytest
from PIL import Image

from complaints.models import Case, Complaint, Event, OperatorResponse
from complaints.services import cases as case_services
from complaints.services import triage
from tests.complaints.selectors.stats.test_summary import days_ago, model_labels
from tests.factories import make_complaint

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ANSWER = "已在 5.2.0 版本中改为使用时再申请通讯录权限，拒绝后不再闪退。"
REPORT = "5.2.0 版本已删除启动时的通讯录权限弹窗，截图为新版本的权限设置页面。"


def in_english(screen) -> None:
    """The site's default language is Chinese; these people chose English."""
    screen.page.context.add_cookies(
        [{"name": "django_language", "value": "en", "url": screen.base_url}]
    )


def screenshot_png(path) -> object:
    Image.new("RGB", (120, 80), (30, 120, 200)).save(path, format="PNG")
    return path


@pytest.fixture
def waiting(app, rita):
    """An accepted complaint about olivia's app, shared with the operator."""
    complaint = make_complaint(app=app, submitted_at=days_ago(3), consent_share_with_operator=True)
    token = complaint.test_token
    model_labels(complaint, ["over_permission"], 0.9)
    triage.complaint_accept(complaint=complaint, actor=rita)
    complaint.refresh_from_db()
    complaint.test_token = token
    return complaint


@pytest.fixture
def case_under_notice(app, rita):
    case = case_services.case_open(
        app=app,
        categories=["illegal_collection"],
        actor=rita,
        summary="未经同意收集设备标识符。",
        at=days_ago(5),
    )
    notice = case_services.notice_issue(
        case=case, actor=rita, problems="未经同意收集设备标识符并上传。", at=days_ago(4)
    )
    case.refresh_from_db()
    return case, notice


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_operator_answers_and_reports_a_fix(
    open_screen, viewport, tmp_path, app, rita, olivia, waiting, case_under_notice
):
    case, notice = case_under_notice
    assert case.status == Case.Status.NOTICE_ISSUED and waiting.status == Complaint.Status.ACCEPTED

    olivia_screen = open_screen("olivia", viewport=viewport)
    in_english(olivia_screen)
    olivia_screen.login("olivia", "pw-olivia")
    page = olivia_screen.go("/operator/")
    assert page.get_by_role("heading", name="Operator portal").is_visible()
    assert page.get_by_role("link", name=case.reference).is_visible()
    olivia_screen.step("portal")

    # Answer the complaint with a closure code.
    page.get_by_role("link", name=waiting.tracking_number).click()
    page.wait_for_url(re.compile(rf"/operator/complaints/{waiting.pk}/$"))
    page.fill("textarea[name=text]", ANSWER)
    page.select_option("select[name=closure_code]", "fixed")
    olivia_screen.step("answer")
    olivia_screen.submit("Send answer")
    assert page.locator(".messages").inner_text() == "Answer sent."
    olivia_screen.step("answer-sent")
    waiting.refresh_from_db()
    assert waiting.status == Complaint.Status.ANSWERED
    response = waiting.responses.get()
    assert (response.text, response.closure_code, response.author) == (ANSWER, "fixed", olivia)
    assert waiting.events.filter(to_status=Complaint.Status.ANSWERED, actor=olivia).count() == 1

    # The consumer opens the status link and finds the answer, with the confirm and dispute forms.
    consumer = open_screen("consumer", viewport=viewport)
    in_english(consumer)
    track = consumer.go(f"/track/{waiting.tracking_number}/?t={waiting.test_token}")
    track.wait_for_url(re.compile(rf"/track/{waiting.tracking_number}/$"))
    assert "The operator answered." in track.locator(".status-now").inner_text()
    assert ANSWER in track.locator(".timeline").inner_text()
    assert track.get_by_role("button", name="Yes, close my complaint").is_visible()
    assert track.get_by_role("button", name="No, it does not").is_visible()
    assert track.locator("#dispute_reason").is_visible()
    consumer.step("status-answered")

    # The notice: opening it changes nothing; the button tells the regulator it was read.
    page = olivia_screen.go(f"/operator/cases/{case.pk}/")
    assert page.get_by_role("heading", name="Submit a rectification report").is_visible()
    olivia_screen.step("case")
    page.get_by_role("link", name=notice.number).click()
    page.wait_for_url(re.compile(rf"/operator/cases/{case.pk}/notices/{notice.pk}/$"))
    assert notice.number in page.locator("#notice-document").inner_text()
    olivia_screen.step("notice")
    notice.refresh_from_db()
    assert notice.acknowledged_at is None
    page.get_by_role("button", name="I have read this notice").click()
    page.wait_for_url(re.compile(rf"/operator/cases/{case.pk}/notices/{notice.pk}/$"))
    assert "Read by the operator on" in page.content()
    assert not page.get_by_role("button", name="I have read this notice").count()
    notice.refresh_from_db()
    assert notice.acknowledged_at is not None
    assert Event.objects.filter(case=case, data__acknowledged=True, actor=olivia).count() == 1

    # The rectification report with a screenshot as evidence.
    page.get_by_role("link", name=f"← {case.reference}").click()
    page.wait_for_url(re.compile(rf"/operator/cases/{case.pk}/$"))
    page.fill("textarea[name=text]", REPORT)
    page.set_input_files("input[name=files]", screenshot_png(tmp_path / "permissions.png"))
    olivia_screen.step("report")
    olivia_screen.submit("Submit report")
    assert "Rectification report submitted" in page.locator(".messages").inner_text()
    assert REPORT in page.content()
    assert page.get_by_role("link", name="permissions.png").is_visible()
    olivia_screen.step("report-sent")
    case.refresh_from_db()
    assert case.status == Case.Status.RESPONSE_RECEIVED
    report = case.responses.get()
    assert (report.kind, report.text, report.notice) == (
        OperatorResponse.Kind.RECTIFICATION_REPORT,
        REPORT,
        notice,
    )
    (evidence,) = report.evidence.all()
    assert (evidence.original_name, evidence.content_type) == ("permissions.png", "image/png")
    assert case.events.filter(to_status=Case.Status.RESPONSE_RECEIVED, actor=olivia).exists()

    # Rita sees the report, its screenshot and the read receipt on the case.
    regulator = open_screen("rita", viewport=viewport)
    in_english(regulator)
    regulator.login("rita", "pw-rita")
    page = regulator.go(f"/cases/{case.pk}/")
    assert REPORT in page.content()
    image = page.get_by_role("img", name="permissions.png")
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert page.get_by_text("read by the operator", exact=True).is_visible()
    assert page.get_by_role("heading", name="Verify the rectification").is_visible()
    regulator.step("case-with-report")

    assert olivia_screen.errors == consumer.errors == regulator.errors == []
