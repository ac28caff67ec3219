"""Sign-up sends a verification link; a consumer who opens it and confirms gets the complaints
filed earlier, without an account, with that address. Nothing joins before the address is
proven."""

import datetime
import re

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from complaints.models import Event, VerifiedEmail
from complaints.services import accounts
from complaints.services.consumers import complaint_erase
from tests.factories import make_complaint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def en(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture(autouse=True)
def _mail_sent_on_commit(django_capture_on_commit_callbacks, monkeypatch):
    """Mail goes out after commit; tests run inside a transaction that never commits, so the
    views' requests run their on-commit callbacks as they end."""
    from django.test import Client

    request = Client.request

    def request_and_commit(self, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return request(self, **kwargs)

    monkeypatch.setattr(Client, "request", request_and_commit)


def signup(client, email="carol@example.com"):
    response = client.post(
        reverse("signup"),
        {"email": email, "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"},
    )
    assert response.status_code == 200 and 'data-signup="sent"' in response.content.decode()
    return User.objects.get(username=email.lower())


def unverified(client) -> User:
    """A consumer logged in whose address was never confirmed (made before sign-up asked)."""
    user = User.objects.create_user("carol@example.com", "carol@example.com", "pw")
    client.force_login(user)
    return user


def link_in(message) -> str:
    return re.search(r"https?://\S+/accounts/verify/(\S+)/", message.body).group(0)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


@pytest.fixture
def filed_before(alice):
    """Complaints filed without an account: two with Carol's address (one in other letter
    case), one with another address, one owned by another account, one erased."""
    mine = make_complaint(contact_email="carol@example.com")
    mine_upper = make_complaint(contact_email="Carol@EXAMPLE.com")
    other = make_complaint(contact_email="dave@example.com")
    owned = make_complaint(contact_email="carol@example.com", submitter=alice)
    erased = make_complaint(contact_email="carol@example.com")
    complaint_erase(complaint=erased)
    return {"mine": [mine, mine_upper], "not_mine": [other, owned, erased]}


def test_signup_sends_a_link_in_the_visitors_language(client):
    client.cookies["django_language"] = "zh-hans"
    signup(client)
    (message,) = mail.outbox
    assert message.to == ["carol@example.com"]
    assert "确认" in message.subject
    assert "/accounts/verify/" in message.body


def test_nothing_joins_and_nobody_logs_in_before_the_address_is_proven(en, filed_before):
    user = signup(en)
    assert not user.is_active
    assert en.get(reverse("my_complaints")).status_code == 302
    password = {"username": "carol@example.com", "password": "a-long-pass-phrase"}
    assert en.post(reverse("login"), password).status_code == 200  # refused
    assert all(c.submitter_id is None for c in filed_before["mine"])


def test_a_pending_address_is_shown_on_my_complaints(en, filed_before):
    unverified(en)
    page = en.get(reverse("my_complaints")).content.decode()
    assert 'data-verify="pending"' in page
    for complaint in filed_before["mine"]:
        assert complaint.tracking_number not in page


def test_confirming_adds_the_complaints_filed_with_the_address(en, filed_before):
    user = signup(en)
    url = link_in(mail.outbox[0])
    # Opening the link only asks (a mail scanner that follows it confirms nothing).
    asked = en.get(path_of(url))
    assert asked.status_code == 200 and "Confirm my address" in asked.content.decode()
    assert not VerifiedEmail.objects.exists()

    response = en.post(path_of(url))
    assert response.status_code == 302 and response["Location"] == reverse("my_complaints")
    assert VerifiedEmail.objects.get(user=user).email == "carol@example.com"
    page = en.get(reverse("my_complaints")).content.decode()
    assert "2 complaints filed earlier with it were added" in page
    assert 'data-verify="pending"' not in page
    for complaint in filed_before["mine"]:
        complaint.refresh_from_db()
        assert complaint.submitter == user
        assert complaint.tracking_number in page
        assert Event.objects.filter(complaint=complaint, data__claimed_by=user.pk).count() == 1
    for complaint in filed_before["not_mine"]:
        complaint.refresh_from_db()
        assert complaint.submitter != user
        assert complaint.tracking_number not in page


def test_a_link_confirms_even_from_another_browser(en, filed_before):
    from django.test import Client

    user = signup(en)
    url = link_in(mail.outbox[0])
    other = Client()
    response = other.post(path_of(url))
    # Only the owner of the address gets the link: opening it opens the account, there too.
    assert response.status_code == 302 and response["Location"] == reverse("my_complaints")
    assert accounts.email_verified(user)
    assert other.get(reverse("my_complaints")).status_code == 200


def test_an_expired_or_altered_link_is_refused_with_the_reason(en, filed_before):
    signup(en)
    url = link_in(mail.outbox[0])
    altered = en.post(path_of(url)[:-3] + "xx/")
    assert altered.status_code == 400
    assert "This link is not valid" in altered.content.decode()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=4)):
        expired = en.post(path_of(url))
    assert expired.status_code == 400
    # The account was never opened: nobody can log in to ask, so signing up again is the way.
    assert (
        "This link has expired. Sign up again with the same address for a new one."
        in expired.content.decode()
    )
    assert not VerifiedEmail.objects.exists()
    assert all(c.submitter_id is None for c in filed_before["mine"])


