"""Staff sessions end after STAFF_SESSION_IDLE_SECONDS without a request (default 30 minutes);
activity keeps them open, and other accounts are not affected."""

import datetime

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def later(minutes: float):
    return time_machine.travel(timezone.now() + datetime.timedelta(minutes=minutes), tick=False)


def test_a_regulator_left_idle_for_half_an_hour_is_logged_out(client, rita):
    client.force_login(rita)
    assert client.get("/triage/").status_code == 200
    with later(29):
        assert client.get("/triage/").status_code == 200  # activity keeps it open
    with later(29 + 29):
        assert client.get("/cases/").status_code == 200
    with later(29 + 29 + 31):
        response = client.get("/triage/", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
        page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "You were logged out after 30 minutes without activity." in page
        # Logged out for good: the password (and second factor) again.
        assert client.get("/triage/").status_code == 302
        assert client.get("/api/v1/triage/").status_code == 403


@override_settings(STAFF_SESSION_IDLE_SECONDS=5 * 60)
def test_the_limit_is_a_setting(client, ada):
    client.force_login(ada)
    assert client.get("/admin/").status_code == 200
    with later(6):
        assert client.get("/admin/").status_code == 302


def test_consumers_and_operators_keep_their_sessions(client, alice, olivia):
    for user, path in ((alice, "/my/"), (olivia, "/operator/")):
        client.force_login(user)
        assert client.get(path).status_code == 200
        with later(3 * 60):
            assert client.get(path).status_code == 200


def test_the_last_seen_time_is_written_at_most_once_a_minute(client, rita):
    client.force_login(rita)
    client.get("/triage/")
    first = client.session["staff_last_seen"]
    with later(0.5):
        client.get("/triage/")
        assert client.session["staff_last_seen"] == first
    with later(2):
        client.get("/triage/")
        assert client.session["staff_last_seen"] > first
