"""Filing on the one-page form (/file/quick/, static/js/filing.js) in headless Chromium: the
steps walked in the browser and one request to the filing API, the registry's app offered as
the name is typed, with a photo and without, an
error from the API shown at its field and corrected, a lost answer retried without filing
twice, the draft kept over a reload, the status link, the regulator's queue; and, with
JavaScript off, the step pages still file."""

import json
import re
import threading

import pytest
from playwright.sync_api import expect

from complaints.models import Complaint
from complaints.selectors import intake as intake_selectors
from complaints.services.statistics import statistics_refresh
from tests.browser.conftest import screenshot_png
from tests.factories import AppFactory, make_complaint

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("classifier_imported", "evidence_media"),
]

API = "/api/v1/complaints/"
DESCRIPTION = "这个应用不给通讯录权限就闪退，拒绝以后每次启动都弹窗要权限。"


def api_posts(screen) -> list[dict]:
    """Every request the page sends to the filing API: its headers and body."""
    sent: list[dict] = []
    screen.page.on(
        "request",
        lambda request: (
            request.url.endswith(API)
            and request.method == "POST"
            and sent.append({"headers": request.headers, "body": request.post_data_buffer})
        ),
    )
    return sent


def app_searches(screen) -> list[str]:
    """Every app search the page sends."""
    sent: list[str] = []
    screen.page.on(
        "request",
        lambda request: "/api/v1/public/apps/" in request.url and sent.append(request.url),
    )
    return sent


def progress(page) -> str:
    return page.locator("[data-progress]").inner_text()


def section(page, step: str):
    return page.locator(f'section[data-step="{step}"]:visible')


def continue_(page) -> None:
    page.get_by_role("button", name="Continue").click()


def offered(page) -> list[str]:
    """The registry's apps the page offers for the typed name, once the search has answered."""
    page.locator("#app-suggestions option").first.wait_for(state="attached")
    return page.locator("#app-suggestions option").evaluate_all("all => all.map(o => o.value)")


