"""The consumer's journey in headless Chromium, on a phone and on a desktop: file a complaint
with evidence, then use every form of the status page, each step checked in the database and
on the screen of the person who acts next (the regulator rita, the operator olivia).

It guards a regression: a `no-referrer` policy on the status page made Chromium send
`Origin: null` with its forms, and Django's CSRF check refused every one of them with 403.
"""

import re
from pathlib import Path

import pytest
from django.utils import timezone

from complaints.models import Complaint
from complaints.services import operators, triage
from complaints.services.consumers import TOMBSTONE
from tests.browser.conftest import screenshot_png
from tests.factories import make_complaint

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("classifier_imported", "evidence_media"),
]

S = Complaint.Status
DESCRIPTION = "这个应用不给通讯录权限就闪退，拒绝以后每次启动都弹窗要权限。"


def record_requests(screen) -> list[dict]:
    """What the browser sends: method, address, and the Referer and Origin headers."""
    sent: list[dict] = []
    screen.page.on(
        "request",
        lambda request: sent.append(
            {
                "method": request.method,
                "url": request.url,
                "referer": request.headers.get("referer", ""),
                "origin": request.headers.get("origin", ""),
            }
        ),
    )
    return sent


def send(screen, button: str, *, within=None) -> None:
    """Submit a form and check the answer was not refused (the 403 of the regression)."""
    screen.submit(button, within=within)
    assert screen.errors == [], f"after “{button}”: {screen.errors}"


def main_text(screen) -> str:
    return screen.page.locator("main").inner_text()


def open_status_link(screen, complaint: Complaint):
    """The private link takes the visitor to the page, and the token out of the address bar."""
    page = screen.go(f"/track/{complaint.tracking_number}/?t={complaint.test_token}")
    assert page.url == f"{screen.base_url}/track/{complaint.tracking_number}/"
    return page


