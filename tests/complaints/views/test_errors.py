"""Error pages: 400, 403, 404 and 500 in the site's design and the visitor's language, a CSRF
failure that says to reload, and the status page's referrer policy that lets its forms work."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import include, path, reverse

from tests.factories import make_complaint
from tests.otp import VerifiedClient as Client


def _boom(request):
    raise RuntimeError("broken on purpose")


def _forbidden(request):
    raise PermissionDenied


urlpatterns = [
    path("boom/", _boom),
    path("forbidden/", _forbidden),
    path("", include("config.urls")),
]
handler403 = "complaints.views.errors.permission_denied"
handler500 = "complaints.views.errors.server_error"


@pytest.fixture
def visitor():
    return Client(raise_request_exception=False)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading"), [("en", "Page not found"), ("zh-hans", "页面不存在")]
)
def test_404_in_the_visitors_language_and_the_sites_design(visitor, language, heading):
    response = visitor.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    html = response.content.decode()
    assert heading in html
    assert 'class="site-header"' in html and 'href="/track/"' in html


@pytest.mark.django_db
@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "Nothing you already submitted is lost"), ("zh-hans", "您已提交的内容不会丢失")],
)
def test_500_says_nothing_was_lost_in_the_visitors_language(visitor, language, text):
    response = visitor.get("/boom/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 500
    html = response.content.decode()
    assert text in html
    assert "appwatch.css" in html


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_500_falls_back_to_a_static_page_when_the_template_fails(visitor, settings):
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [], "APP_DIRS": False, "OPTIONS": {"loaders": []}}
    ]
    response = visitor.get("/boom/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_403_in_the_sites_design(visitor):
    response = visitor.get("/forbidden/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()


@pytest.mark.django_db
def test_400_for_a_bad_host_header(visitor):
    response = visitor.get("/", HTTP_HOST="bad host", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Request not understood" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "text"), [("en", "reload the page"), ("zh-hans", "刷新页面后重新提交")]
)
def test_csrf_failure_says_to_reload_and_changes_nothing(language, text):
    complaint = make_complaint()
    browser = Client(enforce_csrf_checks=True)
    browser.get(
        reverse("track_detail", args=[complaint.tracking_number]) + "?t=" + complaint.test_token
    )
    response = browser.post(
        reverse("track_withdraw", args=[complaint.tracking_number]),
        {"reason": "changed my mind"},
        HTTP_ACCEPT_LANGUAGE=language,
        HTTP_ORIGIN="null",
    )
    assert response.status_code == 403
    assert text in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status != "withdrawn"


@pytest.mark.django_db
def test_status_page_keeps_the_referrer_within_the_site(client):
    """`no-referrer` made Chromium send `Origin: null` with the page's own forms; the token
    stays out of every address a page is shown at instead."""
    complaint = make_complaint()
    first = client.get(
        reverse("track_detail", args=[complaint.tracking_number]) + "?t=" + complaint.test_token
    )
    assert first.status_code == 302 and complaint.test_token not in first["Location"]
    page = client.get(first["Location"])
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin"
    assert 'name="referrer"' not in page.content.decode()
