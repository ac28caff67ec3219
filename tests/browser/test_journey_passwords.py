"""A consumer who forgot her password asks for a link on the login page, opens it from the
e-mail, chooses a new password and logs in with it; then changes it from the menu."""

import re

import pytest
from django.core import mail

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_forgotten_password_then_changed_password(open_screen, alice, viewport, settings):
    screen = open_screen("consumer", viewport=viewport)
    settings.SITE_URL = screen.base_url
    page = screen.go("/")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": screen.base_url}])

    page = screen.go("/accounts/login/")
    page.get_by_role("link", name="Forgotten your password?").click()
    page.fill("main input[name=email]", "alice@example.com")
    screen.step("ask-for-a-link")
    screen.submit("Send the link")
    assert page.locator('[data-reset="sent"]').is_visible()
    screen.step("link-sent")
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", mail.outbox[0].body).group(0)

    page.goto(link)  # as if clicked in the mail: SITE_URL is this server
    page.fill("main input[name=new_password1]", "a-new-pass-phrase")
    page.fill("main input[name=new_password2]", "a-new-pass-phrase")
    screen.step("new-password")
    screen.submit("Save the new password")
    assert page.locator('[data-reset="complete"]').is_visible()
    alice.refresh_from_db()
    assert alice.check_password("a-new-pass-phrase")

    screen.login("alice", "a-new-pass-phrase")
    page.wait_for_url(re.compile(r"/$"))
    page.get_by_role("link", name="Password").click()
    page.fill("main input[name=old_password]", "a-new-pass-phrase")
    page.fill("main input[name=new_password1]", "another-pass-phrase")
    page.fill("main input[name=new_password2]", "another-pass-phrase")
    screen.step("change")
    screen.submit("Save the new password")
    assert page.locator('[data-change="done"]').is_visible()
    screen.step("changed")
    alice.refresh_from_db()
    assert alice.check_password("another-pass-phrase")
    assert screen.errors == []