def test_a_link_stops_working_when_the_address_changes(en):
    user = signup(en)
    url = link_in(mail.outbox[0])
    User.objects.filter(pk=user.pk).update(email="new@example.com")
    assert en.post(path_of(url)).status_code == 400
    assert not VerifiedEmail.objects.exists()


def test_the_link_can_be_sent_again_three_times_a_day(en):
    unverified(en)
    for _ in range(3):
        en.post(reverse("email_resend"))
    assert len(mail.outbox) == 3
    response = en.post(reverse("email_resend"), follow=True)
    assert "Try again tomorrow" in response.content.decode()
    assert len(mail.outbox) == 3


def test_complaints_filed_later_join_on_request_once_verified(en):
    user = signup(en)
    en.post(path_of(link_in(mail.outbox[0])))
    later = make_complaint(contact_email="carol@example.com")
    response = en.post(reverse("complaints_claim"), follow=True)
    assert "1 complaint was added to your account." in response.content.decode()
    later.refresh_from_db()
    assert later.submitter == user


def test_claiming_needs_a_verified_address(en, filed_before):
    unverified(en)
    response = en.post(reverse("complaints_claim"), follow=True)
    assert "Confirm your e-mail address first." in response.content.decode()
    assert all(c.submitter_id is None for c in filed_before["mine"])


def test_claim_and_resend_need_login_and_post(client):
    assert client.post(reverse("complaints_claim")).status_code == 302  # to login
    assert client.post(reverse("email_resend")).status_code == 302
    client.force_login(User.objects.create_user("x@example.com", "x@example.com", "pw"))
    assert client.get(reverse("complaints_claim")).status_code == 405


# --- sign-up tells nobody which addresses have an account --------------------------------------


def _page_without(response, email: str) -> str:
    page = response.content.decode().replace(email, "EMAIL")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def test_signup_answers_alike_for_new_consumer_operator_and_staff_addresses(
    en, alice, olivia, rita
):
    form = {"password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"}
    pages = {
        email: _page_without(en.post(reverse("signup"), {"email": email, **form}), email.lower())
        for email in (
            "new@example.com",
            "Alice@example.com",
            "olivia@example.com",
            "RITA@example.com",
        )
    }
    assert len(set(pages.values())) == 1
    assert "Check your e-mail" in pages["new@example.com"]
    assert User.objects.filter(email__iexact="rita@example.com").count() == 1
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1
    # The owners hear of it; the new address gets its link.
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {
        "new@example.com",
        "alice@example.com",
        "olivia@example.com",
        "rita@example.com",
    }
    assert "/accounts/verify/" in by_address["new@example.com"].body
    for owner, name in (("alice", "alice"), ("olivia", "olivia"), ("rita", "rita")):
        message = by_address[f"{owner}@example.com"]
        assert message.subject == "You already have an AppWatch account"
        assert f"log-in name: {name}" in message.body and "/accounts/verify/" not in message.body
    rita.refresh_from_db()
    assert rita.check_password("pw-rita")  # nothing changed


def test_signing_up_again_before_confirming_takes_the_new_password(en):
    signup(en)
    en.post(
        reverse("signup"),
        {
            "email": "carol@example.com",
            "password1": "another-pass-phrase",
            "password2": "another-pass-phrase",
        },
    )
    user = User.objects.get(username="carol@example.com")
    assert user.check_password("another-pass-phrase") and not user.is_active
    assert len(mail.outbox) == 2
    en.post(path_of(link_in(mail.outbox[1])))
    user.refresh_from_db()
    assert user.is_active


def test_at_most_three_signup_mails_a_day_to_one_address(en, alice):
    form = {"password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"}
    for _ in range(5):
        response = en.post(reverse("signup"), {"email": "alice@example.com", **form})
        assert "Check your e-mail" in response.content.decode()
    assert len(mail.outbox) == 3


def test_an_account_switched_off_stays_off(en, alice):
    alice.is_active = False
    alice.save()
    token = accounts.email_verification_token(user=alice)
    assert en.post(reverse("email_verify", args=[token])).status_code == 400
    alice.refresh_from_db()
    assert not alice.is_active


def test_an_expired_link_of_an_open_account_says_to_log_in(en):
    user = unverified(en)
    token = accounts.email_verification_token(user=user)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=4)):
        expired = en.post(reverse("email_verify", args=[token]))
    assert "Log in and ask for a new one" in expired.content.decode()
