"""Consumer accounts: sign-up, login by email with django-axes lockout, and "my complaints"."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.factories import make_complaint
from tests.otp import authenticator, code_now


@pytest.fixture
def en(client):
    client.cookies["django_language"] = "en"
    return client


def signup(client, email="Carol@Example.com", password="a-long-pass-phrase", again=None):
    return client.post(
        reverse("signup"), {"email": email, "password1": password, "password2": again or password}
    )


def test_signup_makes_an_inactive_consumer_and_asks_to_check_the_mail(en, db):
    response = signup(en)
    assert response.status_code == 200
    assert "We sent a message to carol@example.com." in response.content.decode()
    user = User.objects.get()
    assert (user.username, user.email, user.is_active) == (
        "carol@example.com",
        "carol@example.com",
        False,
    )
    assert list(user.groups.values_list("name", flat=True)) == ["consumer"]
    assert en.get(reverse("my_complaints")).status_code == 302  # not logged in: the link opens it


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"again": "something-else-entirely"}, "The two passwords differ."),
        ({"password": "12345678"}, "This password is entirely numeric."),
        (
            {"password": "short"},
            "This password is too short. It must contain at least 8 characters.",
        ),
        ({"password": "password"}, "This password is too common."),
    ],
)
def test_signup_errors(en, db, kwargs, message):
    response = signup(en, **kwargs)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()


def test_signup_with_a_known_email_answers_as_for_a_new_one(en, alice):
    response = signup(en, email="ALICE@example.com")
    assert response.status_code == 200
    assert "We sent a message to alice@example.com." in response.content.decode()
    assert User.objects.count() == 1


def test_signed_in_visitors_skip_signup(en, alice):
    en.force_login(alice)
    assert en.get(reverse("signup"))["Location"] == reverse("my_complaints")


def test_signup_wrong_method(en, db):
    assert en.delete(reverse("signup")).status_code == 405


def test_login_with_email_in_any_case(en, db):
    User.objects.create_user("dave@example.com", "dave@example.com", "a-long-pass-phrase")
    response = en.post(
        reverse("login"), {"username": "Dave@Example.com", "password": "a-long-pass-phrase"}
    )
    assert response.status_code == 302
    assert en.get(reverse("my_complaints")).status_code == 200


def test_login_page_renders_with_email_label(en, db):
    page = en.get(reverse("login")).content.decode()
    assert '<label for="id_username">Email or username</label>' in page and "Create one" in page


def test_staff_log_in_with_their_username(client, rita):
    response = client.post(reverse("login"), {"username": "rita", "password": "pw-rita"})
    assert response.status_code == 302
    # Then the second step (tests/complaints/views/test_two_factor.py has the rest).
    assert client.get("/triage/").url.startswith(reverse("two_factor_verify"))
    client.post(reverse("two_factor_verify"), {"code": code_now(authenticator(rita))})
    assert client.get("/triage/").status_code == 200


def test_brute_force_is_locked_out(en, alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = en.post(reverse("login"), {"username": "alice", "password": "wrong"})
        assert response.status_code == 200
        assert "Please enter a correct" in response.content.decode()
    response = en.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    # Locked even with the right password now.
    response = en.post(reverse("login"), {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 429


def test_my_complaints_lists_only_mine(en, app, alice, bob):
    mine = make_complaint(app=app, submitter=alice, description="我的投诉内容")
    theirs = make_complaint(app=app, submitter=bob, description="别人的投诉内容")
    anonymous = make_complaint(app=app)
    en.force_login(alice)
    page = en.get(reverse("my_complaints")).content.decode()
    assert mine.tracking_number in page and "我的投诉内容" in page
    assert theirs.tracking_number not in page and anonymous.tracking_number not in page


def test_my_complaints_needs_login(en, db):
    response = en.get(reverse("my_complaints"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_my_complaints_wrong_method(en, alice):
    en.force_login(alice)
    assert en.post(reverse("my_complaints")).status_code == 405


def test_my_complaints_paginates(en, app, alice):
    for _ in range(21):
        make_complaint(app=app, submitter=alice)
    en.force_login(alice)
    first = en.get(reverse("my_complaints")).content.decode()
    assert "Page 1 of 2" in first
    assert en.get(reverse("my_complaints") + "?page=2").content.decode().count('class="card"') == 1
