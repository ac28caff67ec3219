"""The filing and tracking API: every field error, idempotency, throttling, tokens, ownership."""

import datetime
import io

import pytest
from django.core.cache import caches
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from PIL import ExifTags, Image
from rest_framework.test import APIClient

from complaints.models import Complaint, Evidence
from complaints.services import triage
from tests.factories import make_complaint

URL = "/api/v1/complaints/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def fresh_throttles():
    caches["throttle"].clear()
    yield
    caches["throttle"].clear()


def file(api, body, **headers):
    return api.post(URL, body, format="json", headers=headers)


def track(api, number, token=None):
    headers = {"X-Tracking-Token": token} if token is not None else {}
    return api.get(f"/api/v1/track/{number}/", headers=headers)


def error(response):
    return response.json()["error"]


# --- filing ------------------------------------------------------------------------------------


def test_anonymous_filing_answers_201_with_token_and_link(api, app):
    response = file(
        api, {"app": app.pk, "description": "不给通讯录权限就闪退", "contact_phone": "13812345678"}
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "tracking_number",
        "access_token",
        "status",
        "status_url",
        "decision_due_date",
    }
    assert body["status"] == "submitted"
    assert body["status_url"].startswith(
        "http://testserver/track/" + body["tracking_number"] + "/?t="
    )
    complaint = Complaint.objects.get(tracking_number=body["tracking_number"])
    # What happens next: the day a regulator decides by, after the day of filing.
    assert body["decision_due_date"] == complaint.decision_due_date.isoformat()
    assert complaint.decision_due_date > timezone.localdate(complaint.submitted_at)
    assert (
        complaint.channel == "api"
        and complaint.submitter is None
        and complaint.contact_phone == "+8613812345678"
    )
    assert body["access_token"] not in complaint.access_token_hash


def test_the_filing_answer_is_what_the_schema_documents(api, app):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    answer = schema["paths"][URL]["post"]["responses"]["201"]["content"]["application/json"]
    name = answer["schema"]["$ref"].rpartition("/")[2]
    documented = schema["components"]["schemas"][name]
    body = file(api, {"app": app.pk, "description": "自动续费没有提醒"}).json()
    assert set(body) == set(documented["properties"]) == set(documented["required"])
    assert all(isinstance(value, str) for value in body.values())
    assert documented["properties"]["decision_due_date"]["format"] == "date"
    assert (
        datetime.date.fromisoformat(body["decision_due_date"]).isoformat()
        == (body["decision_due_date"])
    )


def test_filing_with_app_name_only_and_details(api, db):
    body = {
        "app_name": "某购物App",
        "description": "同一件商品我看到的价格比朋友贵",
        "category_hint": "price_discrimination",
        "details": {
            "item": "耳机",
            "my_price": "299",
            "my_device": "iPhone",
            "other_price": "259",
            "other_device": "安卓",
            "seen_at": "2024-05-01T10:00",
        },
    }
    response = file(api, body)
    assert response.status_code == 201, response.json()
    complaint = Complaint.objects.get()
    assert complaint.app is None and complaint.app_name == "某购物App"
    assert complaint.details["observations"][1]["price"] == "259.00"
    assert str(complaint.occurred_date) == "2024-05-01"


