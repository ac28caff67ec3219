"""A new regulator's two-factor log-in in Chromium: she sets up her authenticator app from the
QR code the site draws, keeps her recovery codes, logs out, logs in with a code from the app,
then with a recovery code; a wrong code is refused in English and in Chinese, and the session
stays locked until a right one."""

import base64
import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import _user
from tests.otp import code_now

pytestmark = pytest.mark.browser


def english(open_screen, name: str, **kwargs):
    screen = open_screen(name, **kwargs)
    screen.page.context.add_cookies(
        [{"name": "django_language", "value": "en", "url": screen.base_url}]
    )
    return screen


def password_step(screen, username="rosa", password="pw-rosa"):
    page = screen.go("/triage/")
    page.fill("main input[name=username]", username)
    page.fill("main input[name=password]", password)
    screen.submit("Log in")
    return page


def log_out(screen):
    screen.submit("Log out (rosa)", within=screen.page.locator("header"))


def enter(screen, code: str, button: str = "Continue"):
    screen.page.fill("main input[name=code]", code)
    screen.submit(button, within=screen.page.locator("main"))


def test_regulator_sets_up_two_factor_and_logs_in_with_code_and_recovery_code(open_screen, db):
    rosa = _user("rosa", "regulator", is_staff=True)
    screen = english(open_screen, "rosa")

    # The password alone leads to setting up an app, not to the queue.
    page = password_step(screen)
    assert "/accounts/two-factor/setup/" in page.url
    qr = page.locator("main img.qr")
    assert qr.evaluate("img => img.naturalWidth") > 0  # drawn here, allowed by the policy
    assert not TOTPDevice.objects.filter(user=rosa).exists()
    screen.step("setup-qr-code")
    secret = page.locator("main code[data-secret]").inner_text()
    key = base64.b32decode(secret.replace(" ", ""))
    enter(screen, f"{TOTP(key).token():06d}", "Turn on two-factor log-in")

    # Ten recovery codes, shown once; then the page she asked for.
    assert "/accounts/two-factor/recovery-codes/" in page.url
    codes = page.locator("ul.recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    device = TOTPDevice.objects.get(user=rosa)
    assert device.confirmed and device.bin_key == key
    assert sorted(
        StaticToken.objects.filter(device__user=rosa).values_list("token", flat=True)
    ) == sorted(codes)
    screen.step("recovery-codes")
    page.get_by_role("link", name="I have saved them: continue").click()
    page.wait_for_url("**/triage/")
    assert page.locator("main h1").inner_text()
    page.reload()
    assert page.locator("ul.recovery-codes").count() == 0

    # Log out; back in with the password and a code from the app.
    log_out(screen)
    page = password_step(screen)
    assert "/accounts/two-factor/" in page.url
    screen.step("code-asked")
    enter(screen, code_now(device))
    page.wait_for_url("**/triage/")
    screen.step("in-with-code")

    # Phone left at home: a recovery code, which then works no more.
    log_out(screen)
    password_step(screen)
    enter(screen, codes[3].upper())
    page.wait_for_url("**/triage/")
    assert "You used a recovery code; 9 are left." in page.locator(".messages").inner_text()
    assert not StaticToken.objects.filter(device__user=rosa, token=codes[3]).exists()
    screen.step("in-with-recovery-code")

    log_out(screen)
    password_step(screen)
    enter(screen, codes[3])
    assert "That code is not right." in page.locator("main").inner_text()
    screen.step("used-recovery-code-refused")
    assert screen.csp_violations == []
    # The refused code is a 400 page, by design; nothing else failed.
    assert [e for e in screen.errors if "400" not in e] == []


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        (
            "en-US",
            "That code is not right. Enter the 6-digit code your authenticator app shows now",
        ),
        ("zh-CN", "验证码不正确。请输入身份验证器应用当前显示的 6 位数字"),
    ],
    ids=["en", "zh-hans"],
)
def test_a_wrong_code_is_refused_and_the_queue_stays_shut(open_screen, rita, locale, message):
    screen = open_screen(f"rita-{locale}", locale=locale)
    page = screen.go("/triage/")
    page.fill("main input[name=username]", "rita")
    page.fill("main input[name=password]", "pw-rita")
    page.locator("main button.primary").click()
    page.wait_for_url("**/accounts/two-factor/**")
    device = TOTPDevice.objects.get(user=rita)
    right = code_now(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    page.fill("main input[name=code]", wrong)
    with page.expect_navigation():
        page.locator("main button.primary").click()
    assert message in page.locator("main").inner_text()
    assert page.locator("main input[name=code]").is_visible()
    screen.step("wrong-code")
    # Still locked: the queue sends her back to the code.
    page = screen.go("/triage/")
    assert "/accounts/two-factor/" in page.url
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # After the one-second pause a wrong code earns, the right code opens the queue.
    time.sleep(1.2)
    page.fill("main input[name=code]", code_now(device))
    with page.expect_navigation():
        page.locator("main button.primary").click()
    page.wait_for_url("**/triage/")
    assert screen.csp_violations == []


def test_an_admin_resets_a_lost_phone_and_the_regulator_sets_up_a_new_app(open_screen, ada, rita):
    """Rita lost her phone: ada resets her second factor from the users list; the audit log
    shows who did it, and Rita's next log-in asks her to set up a new app."""
    from complaints.models import Event

    rita_device = TOTPDevice.objects.get(user=rita)
    admin_screen = english(open_screen, "ada")
    admin_screen.login("ada", "pw-ada")
    page = admin_screen.go("/admin/auth/user/?q=rita")
    page.check(f"input[name=_selected_action][value='{rita.pk}']")
    page.select_option("select[name=action]", "reset_two_factor")
    admin_screen.submit("Go")
    assert (
        page.locator("ul.messagelist li.success").inner_text()
        == "Two-factor log-in reset for 1 accounts."
    )
    admin_screen.step("two-factor-reset")
    assert not TOTPDevice.objects.filter(pk=rita_device.pk).exists()
    event = Event.objects.get(kind=Event.Kind.SECURITY, data__account=rita.pk)
    assert (event.actor, event.message["id"]) == (ada, "two_factor_reset")
    page = admin_screen.go("/admin/complaints/event/?kind__exact=security")
    assert "Two-factor log-in of rita reset" in page.locator("#result_list").inner_text()
    admin_screen.step("audit-log-security")

    rita_screen = english(open_screen, "rita")
    page = password_step(rita_screen, "rita", "pw-rita")
    assert "/accounts/two-factor/setup/" in page.url
    rita_screen.step("asked-to-set-up-again")
    assert admin_screen.csp_violations == [] and rita_screen.csp_violations == []