def answered_complaint(*, app, rita, olivia, answer: str) -> Complaint:
    complaint = make_complaint(app=app, consent_share_with_operator=True)
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["over_permission"])
    operators.complaint_answer(complaint=complaint, actor=olivia, text=answer, closure_code="fixed")
    return complaint


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_consumer_journey(open_screen, viewport, app, rita, olivia, tmp_path):
    consumer = open_screen("consumer", viewport=viewport)
    sent = record_requests(consumer)
    page = consumer.page
    base = consumer.base_url

    # 1. File a complaint with a screenshot, in English although the site's default is Chinese.
    consumer.go("/file/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_label("Search by name or package name").fill("快送")
    consumer.submit("Search")
    page.get_by_label(re.compile("快送外卖")).check()
    consumer.submit("Continue")
    page.get_by_label("What happened?", exact=True).fill(DESCRIPTION)
    page.locator("input[name=kind][value=over_permission]").check()
    consumer.submit("Continue")
    page.get_by_label("Contacts", exact=True).check()
    page.get_by_role("group", name="Did the app refuse to work without them?").get_by_label(
        "Yes"
    ).check()
    consumer.submit("Continue")
    page.get_by_label("Screenshots, photos, receipts (optional)").set_input_files(
        screenshot_png(tmp_path)
    )
    send(consumer, "Attach")
    assert "Remove permission-prompt.png" in main_text(consumer)
    consumer.step("evidence-attached")
    consumer.submit("Continue")
    page.get_by_label("Email (optional)").fill("mei@example.com")
    page.get_by_label(re.compile("Share my files and the amount involved")).check()
    consumer.submit("Continue")
    assert "permission-prompt.png" in main_text(consumer)
    consumer.step("review")
    send(consumer, "Send the complaint")
    page.get_by_text("We received your complaint").wait_for()
    consumer.step("received")
    filed = Complaint.objects.get()
    token = page.locator("#access-code").inner_text().strip()
    assert page.locator("#tracking-number").inner_text() == filed.tracking_number
    assert filed.app == app and filed.description == DESCRIPTION
    assert filed.contact_email == "mei@example.com" and filed.consent_share_with_operator
    [evidence] = filed.evidence.all()
    assert evidence.original_name == "permission-prompt.png"
    evidence_path = Path(evidence.file.path)
    assert evidence_path.is_file()

    with page.expect_navigation(url=f"{base}/track/{filed.tracking_number}/"):
        page.locator("a.status-link").click()
    assert filed.tracking_number in main_text(consumer)
    assert "permission-prompt.png" in main_text(consumer)
    assert "m***@example.com" in main_text(consumer)
    assert fits_the_screen(page)
    consumer.step("status")

    # 2. The regulator asks a question; the consumer answers it on the status page.
    regulator = open_screen("rita")
    rita_sent = record_requests(regulator)
    regulator.login("rita", "pw-rita")
    regulator.go(f"/triage/{filed.pk}/")
    regulator.page.get_by_label("Question").fill("请问闪退时是哪个手机型号和系统版本？")
    send(regulator, "Send question")
    filed.refresh_from_db()
    assert filed.status == S.INFO_REQUESTED

    page.reload()
    asks = page.get_by_role("region", name="The regulator asks")
    assert "哪个手机型号" in asks.inner_text()
    asks.get_by_label("Your answer").fill("华为 Mate 60，HarmonyOS 4.2。")
    consumer.step("question")
    send(consumer, "Send my answer", within=asks)
    assert "Your answer was sent to the regulator." in main_text(consumer)
    assert page.get_by_role("region", name="The regulator asks").count() == 0
    consumer.step("answered-question")
    filed.refresh_from_db()
    assert filed.status == S.NEEDS_REVIEW
    assert filed.events.filter(actor_role="consumer", reason__startswith="华为 Mate 60").exists()
    regulator.page.reload()
    assert "华为 Mate 60，HarmonyOS 4.2。" in main_text(regulator)
    assert "needs review" in regulator.page.locator("h1").inner_text()

    # 3. Withdraw another complaint.
    second = make_complaint(app=app)
    open_status_link(consumer, second)
    page.get_by_text("Withdraw my complaint").click()
    page.get_by_label("Why are you withdrawing it? (optional)").fill("商家已经解决了。")
    send(consumer, "Withdraw")
    assert "Your complaint was withdrawn." in main_text(consumer)
    assert page.get_by_text("Withdraw my complaint").count() == 0
    consumer.step("withdrawn")
    second.refresh_from_db()
    assert second.status == S.WITHDRAWN
    regulator.go(f"/triage/{second.pk}/")
    assert "withdrawn" in regulator.page.locator("h1").inner_text()
    assert "商家已经解决了。" in main_text(regulator)

    # 4. The operator answers; the consumer confirms one answer with a rating and disputes another.
    third = answered_complaint(
        app=app, rita=rita, olivia=olivia, answer="新版本已改为使用时再申请。"
    )
    open_status_link(consumer, third)
    assert "新版本已改为使用时再申请。" in main_text(consumer)
    verdict = page.get_by_role("region", name="Does the operator's answer resolve your complaint?")
    verdict.get_by_label("4", exact=True).check()
    consumer.step("operator-answer")
    send(consumer, "Yes, close my complaint", within=verdict)
    assert "Your complaint is closed." in main_text(consumer)
    assert "You rated the outcome 4 out of 5." in main_text(consumer)
    assert page.get_by_role("region", name="Rate the outcome").count() == 0
    third.refresh_from_db()
    assert (third.status, third.rating) == (S.CLOSED, 4)
    operator = open_screen("olivia")
    operator.login("olivia", "pw-olivia")
    operator.go(f"/operator/complaints/{third.pk}/")
    assert "closed" in operator.page.locator("h1").inner_text()
    assert operator.page.get_by_role("button", name="Send answer").count() == 0

    fourth = answered_complaint(app=app, rita=rita, olivia=olivia, answer="这是正常功能。")
    open_status_link(consumer, fourth)
    verdict = page.get_by_role("region", name="Does the operator's answer resolve your complaint?")
    verdict.get_by_label("Why does the answer not resolve your complaint?").fill(
        "更新后还是会闪退。"
    )
    send(consumer, "No, it does not", within=verdict)
    assert "A regulator will look at your complaint again." in main_text(consumer)
    consumer.step("disputed")
    fourth.refresh_from_db()
    assert fourth.status == S.DISPUTED
    assert fourth.decision_due_date > timezone.localdate()
    regulator.go(f"/triage/{fourth.pk}/")
    assert "disputed by the consumer" in regulator.page.locator("h1").inner_text()
    assert "更新后还是会闪退。" in main_text(regulator)
    assert regulator.page.locator("#form-accept").is_visible()  # the regulator can act again

    # 5. Rate a rejected complaint, where the rating form shows; then erase my data.
    fifth = make_complaint(app=app)
    triage.complaint_reject(complaint=fifth, actor=rita, reason=Complaint.RejectReason.OUT_OF_REMIT)
    open_status_link(consumer, fifth)
    rating = page.get_by_role("region", name="Rate the outcome")
    rating.get_by_label("2", exact=True).check()
    rating.get_by_label("Comment (optional)").fill("没有说明该找哪个部门。")
    send(consumer, "Send rating", within=rating)
    assert "You rated the outcome 2 out of 5." in main_text(consumer)
    assert page.get_by_role("region", name="Rate the outcome").count() == 0
    consumer.step("rated")
    fifth.refresh_from_db()
    assert (fifth.rating, fifth.rating_comment) == (2, "没有说明该找哪个部门。")

    consumer.go(f"/track/{filed.tracking_number}/")
    page.get_by_text("Erase my personal data").click()
    page.get_by_label(re.compile("I understand: my description")).check()
    consumer.step("erase")
    send(consumer, "Erase my data")
    text = main_text(consumer)
    assert "Your personal data in this complaint was erased." in text
    assert f"erased on {timezone.localdate():%Y-%m-%d}" in text
    for gone in (DESCRIPTION, "permission-prompt.png", "华为 Mate 60", "m***@example.com"):
        assert gone not in text
    consumer.step("erased")
    filed.refresh_from_db()
    assert filed.description == TOMBSTONE and filed.contact_email == ""
    assert filed.status == S.WITHDRAWN and filed.erased_at is not None
    assert not filed.evidence.exists() and not evidence_path.exists()
    assert not filed.events.filter(reason__startswith="华为").exists()
    regulator.go(f"/triage/{filed.pk}/")
    assert DESCRIPTION not in main_text(regulator) and TOMBSTONE in main_text(regulator)
    assert "No files attached." in main_text(regulator)

    # 6. Switch to Chinese with the header's button; the choice sticks.
    with page.expect_navigation():
        page.locator("header").get_by_role("button", name="简体中文").click()
    assert page.url == f"{base}/track/{filed.tracking_number}/"
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.get_by_role("heading", name="处理进程").is_visible()
    assert fits_the_screen(page)
    consumer.step("chinese")
    open_status_link(consumer, fourth)
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator("header button[lang=en]").is_visible()  # the way back to English
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    assert cookies["django_language"] == "zh-hans"

    # The regression: no form was refused, and the token never left in a Referer.
    for screen in (consumer, regulator, operator):
        assert screen.errors == []
    tokens = [token, *(c.test_token for c in (second, third, fourth, fifth))]
    assert all(len(t) >= 16 for t in tokens)
    leaks = [r for r in sent + rita_sent for t in tokens if t in r["referer"]]
    assert leaks == []
    posts = [r for r in sent if r["method"] == "POST" and "/track/" in r["referer"]]
    assert len(posts) == 7  # answer, withdraw, confirm, dispute, rate, erase, language
    for post in posts:
        assert post["origin"] == base
        assert post["referer"].startswith(f"{base}/track/") and "?" not in post["referer"]