def test_signed_in_filing_belongs_to_the_consumer(api, app, alice):
    api.force_authenticate(alice)
    response = file(api, {"app": app.pk, "description": "乱扣费"})
    assert (
        Complaint.objects.get(tracking_number=response.json()["tracking_number"]).submitter == alice
    )


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"app_name": "x"}, "description", "Describe what happened."),
        ({"app_name": "x", "description": "   "}, "description", "Describe what happened."),
        (
            {"app_name": "x", "description": "y" * 5001},
            "description",
            "Ensure this field has no more than 5000 characters.",
        ),
        ({"description": "闪退"}, "app_name", "Give app_name, or the id of an app in app."),
        ({"app": 999999, "description": "闪退"}, "app", "No app with id 999999."),
        ({"app": "abc", "description": "闪退"}, "app", "Give the app's id as a number."),
        (
            {"app_name": "x" * 201, "description": "闪退"},
            "app_name",
            "Ensure this field has no more than 200 characters.",
        ),
        (
            {"app_name": "x", "description": "闪退", "category_hint": "nope"},
            "category_hint",
            "Unknown category: nope.",
        ),
        (
            {"app_name": "x", "description": "闪退", "contact_phone": "123"},
            "contact_phone",
            "Enter a valid phone number, for example 138 1234 5678.",
        ),
        (
            {"app_name": "x", "description": "闪退", "contact_email": "a@"},
            "contact_email",
            "Enter a valid email address.",
        ),
        (
            {"app_name": "x", "description": "闪退", "amount": "-5"},
            "amount",
            "Ensure this value is greater than or equal to 0.",
        ),
        (
            {"app_name": "x", "description": "闪退", "amount": "abc"},
            "amount",
            "A valid number is required.",
        ),
        (
            {"app_name": "x", "description": "闪退", "occurred_date": "yesterday"},
            "occurred_date",
            "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
        ),
        (
            {"app_name": "x", "description": "闪退", "occurred_date": "2099-01-01"},
            "occurred_date",
            "This date is in the future.",
        ),
        (
            {"app_name": "x", "description": "闪退", "occurred_date": "1990-05-01"},
            "occurred_date",
            "This date is more than 10 years ago.",
        ),
        (
            {
                "app_name": "x",
                "description": "闪退",
                "category_hint": "unauthorized_charges",
                "details": {"charged_date": "2099-01-01", "charged_amount": "30"},
            },
            "details.charged_date",
            "This date is in the future.",
        ),
        (
            {"app_name": "x", "description": "闪退", "consent_publish": "maybe"},
            "consent_publish",
            "Must be a valid boolean.",
        ),
        (
            {"app_name": "x", "description": "闪退", "details": [1]},
            "details",
            "Must be a JSON object.",
        ),
        (
            {"app_name": "x", "description": "闪退", "details": {"a": 1}},
            "details",
            "Details are only taken with a category_hint that has them.",
        ),
        (
            {
                "app_name": "x",
                "description": "闪退",
                "category_hint": "over_permission",
                "details": {"refused_without": "yes"},
            },
            "details.permissions",
            "Tick at least one permission.",
        ),
        (
            {
                "app_name": "x",
                "description": "闪退",
                "category_hint": "fraud",
                "details": {"scam_phones": ["not a phone"]},
            },
            "details.scam_phones",
            "“not a phone” is not a phone number.",
        ),
    ],
)
def test_every_field_error_has_the_common_shape(api, db, body, field, message):
    response = file(api, body)
    assert response.status_code == 400
    assert error(response)["code"] == "invalid"
    assert error(response)["fields"][field] == [message]
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "multipart"])
def test_a_category_with_nul_is_unknown_not_a_server_error(api, db, fmt):
    """PostgreSQL refuses NUL even in a query's parameter (make fuzz found the 500)."""
    body = {"app_name": "x", "description": "闪退", "category_hint": "fr\x00aud"}
    response = api.post(URL, body, format=fmt)
    assert response.status_code == 400
    assert error(response)["fields"]["category_hint"] == ["Unknown category: fraud."]


def test_the_one_page_web_form_files_as_the_web_channel(api, app):
    """The site's own one-page form files through this endpoint and says so: its complaints
    count as web filings in the statistics, like the step pages'."""
    response = file(api, {"app": app.pk, "description": "不给通讯录权限就闪退", "channel": "web"})
    assert response.status_code == 201
    complaint = Complaint.objects.get(tracking_number=response.json()["tracking_number"])
    assert complaint.channel == "web"
    assert complaint.events.get().data == {"channel": "web"}


@pytest.mark.parametrize("channel", ["import", "hotline", "email", "WEB", "", None, ["web"]])
def test_a_client_cannot_claim_another_channel(api, app, channel):
    response = file(api, {"app": app.pk, "description": "不给通讯录权限就闪退", "channel": channel})
    assert response.status_code == 400
    assert list(error(response)["fields"]) == ["channel"]
    assert not Complaint.objects.exists()


def test_the_channel_is_documented_with_its_two_values(db):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    body = schema["paths"][URL]["post"]["requestBody"]["content"]
    for media_type in ("application/json", "multipart/form-data"):
        name = body[media_type]["schema"]["$ref"].rsplit("/", 1)[-1]
        channel = schema["components"]["schemas"][name]["properties"]["channel"]
        assert "web" in channel["description"]
        assert sorted(channel.get("enum") or schema["components"]["schemas"][
            channel["allOf"][0]["$ref"].rsplit("/", 1)[-1]]["enum"]) == ["api", "web"]  # fmt: skip


