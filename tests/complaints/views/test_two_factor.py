"""Two-factor log-in: regulators and admins get nowhere (pages, API, admin) until their session
has shown a code; setting up an app; codes and recovery codes, each usable once."""

import base64
import re
from urllib.parse import quote

import pytest
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from tests.conftest import _user
from tests.otp import VerifiedClient, authenticator, code_now

pytestmark = pytest.mark.django_db

WRONG_EN = (
    "That code is not right. Enter the 6-digit code your authenticator app shows now, "
    "or one of your recovery codes."
)
WRONG_ZH = "验证码不正确。请输入身份验证器应用当前显示的 6 位数字，或一个恢复码。"


def verify_url(next_path: str) -> str:
    return reverse("two_factor_verify") + "?next=" + quote(next_path, safe="/")


@pytest.fixture
def half_logged_in(rita):
    """Rita after the password step only."""
    client = VerifiedClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login_password_only(rita)
    return client


# --- refused until verified -----------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/triage/", "/cases/", "/dashboard/", "/admin/", "/admin/complaints/complaint/", "/"]
)
def test_an_unverified_staff_session_is_sent_to_the_two_factor_step(half_logged_in, path):
    response = half_logged_in.get(path)
    assert response.status_code == 302
    assert response.url == verify_url(path)


def test_an_unverified_staff_session_cannot_post_either(half_logged_in, app):
    from tests.factories import make_complaint

    complaint = make_complaint(app=app)
    response = half_logged_in.post(
        reverse("triage:action", args=[complaint.pk, "accept"]), {"categories": ["fraud"]}
    )
    assert response.status_code == 302 and response.url.startswith(reverse("two_factor_verify"))
    complaint.refresh_from_db()
    assert complaint.status == "submitted"


def test_the_api_refuses_an_unverified_staff_session_in_the_one_error_shape(half_logged_in):
    response = half_logged_in.get("/api/v1/triage/")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "Finish logging in with your two-factor code first."
    )


def test_the_admin_requires_the_second_factor_for_an_admin(ada):
    client = VerifiedClient()
    client.force_login_password_only(ada)
    assert client.get("/admin/").url == verify_url("/admin/")
    client.force_login(ada)
    assert client.get("/admin/").status_code == 200


def test_a_verified_regulator_gets_the_pages_and_the_api(client, rita):
    client.force_login(rita)
    assert client.get("/triage/").status_code == 200
    assert client.get("/api/v1/triage/").status_code == 200


def test_operators_and_consumers_are_not_asked(olivia, alice):
    for user, path in ((olivia, "/operator/"), (alice, "/my/")):
        client = VerifiedClient()
        client.force_login_password_only(user)
        assert client.get(path).status_code == 200
        assert client.get(reverse("two_factor_setup")).status_code == 404


def test_http_basic_is_closed_to_staff_and_open_to_others(rita, olivia):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    token = base64.b64encode(b"rita:pw-rita").decode()
    response = api.get("/api/v1/triage/", HTTP_AUTHORIZATION=f"Basic {token}")
    assert response.status_code in (401, 403)
    assert "cannot use HTTP Basic" in response.json()["error"]["message"]
    token = base64.b64encode(b"olivia:pw-olivia").decode()
    response = api.get("/api/v1/operator/complaints/", HTTP_AUTHORIZATION=f"Basic {token}")
    assert response.status_code == 200


@override_settings(OTP_REQUIRED_FOR_STAFF=False)
def test_the_requirement_can_be_switched_off(half_logged_in):
    assert half_logged_in.get("/triage/").status_code == 200


# --- the second step ------------------------------------------------------------------------