def without_refusals(errors: list[str]) -> list[str]:
    """The console and answers that went wrong, less the API's 400s the journey provoked."""
    return [e for e in errors if not re.search(r"400 .*/api/v1/complaints/|status of 400", e)]


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_filing_with_a_photo_and_an_error_corrected(open_screen, viewport, app, rita, tmp_path):
    consumer = open_screen("consumer", viewport=viewport)
    page = consumer.page
    posts = api_posts(consumer)

    # 1. From the home page to the form: one section at a time.
    consumer.go("/")
    page.locator("main").get_by_role("link", name="File a complaint").click()
    page.wait_for_url(f"{consumer.base_url}/file/quick/")
    assert progress(page) == "Step 1 of 5"
    # The browser's own checks hold the way: the app's name is required.
    continue_(page)
    assert progress(page) == "Step 1 of 5"
    assert page.evaluate("document.getElementById('id_app_name').validity.valueMissing")
    page.get_by_label("App name").fill("快送外卖")
    assert offered(page)[0] == "快送外卖"  # the registry's app, linked when filed
    page.get_by_label("App version").fill("5.2.1")
    continue_(page)
    assert section(page, "what").get_by_role("heading").inner_text() == "What happened?"
    page.get_by_role("textbox", name="What happened?").fill(DESCRIPTION)
    page.locator("input[name=kind][value=over_permission]").check()
    continue_(page)
    # The details of the chosen kind come next: six steps now.
    assert progress(page) == "Step 3 of 6"
    page.get_by_role("group", name="Did the app refuse to work without them?").get_by_label(
        "Yes"
    ).check()
    continue_(page)  # no permission ticked: only the server knows that rule
    page.get_by_label("Screenshots, photos, receipts (optional)").set_input_files(
        screenshot_png(tmp_path)
    )
    continue_(page)
    page.get_by_label("Phone (optional)").fill("12345")
    page.get_by_label("Email (optional)").fill("mei@example.com")
    page.get_by_label(re.compile("Share my files and the amount involved")).check()
    continue_(page)
    review = section(page, "review").inner_text()
    assert "快送外卖 · 5.2.1" in review and DESCRIPTION in review
    assert "permission-prompt.png" in review and "mei@example.com" in review
    assert "Did the app refuse to work without them?: Yes" in review
    consumer.step("review")

    # 2. The API refuses: the message beside its field, the form back at its section, the
    # field marked for screen readers. Nothing typed is lost, the photo neither.
    page.get_by_role("button", name="Send the complaint").click()
    contact = section(page, "contact")
    contact.locator(".errorlist").wait_for()
    assert progress(page) == "Step 5 of 6"
    assert contact.locator(".field.has-error").count() == 1
    assert "phone" in contact.locator(".field.has-error .errorlist").inner_text().lower()
    assert page.get_by_label("Phone (optional)").get_attribute("aria-invalid") == "true"
    consumer.step("error-at-its-field")
    assert page.get_by_label("Email (optional)").input_value() == "mei@example.com"
    page.get_by_label("Phone (optional)").fill("13812345678")
    continue_(page)
    # The per-kind rules are checked once the fields are: no permission was ticked.
    page.get_by_role("button", name="Send the complaint").click()
    details = section(page, "details")
    details.locator(".errorlist").wait_for()
    assert progress(page) == "Step 3 of 6"
    assert details.locator(".field.has-error .errorlist").inner_text() == (
        "Tick at least one permission."
    )
    assert section(page, "contact").count() == 0 and page.locator(".has-error").count() == 1
    assert not Complaint.objects.exists()
    details.get_by_label("Contacts", exact=True).check()
    continue_(page)
    assert (
        page.get_by_label("Screenshots, photos, receipts (optional)").evaluate(
            "input => input.files[0].name"
        )
        == "permission-prompt.png"
    )
    continue_(page)
    continue_(page)
    page.get_by_role("button", name="Send the complaint").click()

    # 3. Filed: the done state, in the page's language, with what happens next.
    page.get_by_text("We received your complaint").wait_for()
    consumer.step("received")
    filed = Complaint.objects.get()
    assert page.locator("#tracking-number").inner_text() == filed.tracking_number
    next_text = page.locator("[data-done-next]").inner_text()
    assert filed.decision_due_date.isoformat() in next_text and "What happens next" in next_text
    assert (filed.channel, filed.app_name, filed.app_version) == ("web", "快送外卖", "5.2.1")
    assert filed.app == app
    assert filed.description == DESCRIPTION and filed.category_hint.code == "over_permission"
    assert filed.details == {"permissions": ["contacts"], "refused_without": "yes"}
    assert (filed.contact_phone, filed.contact_email) == ("+8613812345678", "mei@example.com")
    assert filed.consent_share_with_operator and not filed.consent_publish
    assert filed.language == "en" and filed.submitter is None
    [evidence] = filed.evidence.all()
    assert evidence.original_name == "permission-prompt.png"
    # Three sends: refused twice, filed once, each as one multipart request with one key.
    assert len(posts) == 3
    assert len({post["headers"]["idempotency-key"] for post in posts}) == 1
    assert all(p["headers"]["content-type"].startswith("multipart/form-data") for p in posts)
    assert without_refusals(consumer.errors) == [] and consumer.csp_violations == []

    # 4. The private status link shows the complaint.
    with page.expect_navigation():
        page.locator("a.status-link").click()
    assert page.url == f"{consumer.base_url}/track/{filed.tracking_number}/"
    shown = page.locator("main").inner_text()
    assert filed.tracking_number in shown and "permission-prompt.png" in shown
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # 5. The regulator finds it in the triage queue.
    regulator = open_screen("rita")
    regulator.login("rita", "pw-rita")
    regulator.go("/triage/")
    assert filed.tracking_number in regulator.page.locator("main").inner_text()


