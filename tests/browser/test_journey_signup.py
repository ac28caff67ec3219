"""A consumer who filed without an account signs up with the same address, confirms it from
the e-mail, and finds the earlier complaint under "My complaints", with its status page."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail

from tests.factories import make_complaint

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_sign_up_and_find_the_complaints_filed_with_the_same_email(open_screen, app, viewport):
    earlier = make_complaint(app=app, contact_email="Carol@example.com")
    someone_elses = make_complaint(app=app, contact_email="dave@example.com")
    mail.outbox.clear()  # the two filings' receipts; what follows counts the sign-up's mail
    screen = open_screen("consumer", viewport=viewport)
    page = screen.go("/")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": screen.base_url}])

    page = screen.go("/accounts/signup/")
    page.fill("input[name=email]", "carol@example.com")
    page.fill("input[name=password1]", "a-long-pass-phrase")
    page.fill("input[name=password2]", "a-long-pass-phrase")
    screen.step("signup")
    screen.submit("Create account")
    # The same answer whether or not the address has an account: the link comes by e-mail.
    assert page.get_by_role("heading", name="Check your e-mail").is_visible()
    assert "We sent a message to carol@example.com." in page.content()
    assert earlier.tracking_number not in page.content()  # not before the address is proven
    screen.step("pending")

    assert len(mail.outbox) == 1
    message = mail.outbox[-1]
    assert message.to == ["carol@example.com"]
    link = re.search(r"https?://\S+/accounts/verify/\S+/", message.body).group(0)
    page.goto(screen.base_url + "/" + link.split("/", 3)[3])
    screen.step("confirm")
    screen.submit("Confirm my address")
    page.wait_for_url(re.compile(r"/my/$"))
    assert "1 complaint filed earlier with it was added" in page.content()
    assert page.get_by_role("link", name=re.compile(earlier.tracking_number)).is_visible()
    assert someone_elses.tracking_number not in page.content()
    screen.step("my-complaints")

    carol = User.objects.get(username="carol@example.com")
    earlier.refresh_from_db()
    assert earlier.submitter == carol

    later = make_complaint(app=app, contact_email="carol@example.com")  # filed logged out
    screen.submit("Add it to my complaints")
    assert "1 complaint was added to your account." in page.content()
    assert page.get_by_role("link", name=re.compile(later.tracking_number)).is_visible()
    later.refresh_from_db()
    assert later.submitter == carol
    screen.step("added-later")
    page.get_by_role("link", name=re.compile(earlier.tracking_number)).click()
    page.wait_for_url(re.compile(rf"/track/{earlier.tracking_number}/$"))
    assert page.get_by_role("heading", name=app.name).is_visible()
    screen.step("status-page")
    assert screen.errors == []
