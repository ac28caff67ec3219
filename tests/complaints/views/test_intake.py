"""The web form: every step, both languages, every validation error, duplicates, and escaping."""

import io
import re

import pytest
from django.urls import reverse
from PIL import ExifTags, Image

from complaints.encryption import email_index
from complaints.models import Complaint, Event, Evidence
from complaints.services.statistics import statistics_refresh
from early_warning.clustering import complaints_cluster
from tests.factories import AppFactory, category, make_complaint

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def en(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def zh(client):
    client.cookies["django_language"] = "zh-hans"
    return client


def photo_with_gps(name="gps.jpg"):
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(out, "JPEG", exif=exif)
    out.name = name
    out.seek(0)
    return out


def step(client, name, data=None, **extra):
    url = reverse("file_step", args=[name])
    return client.post(url, data, **extra) if data is not None else client.get(url)


def file_through(
    client,
    *,
    app,
    description="这个应用不给通讯录权限就闪退，还一直弹窗。",
    kind="",
    details=None,
    files=(),
    contact=None,
):
    response = step(
        client,
        "app",
        {"app": app.pk}
        if app
        else {"app_name": "新应用", "app_store": "华为应用市场", "app_version": "1.2"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    response = step(client, "what", {"description": description, "kind": kind})
    assert response.status_code == 302, response.content.decode()[:2000]
    if details is not None:
        response = step(client, "details", details)
        assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(
        reverse("file_step", args=["evidence"]), {"files": list(files), "action": "continue"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    response = step(client, "contact", contact or {})
    assert response.status_code == 302, response.content.decode()[:2000]
    review = step(client, "review")
    assert review.status_code == 200
    return review


def test_happy_path_in_english(en, app, media):
    review = file_through(
        en,
        app=app,
        kind="over_permission",
        details={"permissions": ["contacts", "location"], "refused_without": "yes"},
        files=[photo_with_gps()],
        contact={
            "contact_phone": "138 1234 5678",
            "contact_email": "a@example.com",
            "consent_share_with_operator": "on",
        },
    )
    page = review.content.decode()
    assert 'lang="en"' in page and "Check and send" in page
    assert "Contacts, Location" in page  # the details, as chosen
    response = step(en, "review", {})
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "file_done", args=[complaint.tracking_number]
    )
    assert complaint.app == app and complaint.channel == "web" and complaint.language == "en"
    assert complaint.category_hint == category("over_permission")
    assert complaint.details == {"permissions": ["contacts", "location"], "refused_without": "yes"}
    assert complaint.contact_phone == "+8613812345678" and complaint.consent_share_with_operator
    evidence = Evidence.objects.get(complaint=complaint)
    assert dict(Image.open(media / evidence.file.name).getexif()) == {}

    done = en.get(response["Location"])
    text = done.content.decode()
    token = re.search(r'id="access-code">([^<]+)<', text).group(1)
    assert complaint.tracking_number in text and "?t=" + token in text
    # The private link opens the status page.
    fresh = en.__class__()
    link = fresh.get(reverse("track_detail", args=[complaint.tracking_number]) + "?t=" + token)
    assert link.status_code == 302
    assert fresh.get(link["Location"]).status_code == 200


def test_happy_path_in_chinese(zh, app):
    review = file_through(
        zh,
        app=None,
        description="大数据杀熟：同一酒店房间老用户看到的价格更贵。",
        kind="price_discrimination",
        details={
            "item": "上海某酒店大床房",
            "my_price": "688",
            "my_device": "iPhone 老会员",
            "other_price": "528",
            "other_device": "朋友的安卓新账号",
            "seen_at": "2024-05-01T20:30",
        },
    )
    assert 'lang="zh-Hans"' in review.content.decode()
    assert step(zh, "review", {}).status_code == 302
    complaint = Complaint.objects.get()
    assert (
        complaint.language == "zh-hans" and complaint.app is None and complaint.app_name == "新应用"
    )
    assert complaint.app_store == "华为应用市场" and complaint.app_version == "1.2"
    assert complaint.details["observations"][0]["price"] == "688.00"
    assert complaint.details["observations"][1]["device_or_account"] == "朋友的安卓新账号"
    assert str(complaint.occurred_date) == "2024-05-01"


def test_fraud_details_feed_the_amount(en, app):
    file_through(
        en,
        app=app,
        kind="fraud",
        details={
            "amount_lost": "2999.50",
            "payment_channel": "alipay",
            "scam_phones": "+86 170 0000 1111\n02112345678",
            "scam_urls": "http://fake-refund.example/cs",
        },
    )
    step(en, "review", {})
    complaint = Complaint.objects.get()
    assert str(complaint.amount) == "2999.50"
    assert complaint.details["scam_phones"] == ["+86 170 0000 1111", "02112345678"]


def test_charge_details_feed_amount_and_date(en, app):
    file_through(
        en,
        app=app,
        kind="unauthorized_charges",
        details={
            "amount_charged": "30",
            "charged_date": "2024-04-02",
            "subscription_name": "VIP",
            "renewal_reminder": "no",
        },
    )
    step(en, "review", {})
    complaint = Complaint.objects.get()
    assert (str(complaint.amount), str(complaint.occurred_date)) == ("30.00", "2024-04-02")


def test_app_search_finds_by_alias_package_and_typo(en, app, other_app):
    page = en.get(reverse("file_step", args=["app"]), {"q": "kuaisong"}).content.decode()
    assert "快送外卖" in page and "云途出行" not in page
    assert (
        "快送外卖"
        in en.get(reverse("file_step", args=["app"]), {"q": "com.kuaisong.food"}).content.decode()
    )
    assert (
        "云途出行" in en.get(reverse("file_step", args=["app"]), {"q": "yun tu"}).content.decode()
    )
    nothing = en.get(reverse("file_step", args=["app"]), {"q": "zzzzqqq"}).content.decode()
    assert "No app in our registry looks like" in nothing


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("app", {}, "Choose the app from the list, or type its name."),
        ("app", {"app": "999999"}, "Choose one of the apps listed."),
        ("what", {"description": ""}, "Describe what happened."),
        ("what", {"description": "太短"}, "Please write at least 10 characters."),
        (
            "what",
            {"description": "x" * 5001},
            "Ensure this value has at most 5000 characters (it has 5001).",
        ),
        (
            "what",
            {"description": "这个应用不给权限就闪退了", "kind": "nonsense"},
            "Select a valid choice. That choice is not one of the available choices.",
        ),
        (
            "what",
            {"description": "这个应用不给权限就闪退了", "occurred_date": "2999-01-01"},
            "This date is in the future.",
        ),
        (
            "what",
            {"description": "这个应用不给权限就闪退了", "occurred_date": "1990-05-01"},
            "This date is more than 10 years ago.",
        ),
        (
            "contact",
            {"contact_phone": "12345"},
            "Enter a valid phone number, for example 138 1234 5678.",
        ),
        ("contact", {"contact_email": "nope@"}, "Enter a valid email address."),
    ],
)
def test_every_step_error_is_shown_beside_its_field(en, app, name, data, message):
    if name != "app":
        step(en, "app", {"app": app.pk})
    if name == "contact":
        step(en, "what", {"description": "这个应用不给权限就闪退了"})
        en.post(reverse("file_step", args=["evidence"]), {"action": "continue"})
    response = step(en, name, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert message.replace('"', "&quot;") in page
    assert 'aria-invalid="true"' in page and 'class="error-summary"' in page


@pytest.mark.parametrize(
    ("kind", "data", "field", "message"),
    [
        (
            "over_permission",
            {"refused_without": "yes"},
            "permissions",
            "Tick at least one permission.",
        ),
        (
            "price_discrimination",
            {
                "item": "房间",
                "my_price": "100",
                "my_device": "a",
                "other_price": "100",
                "other_device": "b",
                "seen_at": "2024-05-01T10:00",
            },
            "other_price",
            "The two prices are the same: enter the price the other account or device saw.",
        ),
        (
            "price_discrimination",
            {
                "item": "房间",
                "my_price": "-1",
                "my_device": "a",
                "other_price": "100",
                "other_device": "b",
                "seen_at": "2024-05-01T10:00",
            },
            "my_price",
            "Ensure this value is greater than or equal to 0.",
        ),
        (
            "fraud",
            {"scam_phones": "call me maybe"},
            "scam_phones",
            "“call me maybe” is not a phone number.",
        ),
        (
            "unauthorized_charges",
            {"amount_charged": "5", "charged_date": "2999-01-01", "renewal_reminder": "no"},
            "charged_date",
            "This date is in the future.",
        ),
        ("account_cancellation", {}, "steps_tried", "This field is required."),
    ],
)
def test_details_errors(en, app, kind, data, field, message):
    step(en, "app", {"app": app.pk})
    step(en, "what", {"description": "这个应用不给权限就闪退了", "kind": kind})
    response = step(en, "details", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (
        f'id="id_{field}_error"' in response.content.decode()
        or f'id="id_{field}' in response.content.decode()
    )


def test_kinds_without_details_skip_that_step(en, app):
    step(en, "app", {"app": app.pk})
    response = step(
        en, "what", {"description": "弹窗广告关不掉，摇一摇就跳转", "kind": "misleading_popups"}
    )
    assert response["Location"] == reverse("file_step", args=["evidence"])
    assert step(en, "details")["Location"] == reverse("file_step", args=["evidence"])


def test_steps_cannot_be_skipped(en, app):
    assert step(en, "review")["Location"] == reverse("file_step", args=["app"])
    step(en, "app", {"app": app.pk})
    assert step(en, "contact")["Location"] == reverse("file_step", args=["what"])


def test_bad_evidence_is_refused_with_its_name(en, app):
    step(en, "app", {"app": app.pk})
    step(en, "what", {"description": "这个应用不给权限就闪退了"})
    fake = io.BytesIO(b"MZ\x90\x00" + b"\x00" * 300)
    fake.name = "../../evil.jpg"
    response = en.post(
        reverse("file_step", args=["evidence"]), {"files": [fake], "action": "continue"}
    )
    assert response.status_code == 200
    assert (
        "“evil.jpg” is not a JPEG, PNG or WebP image or a PDF document."
        in response.content.decode()
    )


def test_evidence_can_be_added_and_removed_before_sending(en, app):
    step(en, "app", {"app": app.pk})
    step(en, "what", {"description": "这个应用不给权限就闪退了"})
    en.post(
        reverse("file_step", args=["evidence"]),
        {"files": [photo_with_gps("one.jpg")], "action": "upload"},
    )
    page = step(en, "evidence").content.decode()
    key = re.search(r'name="remove" value="([0-9a-f]{32})"', page).group(1)
    assert "one.jpg" in page
    en.post(reverse("file_step", args=["evidence"]), {"remove": [key], "action": "continue"})
    step(en, "contact", {})
    step(en, "review", {})
    assert not Evidence.objects.exists()


def test_double_submit_files_one_complaint(en, app):
    file_through(en, app=app)
    session = en.session
    saved = dict(session["filing"])
    step(en, "review", {})
    # The same reviewed draft sent again (a second tab, a double click): no second complaint.
    session = en.session
    session["filing"] = saved
    session.save()
    step(en, "review", {})
    assert Complaint.objects.count() == 1


def test_own_earlier_complaint_and_collective_hint(en, app, alice, settings):
    settings.COLLECTIVE_HINT_THRESHOLD = 3
    earlier = make_complaint(app=app, submitter=alice)
    alike = [make_complaint(app=app, category_hint=category("over_permission")) for _ in range(3)]
    unlike = make_complaint(
        app=app, description="会员自动续费没有任何提醒。", category_hint=category("over_permission")
    )  # same app and kind, another story: not one of them
    alike.append(unlike)
    # The hint reads early warning's clusters, which form as complaints are classified.
    complaints_cluster(complaint_ids=[c.pk for c in alike])
    en.force_login(alice)
    page = file_through(
        en,
        app=app,
        kind="over_permission",
        details={"permissions": ["contacts"], "refused_without": "yes"},
    ).content.decode()
    assert "You already complained about this app" in page and earlier.tracking_number in page
    assert "Many people report this" in page and "3 alike complaints about this app" in page


def test_no_hints_for_someone_else(en, app, alice, bob):
    make_complaint(app=app, submitter=alice)
    en.force_login(bob)
    page = file_through(en, app=app).content.decode()
    assert "You already complained" not in page and "Many people report this" not in page


def test_signed_in_filing_lands_in_my_complaints(en, app, alice):
    en.force_login(alice)
    file_through(en, app=app)
    step(en, "review", {})
    complaint = Complaint.objects.get()
    assert complaint.submitter == alice
    assert Event.objects.get(complaint=complaint, kind="created").actor == alice
    assert complaint.tracking_number in en.get(reverse("my_complaints")).content.decode()


def test_xss_in_the_description_is_escaped_on_review_status_and_my_complaints(en, app, alice):
    en.force_login(alice)
    review = file_through(en, app=app, description=XSS).content.decode()
    assert (
        "<script>alert" not in review
        and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in review
    )
    step(en, "review", {})
    complaint = Complaint.objects.get()
    for url in (
        reverse("track_detail", args=[complaint.tracking_number]),
        reverse("my_complaints"),
    ):
        page = en.get(url).content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;" in page


def test_done_page_is_only_for_the_session_that_filed(en, app, client):
    file_through(en, app=app)
    step(en, "review", {})
    complaint = Complaint.objects.get()
    from django.test import Client

    assert Client().get(reverse("file_done", args=[complaint.tracking_number])).status_code == 404


def test_unknown_step_and_wrong_method(en):
    assert en.get("/file/nope/").status_code == 404
    assert en.delete(reverse("file_step", args=["app"])).status_code == 405
    assert en.post(reverse("file")).status_code == 405


def test_start_again_clears_the_draft(en, app):
    step(en, "app", {"app": app.pk})
    assert en.get(reverse("file") + "?new=1")["Location"] == reverse("file_step", args=["app"])
    assert "filing" not in en.session


def test_pages_need_no_javascript_and_load_nothing_from_elsewhere(en, app):
    for name in ("app",):
        page = step(en, name).content.decode()
        assert "<script" not in page
        assert not re.search(r'(src|href)="https?://', page)


def test_a_new_registry_app_is_offered_after_search(en, db):
    AppFactory(name="美味外卖", aliases=["MeiWei"], package_name="com.meiwei")
    page = en.get(reverse("file_step", args=["app"]), {"q": "美味"}).content.decode()
    assert 'type="radio"' in page and "美味外卖" in page


def test_before_a_search_the_apps_named_most_are_offered(en, app, other_app):
    """The step page for browsers without JavaScript offers what the one-page form's field
    does before anything is typed: the apps complaints named most lately, to choose from."""
    url = reverse("file_step", args=["app"])
    assert 'id="named-most"' not in en.get(url).content.decode()  # none counted yet
    for named in (other_app, other_app, app):
        make_complaint(app=named)
    statistics_refresh()

    page = en.get(url).content.decode()
    assert 'id="named-most"' in page
    assert re.findall(r'<input type="radio" name="app" value="(\d+)"', page) == [
        str(other_app.pk),
        str(app.pk),
    ]
    assert "快送外卖 · com.kuaisong.food" in page
    searched = en.get(url, {"q": "kuaisong"}).content.decode()
    assert 'id="named-most"' not in searched and str(other_app.pk) not in re.findall(
        r'<input type="radio" name="app" value="(\d+)"', searched
    )
    assert step(en, "app", {"app": other_app.pk, "q": ""}).status_code == 302
    assert en.session["filing"]["app"]["app"] == [str(other_app.pk)]


def test_more_than_five_files_are_refused(en, app):
    step(en, "app", {"app": app.pk})
    step(en, "what", {"description": "这个应用不给权限就闪退了"})
    files = []
    for i in range(6):
        photo = photo_with_gps(f"{i}.jpg")
        files.append(photo)
    response = en.post(
        reverse("file_step", args=["evidence"]), {"files": files, "action": "continue"}
    )
    assert response.status_code == 200
    assert "Attach at most 5 files." in response.content.decode()
    # Five now and one more later is refused too.
    en.post(
        reverse("file_step", args=["evidence"]),
        {"files": [photo_with_gps(f"k{i}.jpg") for i in range(5)], "action": "upload"},
    )
    response = en.post(
        reverse("file_step", args=["evidence"]),
        {"files": [photo_with_gps("sixth.jpg")], "action": "continue"},
    )
    assert "A complaint can have at most 5 files." in response.content.decode()


# --- the receipt e-mail -------------------------------------------------------------------------


def test_receipt_goes_to_the_address_given_in_the_filing_language(
    en, app, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://127.0.0.1:18101"
    file_through(en, app=app, contact={"contact_email": "mei@example.com"})
    with django_capture_on_commit_callbacks(execute=True):
        done = step(en, "review", {})
    complaint = Complaint.objects.get()
    token = re.search(r'id="access-code">([^<]+)<', en.get(done["Location"]).content.decode())[1]
    (mail,) = mailoutbox
    assert mail.to == ["mei@example.com"]
    assert mail.subject == f"We received your complaint {complaint.tracking_number}"
    link = f"http://127.0.0.1:18101/track/{complaint.tracking_number}/?t={token}"
    assert link in mail.body and "Keep it to yourself" in mail.body
    # The link in the e-mail opens the complaint in a browser that never saw the form.
    fresh = en.__class__()
    opened = fresh.get(link.removeprefix(settings.SITE_URL), follow=True)
    assert opened.status_code == 200 and complaint.tracking_number in opened.content.decode()


def test_receipt_in_chinese_and_none_without_an_address(
    zh, app, mailoutbox, django_capture_on_commit_callbacks
):
    file_through(zh, app=app)
    with django_capture_on_commit_callbacks(execute=True):
        step(zh, "review", {})
    assert mailoutbox == []
    file_through(zh, app=app, contact={"contact_email": "lei@example.com"})
    with django_capture_on_commit_callbacks(execute=True):
        step(zh, "review", {})
    complaint = Complaint.objects.get(contact_email_index=email_index("lei@example.com"))
    (mail,) = mailoutbox
    assert mail.subject == f"我们已收到您的投诉 {complaint.tracking_number}"
    assert (
        "您的专属查询链接" in mail.body and f"/track/{complaint.tracking_number}/?t=" in mail.body
    )


# --- consent to share with the operator, in the form's words ------------------------------------


@pytest.mark.parametrize(
    ("language", "consent", "says"),
    [
        ("en", {}, "The operator sees only your description with personal data masked, not your"),
        ("en", {"consent_share_with_operator": "on"}, "your files and the amount, and can answer"),
        ("zh-hans", {}, "看不到您上传的文件和涉及金额"),
        ("zh-hans", {"consent_share_with_operator": "on"}, "您上传的文件和涉及金额，并可答复您"),
    ],
)
def test_the_form_says_what_the_operator_gets(client, app, language, consent, says):
    client.cookies["django_language"] = language
    review = file_through(client, app=app, contact=consent).content.decode()
    assert says in review
    assert {"en": "Never your name, phone or e-mail.", "zh-hans": "一律不提供"}[language] in review
    contact = step(client, "contact").content.decode()
    assert {
        "en": "Without this, the operator sees only your description with personal data masked",
        "zh-hans": "不勾选时，运营者只能看到已遮蔽个人信息的投诉描述",
    }[language] in contact
