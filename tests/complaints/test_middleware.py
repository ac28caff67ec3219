"""No HTML page shows a bidi control character, even in text stored before every door took
them out: the triage queue and page, the consumer's /my/ and the admin. Requests under
/api/v1/ take their own, shorter middleware chain, which keeps what the API promises."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints.models import Complaint
from tests.factories import make_complaint
from tests.otp import VerifiedClient as Client

RLO = "\u202e"
# What a RIGHT-TO-LEFT OVERRIDE does: "invoice\u202egpj.exe" shows as "invoiceexe.jpg".
TRICK = f"see invoice{RLO}gpj.exe and call \u2066135\u2069"


@pytest.fixture
def stored_before(alice):
    complaint = make_complaint(app_name="Shop", submitter=alice)
    # Written past the input cleaning, as a row stored before it existed would be.
    Complaint.objects.filter(pk=complaint.pk).update(
        description=TRICK, description_masked=TRICK, app_name=f"Shop{RLO}ppA"
    )
    return complaint


def page(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("rita", lambda c: reverse("triage:detail", args=[c.pk])),
        ("rita", lambda c: reverse("triage:queue") + "?status=submitted"),
        ("alice", lambda c: reverse("my_complaints")),
        ("ada", lambda c: reverse("admin:complaints_complaint_change", args=[c.pk])),
        ("ada", lambda c: reverse("admin:complaints_complaint_changelist")),
    ],
)
def test_pages_show_no_bidi_control(request, stored_before, who, url):
    html = page(request.getfixturevalue(who), url(stored_before))
    assert "see invoicegpj.exe" in html or "ShopppA" in html  # the text itself is still there
    for control in (RLO, "\u2066", "\u2069"):
        assert control not in html


def test_the_api_answers_the_text_as_stored(stored_before, rita):
    client = Client()
    client.force_login(rita)
    response = client.get(f"/api/v1/triage/{stored_before.pk}/")
    assert response.status_code == 200
    assert response.json()["description"] == TRICK


# --- The API's own middleware chain ------------------------------------------------------------


def test_the_api_chain_is_the_pages_chain_without_what_only_pages_need(settings):
    # Written out: a middleware added to MIDDLEWARE is not on the API's path until it is
    # added here too, on purpose.
    assert settings.API_MIDDLEWARE == [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.locale.LocaleMiddleware",
        "django.middleware.common.CommonMiddleware",
        "complaints.middleware.HtmlAnswersOnly",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django_otp.middleware.OTPMiddleware",
        "complaints.middleware.StaffIdleTimeoutMiddleware",
        "axes.middleware.AxesMiddleware",
    ]
    assert settings.MIDDLEWARE[:2] == [
        "django.middleware.security.SecurityMiddleware",
        "complaints.middleware.ApiMiddlewareSplit",
    ]


def _filing(client, **headers):
    return client.post(
        "/api/v1/complaints/",
        {"app_name": "Shop", "description": "Charged twice."},
        content_type="application/json",
        **headers,
    )


@pytest.mark.django_db
def test_a_json_answer_has_the_api_chains_headers_only():
    response = _filing(Client(), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 201
    # SecurityMiddleware (before the split), LocaleMiddleware and CommonMiddleware ran.
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Content-Language"] == "en"
    assert "Accept-Language" in response["Vary"]
    assert response["Content-Length"] == str(len(response.content))
    # What only pages need did not.
    assert "Content-Security-Policy" not in response
    assert "X-Frame-Options" not in response


@pytest.mark.django_db
def test_api_errors_are_in_the_callers_language():
    response = Client().post(
        "/api/v1/complaints/",
        {"app_name": "Shop"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["description"] == ["Describe what happened."]


@pytest.mark.django_db
def test_an_anonymous_api_call_leaves_the_session_store_alone():
    with CaptureQueriesContext(connection) as queries:
        response = _filing(Client())
    assert response.status_code == 201
    assert not [q for q in queries if "django_session" in q["sql"]]
    assert "sessionid" not in response.cookies


@pytest.mark.django_db
def test_a_session_authenticated_api_write_needs_the_csrf_token(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    refused = _filing(browser)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]["message"]
    browser.get(reverse("file_step", args=["app"]))  # a form page sets the cookie
    token = browser.cookies["csrftoken"].value
    assert _filing(browser, HTTP_X_CSRFTOKEN=token).status_code == 201


@pytest.mark.django_db
def test_an_html_answer_under_the_api_gets_what_every_page_gets(stored_before, alice):
    # The browsable API is an HTML page under /api/v1/: policy, frame rule, no bidi controls.
    Complaint.objects.filter(pk=stored_before.pk).update(submitter=alice)
    client = Client()
    client.force_login(alice)
    response = client.get("/api/v1/complaints/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    html = response.content.decode()
    assert "ShopppA" in html
    assert RLO not in html
    # The same list as JSON keeps the text as stored.
    assert client.get("/api/v1/complaints/").json()["results"][0]["app_name"] == f"Shop{RLO}ppA"
