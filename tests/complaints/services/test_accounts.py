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
    assert response.status_code == 302
    return User.objects.get(username=email.lower())


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


def test_nothing_joins_before_the_address_is_proven(en, filed_before):
    signup(en)
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
    response = Client().post(path_of(url))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert accounts.email_verified(user)


def test_an_expired_or_altered_link_is_refused_with_the_reason(en, filed_before):
    signup(en)
    url = link_in(mail.outbox[0])
    altered = en.post(path_of(url)[:-3] + "xx/")
    assert altered.status_code == 400
    assert "This link is not valid" in altered.content.decode()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=4)):
        expired = en.post(path_of(url))
    assert expired.status_code == 400 and "This link has expired" in expired.content.decode()
    assert not VerifiedEmail.objects.exists()
    assert all(c.submitter_id is None for c in filed_before["mine"])


def test_a_link_stops_working_when_the_address_changes(en):
    user = signup(en)
    url = link_in(mail.outbox[0])
    User.objects.filter(pk=user.pk).update(email="new@example.com")
    assert en.post(path_of(url)).status_code == 400
    assert not VerifiedEmail.objects.exists()


def test_the_link_can_be_sent_again_three_times_a_day(en):
    signup(en)
    for _ in range(3):
        en.post(reverse("email_resend"))
    assert len(mail.outbox) == 4
    response = en.post(reverse("email_resend"), follow=True)
    assert "Try again tomorrow" in response.content.decode()
    assert len(mail.outbox) == 4


def test_complaints_filed_later_join_on_request_once_verified(en):
    user = signup(en)
    en.post(path_of(link_in(mail.outbox[0])))
    later = make_complaint(contact_email="carol@example.com")
    response = en.post(reverse("complaints_claim"), follow=True)
    assert "1 complaint was added to your account." in response.content.decode()
    later.refresh_from_db()
    assert later.submitter == user


def test_claiming_needs_a_verified_address(en, filed_before):
    signup(en)
    response = en.post(reverse("complaints_claim"), follow=True)
    assert "Confirm your e-mail address first." in response.content.decode()
    assert all(c.submitter_id is None for c in filed_before["mine"])


def test_claim_and_resend_need_login_and_post(client):
    assert client.post(reverse("complaints_claim")).status_code == 302  # to login
    assert client.post(reverse("email_resend")).status_code == 302
    client.force_login(User.objects.create_user("x@example.com", "x@example.com", "pw"))
    assert client.get(reverse("complaints_claim")).status_code == 405