def test_the_schema_says_anyone_may_file_but_only_a_consumer_may_list(db):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = schema["paths"][URL]
    assert {} in operations["post"]["security"]
    assert {} not in operations["get"]["security"] and operations["get"]["security"]


def test_errors_are_translated_by_accept_language(db):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = client.post(
        URL, {"app_name": "x", "description": "闪退", "amount": "abc"}, format="json"
    )
    assert error(response)["fields"]["amount"] == ["请填写合法的数字。"]  # DRF's own catalogue


def test_malformed_json_is_a_400_in_the_common_shape(api, db):
    response = api.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400 and "error" in response.json()


def test_multipart_with_evidence_strips_gps(api, app, media):
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (31.0, 14.0, 0.0)}
    photo = io.BytesIO()
    Image.new("RGB", (30, 20)).save(photo, "JPEG", exif=exif)
    photo.name = "gps.jpg"
    photo.seek(0)
    response = api.post(
        URL,
        {"app": app.pk, "description": "截图为证", "evidence": [photo], "details": "{}"},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    evidence = Evidence.objects.get()
    assert dict(Image.open(media / evidence.file.name).getexif()) == {}


def test_multipart_upload_attack_is_a_field_error(api, app):
    fake = io.BytesIO(b"<html><script>alert(1)</script></html>")
    fake.name = "../../x.png"
    response = api.post(
        URL, {"app": app.pk, "description": "截图", "evidence": [fake]}, format="multipart"
    )
    assert response.status_code == 400
    assert error(response)["fields"]["evidence"] == [
        "“x.png” is not a JPEG, PNG or WebP image or a PDF document."
    ]


# --- idempotency ---------------------------------------------------------------------------------


def test_same_key_and_body_give_the_same_complaint(api, app):
    body = {"app": app.pk, "description": "闪退"}
    first = file(api, body, **{"Idempotency-Key": "abc-123"})
    second = file(api, body, **{"Idempotency-Key": "abc-123"})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Complaint.objects.count() == 1
    assert (
        track(api, first.json()["tracking_number"], second.json()["access_token"]).status_code
        == 200
    )


def test_api_filing_with_an_email_sends_one_receipt_even_when_retried(
    api, app, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://appwatch.example.cn"
    body = {
        "app": app.pk,
        "description": "自动续费没有提醒就扣了 30 元",
        "contact_email": "kai@example.com",
    }
    with django_capture_on_commit_callbacks(execute=True):
        first = file(api, body, **{"Idempotency-Key": "receipt-1"})
        file(api, body, **{"Idempotency-Key": "receipt-1"})
    number, token = first.json()["tracking_number"], first.json()["access_token"]
    (mail,) = mailoutbox
    assert mail.to == ["kai@example.com"] and number in mail.subject
    assert f"https://appwatch.example.cn/track/{number}/?t={token}" in mail.body


def test_same_key_with_another_body_is_409(api, app):
    file(api, {"app": app.pk, "description": "闪退"}, **{"Idempotency-Key": "abc-124"})
    response = file(
        api, {"app": app.pk, "description": "另一件事"}, **{"Idempotency-Key": "abc-124"}
    )
    assert response.status_code == 409
    assert error(response) == {
        "code": "conflict",
        "message": "This Idempotency-Key was already used for a different complaint.",
        "fields": {
            "idempotency_key": ["This Idempotency-Key was already used for a different complaint."]
        },
    }


def test_without_a_key_retries_are_separate(api, app):
    body = {"app": app.pk, "description": "闪退"}
    file(api, body)
    file(api, body)
    assert Complaint.objects.count() == 2


def test_overlong_idempotency_key(api, app):
    response = file(api, {"app": app.pk, "description": "闪退"}, **{"Idempotency-Key": "k" * 101})
    assert response.status_code == 400
    assert error(response)["fields"]["Idempotency-Key"] == ["Use at most 100 printable characters."]


# --- throttling ----------------------------------------------------------------------------------


def test_anonymous_filing_is_throttled_with_retry_after(api, app, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon_submit": "2/min", "track": "100/min"},
    }
    for _ in range(2):
        assert file(api, {"app": app.pk, "description": "闪退"}).status_code == 201
    response = file(api, {"app": app.pk, "description": "闪退"})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert error(response)["code"] == "throttled"
    assert Complaint.objects.count() == 2
    # Another client is not affected; a signed-in consumer is not throttled as anonymous.
    assert (
        APIClient(REMOTE_ADDR="10.0.0.9")
        .post(URL, {"app": app.pk, "description": "闪退"}, format="json")
        .status_code
        == 201
    )


def test_signed_in_filing_is_not_anonymously_throttled(api, app, alice, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon_submit": "1/min", "track": "100/min"},
    }
    api.force_authenticate(alice)
    for _ in range(3):
        assert file(api, {"app": app.pk, "description": "闪退"}).status_code == 201


def test_tracking_is_throttled(api, app, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon_submit": "10/min", "track": "2/min"},
    }
    complaint = make_complaint(app=app)
    assert track(api, complaint.tracking_number, complaint.test_token).status_code == 200
    assert track(api, complaint.tracking_number, "wrong").status_code == 404
    response = track(api, complaint.tracking_number, complaint.test_token)
    assert response.status_code == 429 and response.has_header("Retry-After")


# --- tracking ------------------------------------------------------------------------------------


def test_track_shows_status_categories_and_timeline(api, app, rita):
    complaint = make_complaint(app=app)
    triage.complaint_accept(
        complaint=complaint, actor=rita, category_codes=["over_permission", "illegal_collection"]
    )
    response = track(api, complaint.tracking_number, complaint.test_token)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "accepted" and body["categories"] == [
        "illegal_collection",
        "over_permission",
    ]
    assert body["timeline"][0]["title"] == "We received your complaint."
    assert body["timeline"][-1]["title"] == "Your complaint was accepted and will be followed up."
    assert "description" not in body and "contact_phone" not in body


def test_track_before_classification_has_no_categories(api, app):
    complaint = make_complaint(app=app)
    assert track(api, complaint.tracking_number, complaint.test_token).json()["categories"] == []


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_wrong_or_missing_token_is_404_like_an_unknown_number(api, app, token):
    complaint = make_complaint(app=app)
    response = track(api, complaint.tracking_number, token)
    unknown = track(api, "AW-000000-XXXXXX", complaint.test_token)
    assert response.status_code == unknown.status_code == 404
    assert (
        response.json()
        == unknown.json()
        == {"error": {"code": "not_found", "message": "Not found."}}
    )


def test_another_complaints_token_does_not_open_this_one(api, app):
    mine, theirs = make_complaint(app=app), make_complaint(app=app)
    assert track(api, mine.tracking_number, theirs.test_token).status_code == 404


def test_track_wrong_method(api, app):
    complaint = make_complaint(app=app)
    response = api.post(
        f"/api/v1/track/{complaint.tracking_number}/",
        {},
        headers={"X-Tracking-Token": complaint.test_token},
    )
    assert response.status_code == 405 and error(response)["code"] == "method_not_allowed"


# --- my complaints -------------------------------------------------------------------------------


def test_list_shows_only_my_own(api, app, alice, bob):
    mine = make_complaint(app=app, submitter=alice)
    make_complaint(app=app, submitter=bob)
    make_complaint(app=app)
    api.force_authenticate(alice)
    response = api.get(URL)
    assert response.status_code == 200
    assert [row["tracking_number"] for row in response.json()["results"]] == [mine.tracking_number]
    assert response.json()["results"][0]["status_url"].endswith(f"/track/{mine.tracking_number}/")


def test_list_needs_login(api, db):
    response = api.get(URL)
    assert response.status_code in (401, 403)
    assert error(response)["code"] == "not_authenticated"


def test_list_wrong_method(api, alice):
    api.force_authenticate(alice)
    response = api.put(URL, {}, format="json")
    assert response.status_code == 405


def test_schema_documents_the_endpoints(api, db):
    response = api.get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    for needle in (
        "/api/v1/complaints/",
        "/api/v1/track/{tracking_number}/",
        "X-Tracking-Token",
        "Idempotency-Key",
    ):
        assert needle in text
