"""Forgotten and changed passwords for every role: the reset link arrives in the account's own
language, works once, and the answer never tells whether an address has an account."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from complaints.services.preferences import language_remember
from tests.otp import VerifiedClient as Client

pytestmark = pytest.mark.django_db


def _client(language="en"):
    client = Client()
    client.cookies["django_language"] = language
    return client


def _reset_link(message) -> str:
    return re.search(r"https?://\S+/accounts/password/reset/\S+/", message.body).group(0)


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


@pytest.mark.parametrize("persona", ["alice", "rita", "olivia"])
def test_every_role_resets_its_password_by_e_mail(persona, request, settings):
    settings.SITE_URL = "http://appwatch.example"
    user = request.getfixturevalue(persona)
    client = _client()
    response = client.post(reverse("password_reset"), {"email": user.email})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert [m.to for m in mail.outbox] == [[user.email]]
    link = _reset_link(mail.outbox[0])
    assert link.startswith("http://appwatch.example/accounts/password/reset/")
    # Django swaps the token for a session key on the first visit, then shows the form.
    form_page = client.get(_path(link), follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-new-pass-phrase", "new_password2": "a-new-pass-phrase"},
        follow=True,
    )
    assert "Your new password is saved" in done.content.decode()
    user.refresh_from_db()
    assert user.check_password("a-new-pass-phrase")
    login = _client().post(
        reverse("login"), {"username": user.username, "password": "a-new-pass-phrase"}
    )
    assert login.status_code == 302
    # The link worked once.
    again = _client().get(_path(link), follow=True)
    assert "This link no longer works" in again.content.decode()


def test_the_link_is_written_in_the_language_the_account_chose(alice):
    language_remember(user=alice, language="zh-hans")
    _client("en").post(reverse("password_reset"), {"email": alice.email})
    message = mail.outbox[0]
    assert message.subject == "设置新的 AppWatch 密码"
    assert "有人为 AppWatch 账号 alice@example.com 申请了新密码" in message.body


def test_without_a_preference_the_link_follows_the_page_language(bob):
    _client("zh-hans").post(reverse("password_reset"), {"email": bob.email})
    assert "申请了新密码" in mail.outbox[0].body
    _client("en").post(reverse("password_reset"), {"email": bob.email})
    assert "Someone asked for a new password" in mail.outbox[1].body


def test_an_unknown_address_gets_the_same_answer_and_no_mail(alice):
    known = _client().post(reverse("password_reset"), {"email": alice.email}, follow=True)
    unknown = _client().post(
        reverse("password_reset"), {"email": "nobody@example.com"}, follow=True
    )
    assert known.redirect_chain == unknown.redirect_chain
    assert len(mail.outbox) == 1


def test_a_forged_link_is_refused(alice):
    page = _client().get("/accounts/password/reset/MQ/abc-0123456789abcdef/", follow=True)
    assert "This link no longer works" in page.content.decode()
    alice.refresh_from_db()
    assert alice.check_password("pw-alice")


def test_changing_the_password_signs_out_other_browsers(alice):
    here, elsewhere = _client(), _client()
    here.force_login(alice)
    elsewhere.force_login(alice)
    response = here.post(
        reverse("password_change"),
        {
            "old_password": "pw-alice",
            "new_password1": "a-new-pass-phrase",
            "new_password2": "a-new-pass-phrase",
        },
    )
    assert response["Location"] == reverse("password_change_done")
    assert here.get("/my/").status_code == 200
    assert elsewhere.get("/my/").status_code == 302  # back to the login page


def test_changing_needs_the_old_password_and_a_login(alice):
    assert _client().get(reverse("password_change")).status_code == 302
    client = _client()
    client.force_login(alice)
    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "a-new-pass", "new_password2": "a-new-pass"},
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password("pw-alice")


def test_the_login_page_and_the_menu_lead_to_them(alice):
    client = _client()
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()
    client.force_login(alice)
    assert reverse("password_change") in client.get("/").content.decode()