def test_the_code_from_the_app_lets_her_in_and_works_once(half_logged_in, rita):
    device = authenticator(rita)
    code = code_now(device)
    response = half_logged_in.post(reverse("two_factor_verify"), {"code": code, "next": "/triage/"})
    assert response.status_code == 302 and response.url == "/triage/"
    assert half_logged_in.get("/triage/").status_code == 200
    # The same code again, in another browser: refused (one use per 30 s step).
    other = VerifiedClient(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login_password_only(rita)
    response = other.post(reverse("two_factor_verify"), {"code": code})
    assert response.status_code == 400
    assert WRONG_EN in response.content.decode()


def test_a_wrong_code_is_refused_in_the_visitors_language(rita):
    for language, message in (("en", WRONG_EN), ("zh-hans", WRONG_ZH)):
        client = VerifiedClient(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login_password_only(rita)
        TOTPDevice.objects.filter(user=rita).update(throttling_failure_count=0)
        response = client.post(reverse("two_factor_verify"), {"code": "000000"})
        assert response.status_code == 400
        assert message in response.content.decode()
        assert client.get("/triage/").status_code == 302


def test_repeated_wrong_codes_slow_down(half_logged_in, rita):
    half_logged_in.post(reverse("two_factor_verify"), {"code": "000000"})
    response = half_logged_in.post(
        reverse("two_factor_verify"), {"code": code_now(authenticator(rita))}
    )
    assert response.status_code == 400
    assert "Too many wrong codes. Wait a minute, then try again." in response.content.decode()


def test_a_recovery_code_works_once(rita):
    client = VerifiedClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(rita)
    client.post(reverse("two_factor_recovery_codes"))
    codes = re.findall(
        r"<li><code>([a-z2-7]{8})</code></li>",
        client.get(reverse("two_factor_recovery_codes")).content.decode(),
    )
    assert len(codes) == 10
    first = VerifiedClient(HTTP_ACCEPT_LANGUAGE="en")
    first.force_login_password_only(rita)
    response = first.post(
        reverse("two_factor_verify"), {"code": codes[0].upper(), "next": "/cases/"}
    )
    assert response.url == "/cases/"
    assert first.get("/cases/").status_code == 200
    assert StaticToken.objects.filter(device__user=rita).count() == 9
    again = VerifiedClient(HTTP_ACCEPT_LANGUAGE="en")
    again.force_login_password_only(rita)
    response = again.post(reverse("two_factor_verify"), {"code": codes[0]})
    assert response.status_code == 400 and WRONG_EN in response.content.decode()


def test_codes_are_shown_once_and_new_ones_end_the_old(client, rita):
    client.force_login(rita)
    client.post(reverse("two_factor_recovery_codes"))
    page = client.get(reverse("two_factor_recovery_codes")).content.decode()
    old = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page)
    assert len(old) == 10
    again = client.get(reverse("two_factor_recovery_codes")).content.decode()
    assert not any(code in again for code in old)
    client.post(reverse("two_factor_recovery_codes"))
    assert not StaticToken.objects.filter(token__in=old).exists()
    assert StaticToken.objects.filter(device__user=rita).count() == 10


def test_next_cannot_lead_off_the_site(half_logged_in, rita):
    response = half_logged_in.post(
        reverse("two_factor_verify"),
        {"code": code_now(authenticator(rita)), "next": "https://evil.example/"},
    )
    assert response.url == reverse("home")


# --- setting up an app ----------------------------------------------------------------------


def test_a_new_regulator_sets_up_an_app_and_gets_recovery_codes():
    rosa = _user("rosa", "regulator", is_staff=True)
    client = VerifiedClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login_password_only(rosa)
    response = client.get("/triage/")
    assert response.url == verify_url("/triage/")
    response = client.get(response.url)
    assert response.url == reverse("two_factor_setup") + "?next=/triage/"
    page = client.get(response.url).content.decode()
    # The QR code is drawn here, as an SVG in a data: URL (no outside service, no inline code).
    assert 'src="data:image/svg+xml;base64,' in page
    secret = re.search(r"<code data-secret>([A-Z2-7 ]+)</code>", page).group(1)
    key = base64.b32decode(secret.replace(" ", ""))
    assert not TOTPDevice.objects.filter(user=rosa).exists()  # nothing written by looking

    response = client.post(reverse("two_factor_setup"), {"code": "123456", "next": "/triage/"})
    assert response.status_code == 400 and WRONG_EN in response.content.decode()
    code = f"{TOTP(key).token():06d}"
    response = client.post(reverse("two_factor_setup"), {"code": code, "next": "/triage/"})
    assert response.url == reverse("two_factor_recovery_codes") + "?next=/triage/"
    page = client.get(response.url).content.decode()
    assert len(re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page)) == 10
    assert 'href="/triage/"' in page
    assert client.get("/triage/").status_code == 200
    device = TOTPDevice.objects.get(user=rosa)
    assert device.confirmed and device.bin_key == key


def test_a_password_alone_cannot_replace_the_app(half_logged_in, rita):
    response = half_logged_in.get(reverse("two_factor_setup"))
    assert response.url.startswith(reverse("two_factor_verify"))
    response = half_logged_in.post(reverse("two_factor_setup"), {"code": "123456"})
    assert response.url.startswith(reverse("two_factor_verify"))
    assert TOTPDevice.objects.filter(user=rita).count() == 1


def test_anonymous_visitors_are_sent_to_log_in(client):
    for name in ("two_factor_verify", "two_factor_setup", "two_factor_recovery_codes"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_menu_shows_regulator_screens_only_after_the_second_factor(half_logged_in, rita):
    page = half_logged_in.get(reverse("two_factor_verify")).content.decode()
    assert 'href="/triage/"' not in page and 'href="/dashboard/"' not in page
    assert "Verification code" in page
    half_logged_in.post(reverse("two_factor_verify"), {"code": code_now(authenticator(rita))})
    assert 'href="/triage/"' in half_logged_in.get("/").content.decode()
