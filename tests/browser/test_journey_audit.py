"""Records in the reader's words, in headless Chromium (issue 13, items 10, 12 and 16):

triage/detail.html  POST triage:action reject   a regulator working in Chinese rejects; the
                                                 consumer reading in English reads English
                    POST triage:action accept   "Why these categories": a relabel the text
                                                 does not back is refused without a reason,
                                                 then accepted with one, shown to the next
                                                 regulator
cases/notice.html   GET (print)                 the notice printed to PDF is A4, one or two
                                                 pages, with its key parts
"""

import io
import unicodedata

import pytest
from pypdf import PdfReader

from complaints.models import Complaint, Event
from complaints.services import cases as case_services
from complaints.services import triage
from tests.browser.test_journey_records import refused
from tests.browser.test_journey_regulator import (
    consumer_status,
    flash,
    form,
    person,
    regulator,
    signed_in,
)
from tests.complaints.selectors.stats.test_summary import model_labels
from tests.factories import make_complaint

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

S = Complaint.Status
A4_POINTS = (595.28, 841.89)


def in_chinese(open_screen, username: str):
    """A regulator whose browser and account work in Chinese (the site's default language)."""
    screen = open_screen(username, locale="zh-CN")
    screen.page.context.add_cookies(
        [{"name": "django_language", "value": "zh-hans", "url": screen.base_url}]
    )
    screen.login(username, f"pw-{username}")
    screen.page.wait_for_url(lambda url: "/accounts/login/" not in url)
    assert screen.page.locator("html").get_attribute("lang") == "zh-Hans"
    return screen


def test_a_timeline_written_in_chinese_reads_in_english(open_screen, app, rita):
    complaint = make_complaint(app=app, description="外卖送晚了半小时，饭菜都凉了。")
    model_labels(complaint, ["other"], 0.6)
    alice = person(open_screen, "alice")
    rita_zh = in_chinese(open_screen, "rita")

    page = rita_zh.go(f"/triage/{complaint.pk}/")
    reject = form(page, "reject")
    reject.locator("select[name=reason]").select_option("out_of_remit")
    with page.expect_navigation():
        reject.locator("button[type=submit]").click()
    rita_zh.step("rejected-in-chinese")
    complaint.refresh_from_db()
    assert complaint.status == S.REJECTED
    event = Event.objects.get(complaint=complaint, to_status=S.REJECTED)
    assert (event.reason, event.message["id"]) == ("", "rejected")

    # The regulator reads her own timeline in Chinese ...
    page = rita_zh.go(f"/triage/{complaint.pk}/")
    assert "理由：不属于受理范围。" in page.locator(".timeline").inner_text()
    # ... and the consumer, reading in English, reads it in English.
    assert "was not accepted" in consumer_status(alice, complaint)
    timeline = alice.page.locator(".timeline").inner_text()
    assert "Reason: outside our remit." in timeline
    assert "理由" not in timeline and "受理范围" not in timeline
    alice.step("reads-it-in-english")
    assert rita_zh.errors == [] and alice.errors == []


def test_a_relabel_the_text_does_not_back_needs_a_reason(open_screen, app, rita):
    complaint = make_complaint(app=app, description="这个应用一直索取通讯录权限，不给就闪退。")
    model_labels(complaint, ["over_permission"], 0.9)
    regulator("rex")
    rita_screen = signed_in(open_screen, "rita")

    page = rita_screen.go(f"/triage/{complaint.pk}/")
    accept = form(page, "accept")
    accept.locator("input[name=categories][value=over_permission]").uncheck()
    accept.locator("input[name=categories][value=fraud]").check()
    rita_screen.submit("Accept", within=accept)
    assert refused(rita_screen, page) == (
        "The complaint's text does not back “Online fraud”: none of its keywords occurs and the "
        "classifier gave it little weight. To label it so anyway, say why under “Why these "
        "categories”."
    )
    rita_screen.step("relabel-refused")
    complaint.refresh_from_db()
    assert complaint.status == S.CLASSIFIED
    assert [c.code for c in complaint.categories.all()] == ["over_permission"]

    # The choice is still ticked: the reason is all she adds.
    accept = form(page, "accept")
    assert accept.locator("input[name=categories][value=fraud]").is_checked()
    reason = "The consumer told the hotline the app took 200 yuan for a fake unlock."
    accept.get_by_label("Why these categories").fill(reason)
    rita_screen.step("relabel-reason")
    rita_screen.submit("Accept", within=accept)
    assert "Accepted." in flash(page)
    complaint.refresh_from_db()
    assert complaint.status == S.ACCEPTED
    assert [c.code for c in complaint.categories.all()] == ["fraud"]
    event = Event.objects.get(complaint=complaint, kind=Event.Kind.LABELS)
    assert (event.reason, event.data["unbacked"], event.actor) == (reason, ["fraud"], rita)

    # The next regulator sees the relabel, marked, with the reason.
    rex = signed_in(open_screen, "rex")
    page = rex.go(f"/triage/{complaint.pk}/")
    entry = page.locator(".timeline li.timeline-labels")
    text = entry.inner_text()
    assert "Excessive, forced or repeated permission requests → Online fraud" in text
    assert "not backed by the text" in text and reason in text
    assert "Labelled Online fraud although the text does not back it" in text
    rex.step("relabel-seen-by-the-next-regulator")


def test_the_notice_prints_as_an_a4_document(open_screen, app, rita, olivia, company, settings):
    settings.NOTICE_AUTHORITY = "北京市示例区市场监督管理局"
    complaints = [
        make_complaint(app=app, description="不给通讯录权限就闪退，客服电话 13812345678 也不接。"),
        make_complaint(app=app, description="每次打开都反复弹出定位权限申请。"),
    ]
    for complaint in complaints:
        triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["over_permission"])
    case = case_services.case_open(
        app=app, categories=["over_permission"], actor=rita, complaints=complaints
    )
    notice = case_services.notice_issue(
        case=case, actor=rita, problems="启动即索取通讯录权限，拒绝后无法使用。"
    )
    olivia_screen = signed_in(open_screen, "olivia")
    page = olivia_screen.go(f"/operator/cases/{case.pk}/notices/{notice.pk}/")
    olivia_screen.step("notice")
    assert "责令整改通知书" in page.locator("#notice-document").inner_text()

    page.emulate_media(media="print")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    reader = PdfReader(io.BytesIO(pdf))
    assert 1 <= len(reader.pages) <= 2
    for sheet in reader.pages:
        width, height = float(sheet.mediabox.width), float(sheet.mediabox.height)
        assert abs(width - A4_POINTS[0]) < 2 and abs(height - A4_POINTS[1]) < 2
    # NFKC: the PDF's fonts map some characters to their Kangxi radical forms (⽰ for 示).
    text = unicodedata.normalize("NFKC", "".join(sheet.extract_text() for sheet in reader.pages))
    compact = "".join(text.split())
    for part in (
        "北京市示例区市场监督管理局",
        "责令整改通知书",
        notice.number,
        company.credit_code,
        company.name,
        "强制、频繁、过度索取权限",
        notice.deadline_date.isoformat(),
        "138****5678",
        "（盖章）",
    ):
        assert unicodedata.normalize("NFKC", "".join(part.split())) in compact, part
    # Nothing of the site around it: no menu, no buttons.
    assert "I have read this notice" not in text and "我已阅读" not in compact
    assert olivia_screen.errors == []