def test_filing_without_files_keeps_the_draft_and_survives_a_lost_answer(open_screen, app, alice):
    consumer = open_screen("alice", locale="zh-CN")
    page = consumer.page
    posts = api_posts(consumer)
    consumer.login("alice", "pw-alice")
    consumer.go("/file/quick/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert progress(page) == "第 1 步，共 5 步"
    page.get_by_label("应用名称").fill("快送外卖")
    page.get_by_role("button", name="下一步").click()
    page.locator("#id_description").fill(DESCRIPTION)

    # 1. A reload keeps what was typed and the step it was typed on.
    page.reload()
    assert progress(page) == "第 2 步，共 5 步"
    assert offered(page)[0] == "快送外卖"
    assert page.locator("#id_description").input_value() == DESCRIPTION
    page.get_by_role("button", name="下一步").click()
    page.get_by_role("button", name="下一步").click()
    page.get_by_role("button", name="下一步").click()
    review = section(page, "review").inner_text()
    assert "快送外卖" in review and "未填写" in review

    # 2. The complaint is filed but its answer is lost on the way back: the page says so and
    # offers to try again; the retry carries the same key and files nothing twice.
    def lose_the_answer(route):
        route.fetch()
        route.abort()

    page.route(f"**{API}", lose_the_answer)
    page.get_by_role("button", name="提交投诉").click()
    retry = page.get_by_role("button", name="重试")
    retry.wait_for()
    assert "网络连接失败" in page.locator("[data-general-error]").inner_text()
    assert Complaint.objects.count() == 1
    page.unroute(f"**{API}")
    retry.click()
    page.get_by_text("我们已收到您的投诉").wait_for()
    filed = Complaint.objects.get()
    assert page.locator("#tracking-number").inner_text() == filed.tracking_number
    assert (filed.channel, filed.submitter, filed.language) == ("web", alice, "zh-hans")
    assert filed.app == app
    assert filed.evidence.count() == 0 and filed.category_hint is None
    # JSON without files, the signed-in consumer's CSRF token with it, one key for both.
    assert len(posts) == 2
    assert {post["headers"]["idempotency-key"] for post in posts} == {filed.idempotency_key}
    assert all(post["headers"]["content-type"] == "application/json" for post in posts)
    assert all(post["headers"].get("x-csrftoken") for post in posts)
    assert json.loads(posts[1]["body"]) == {
        "channel": "web",
        "app_name": "快送外卖",
        "description": DESCRIPTION,
        "app": app.pk,
        "consent_share_with_operator": False,
        "consent_publish": False,
    }
    # The draft is gone: a new visit starts afresh, with a new key.
    consumer.go("/file/quick/")
    assert page.locator("#id_app_name").input_value() == ""
    assert consumer.csp_violations == []


def test_answers_changed_after_a_lost_answer_go_as_a_new_complaint_only_when_asked(
    open_screen, app
):
    """Sent, its answer lost, then changed: the key has filed other answers already, so the
    filing API refuses (409); the page says what most likely happened and files the changed
    answers only when the consumer asks, under a new key."""
    consumer = open_screen("consumer")
    page = consumer.page
    consumer.go("/file/quick/")
    page.get_by_label("App name").fill("快送外卖")
    continue_(page)
    page.get_by_role("textbox", name="What happened?").fill(DESCRIPTION)
    for _step in ("what", "evidence", "contact"):
        continue_(page)

    def lose_the_answer(route):
        route.fetch()
        route.abort()

    page.route(f"**{API}", lose_the_answer)
    page.get_by_role("button", name="Send the complaint").click()
    page.get_by_role("button", name="Try again").wait_for()
    page.unroute(f"**{API}")
    first = Complaint.objects.get()
    for _step in ("contact", "evidence", "what"):
        page.get_by_role("button", name="Back").click()
    page.get_by_role("textbox", name="What happened?").fill(DESCRIPTION + "又扣了一次费。")
    for _step in ("what", "evidence", "contact"):
        continue_(page)
    page.get_by_role("button", name="Send the complaint").click()
    renew = page.get_by_role("button", name="Send it as a new complaint")
    renew.wait_for()
    assert "most likely received already" in page.locator("[data-general-error]").inner_text()
    assert not page.get_by_role("button", name="Try again").is_visible()
    assert Complaint.objects.count() == 1
    consumer.step("conflict")
    renew.click()
    page.get_by_text("We received your complaint").wait_for()
    second = Complaint.objects.exclude(pk=first.pk).get()
    assert page.locator("#tracking-number").inner_text() == second.tracking_number
    assert second.description == DESCRIPTION + "又扣了一次费。"
    assert second.idempotency_key != first.idempotency_key


def step_pages_to_sent(page) -> None:
    """The step pages (no JavaScript) from "What happened?" to the done page."""
    page.get_by_label("What happened?", exact=True).fill(DESCRIPTION)
    for _step in ("what", "evidence", "contact"):
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
    assert DESCRIPTION in page.locator("main").inner_text()  # the review
    with page.expect_navigation():
        page.get_by_role("button", name="Send the complaint").click()
    page.get_by_text("We received your complaint").wait_for()


def test_without_javascript_the_step_pages_still_file(chromium, live_server, app):
    context = chromium.new_context(java_script_enabled=False, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live_server.url + "/")
        page.locator("main").get_by_role("link", name="File a complaint").click()
        page.wait_for_url(live_server.url + "/file/quick/")
        assert not page.locator("form.one-page-form").is_visible()
        page.locator("noscript, main").get_by_role(
            "link", name="Use the step-by-step form"
        ).first.click()
        page.wait_for_url(live_server.url + "/file/app/")
        page.get_by_label("App name").fill("快送外卖")
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
        step_pages_to_sent(page)
        filed = Complaint.objects.get()
        assert page.locator("#tracking-number").inner_text() == filed.tracking_number
        assert (filed.channel, filed.app_name) == ("web", "快送外卖")
    finally:
        context.close()


def test_without_javascript_the_apps_named_most_are_choices_on_the_step_page(
    chromium, live_server, app, other_app
):
    make_complaint(app=app)
    statistics_refresh()
    context = chromium.new_context(java_script_enabled=False, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live_server.url + "/file/app/")
        assert page.locator("#named-most").is_visible()
        page.get_by_label("快送外卖 · com.kuaisong.food").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
        step_pages_to_sent(page)
        filed = Complaint.objects.get(description=DESCRIPTION)
        assert page.locator("#tracking-number").inner_text() == filed.tracking_number
        assert (filed.channel, filed.app) == ("web", app)
    finally:
        context.close()


def test_switching_language_on_the_shared_page_then_filing(
    open_screen, settings, monkeypatch, request, app
):
    """An anonymous visitor's page is the copy rendered once for every such visitor: its
    language switch carries the visitor's own CSRF token and address, and the form then shows
    and files in the language chosen. The consumer types the registry app's name and presses
    send before the app search has answered (it answers only then): the filing waits for the
    search and files linked to the app."""
    settings.STATS_SHARED_SECONDS = 60
    searched = intake_selectors.app_search
    sent = threading.Event()
    request.addfinalizer(sent.set)  # a failed journey leaves no search waiting

    def search_answering_after_send(*args, **kwargs):
        sent.wait(timeout=20)
        return searched(*args, **kwargs)

    monkeypatch.setattr(intake_selectors, "app_search", search_answering_after_send)
    first = open_screen("first-visitor")
    first.go("/file/quick/")  # renders the shared English copy
    consumer = open_screen("consumer")
    page = consumer.page
    consumer.go("/file/quick/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert progress(page) == "Step 1 of 5"
    with page.expect_navigation():
        page.locator("header").get_by_role("button", name="简体中文").click()
    assert page.url == f"{consumer.base_url}/file/quick/"
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator("header button[lang=en]").is_visible()  # the way back
    assert progress(page) == "第 1 步，共 5 步"
    consumer.step("switched-to-chinese")
    page.get_by_label("应用名称").fill("快送外卖")
    page.get_by_role("button", name="下一步").click()
    page.locator("#id_description").fill(DESCRIPTION)
    for _step in ("what", "evidence", "contact"):
        page.get_by_role("button", name="下一步").click()
    assert page.locator("#app-suggestions option").count() == 0  # nothing answered yet
    page.get_by_role("button", name="提交投诉").click()
    sent.set()
    page.get_by_text("我们已收到您的投诉").wait_for()
    filed = Complaint.objects.get()
    assert page.locator("#tracking-number").inner_text() == filed.tracking_number
    assert (filed.channel, filed.submitter, filed.language) == ("web", None, "zh-hans")
    assert (filed.description, filed.app_name, filed.app) == (DESCRIPTION, app.name, app)
    assert consumer.errors == [] and consumer.csp_violations == []
    assert first.errors == []


def test_an_app_removed_from_the_registry_after_it_was_offered_files_by_its_name(open_screen, app):
    """The search offered the registry's app, then an administrator removed it (a merge of
    duplicates) before the consumer sent: the API refuses that app, and the page sends the
    complaint again with the name alone, for a regulator to link; the consumer sees it filed."""
    consumer = open_screen("consumer")
    page = consumer.page
    posts = api_posts(consumer)
    consumer.go("/file/quick/")
    page.get_by_label("App name").fill("快送外卖")
    assert offered(page) == ["快送外卖"]
    continue_(page)
    page.get_by_role("textbox", name="What happened?").fill(DESCRIPTION)
    for _step in ("what", "evidence", "contact"):
        continue_(page)
    type(app).objects.filter(pk=app.pk).delete()  # not through App.delete: the copy keeps it

    page.get_by_role("button", name="Send the complaint").click()
    page.get_by_role("heading", name="We received your complaint").wait_for()

    filed = Complaint.objects.get()
    assert page.locator("#tracking-number").inner_text() == filed.tracking_number
    assert (filed.app, filed.app_name, filed.description) == (None, "快送外卖", DESCRIPTION)
    first, second = (json.loads(post["body"]) for post in posts)
    assert first["app"] == app.pk and "app" not in second
    assert {post["headers"]["idempotency-key"] for post in posts} == {filed.idempotency_key}
    assert page.locator("[data-general-error]").is_hidden()
    assert without_refusals(consumer.errors) == [] and consumer.csp_violations == []


def describe_and_send(page) -> None:
    continue_(page)
    page.get_by_role("textbox", name="What happened?").fill(DESCRIPTION)
    for _step in ("what", "evidence", "contact"):
        continue_(page)
    page.get_by_role("button", name="Send the complaint").click()
    page.get_by_role("heading", name="We received your complaint").wait_for()


def test_the_apps_named_most_are_offered_before_typing_and_file_without_a_search(
    open_screen, app, other_app, rita
):
    """The apps complaints named most lately are offered in the field before anything is
    typed. One of them typed in full files linked to its registry app with no app search at
    all (on a phone, one round trip fewer); a name that is not one of them is searched as
    before. The regulator sees the complaint matched to its app."""
    for named in (other_app, other_app, app):
        make_complaint(app=named)
    statistics_refresh()
    consumer = open_screen("consumer", viewport="phone")
    page = consumer.page
    posts, searches = api_posts(consumer), app_searches(consumer)
    consumer.go("/file/quick/")
    assert offered(page) == ["云途出行", "快送外卖"]  # named most first
    page.get_by_label("App name").fill("云途")  # part of a name: searched
    expect(page.locator("#app-suggestions option")).to_have_count(1)
    assert offered(page) == ["云途出行"] and len(searches) == 1
    page.get_by_label("App name").fill("快送外卖")
    expect(page.locator("#app-suggestions option")).to_have_attribute("value", "快送外卖")
    consumer.step("an-app-named-often")
    describe_and_send(page)

    filed = Complaint.objects.get(description=DESCRIPTION)
    assert (filed.app, filed.app_name) == (app, "快送外卖")
    assert len(searches) == 1 and "q=%E4%BA%91%E9%80%94" in searches[0]  # "云途" only
    [post] = posts
    assert json.loads(post["body"])["app"] == app.pk
    assert consumer.errors == [] and consumer.csp_violations == []

    regulator = open_screen("rita")
    regulator.login("rita", "pw-rita")
    shown = regulator.go(f"/triage/{filed.pk}/").locator("main").inner_text()
    assert f"快送外卖 · {app.operator.name}" in shown
    assert "not matched to a known app" not in shown


def test_a_name_two_registry_apps_bear_files_by_the_name_alone(open_screen, app):
    """One of the apps named most shares its name with another registry app: typed, the name
    offers both and files unlinked, for a regulator to say which app it is."""
    namesake = AppFactory(name="快送外卖", package_name="com.other.kuaisong")
    make_complaint(app=app)
    statistics_refresh()
    consumer = open_screen("consumer")
    page = consumer.page
    posts, searches = api_posts(consumer), app_searches(consumer)
    consumer.go("/file/quick/")
    labels = "all => all.map(o => [o.value, o.label])"
    assert page.locator("#app-suggestions option").evaluate_all(labels) == [
        ["快送外卖", app.package_name],
        ["快送外卖", namesake.package_name],
    ]
    page.get_by_label("App name").fill("快送外卖")
    describe_and_send(page)

    filed = Complaint.objects.get(description=DESCRIPTION)
    assert (filed.app, filed.app_name) == (None, "快送外卖")
    assert "app" not in json.loads(posts[0]["body"]) and searches == []
    assert consumer.errors == [] and consumer.csp_violations == []
