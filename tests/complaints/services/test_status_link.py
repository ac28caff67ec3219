"""A new status link, issued by a regulator for a consumer who lost theirs or filed by phone:
the new link opens the status page, every earlier link and every browser it opened stops
working, the token is shown once and kept only as a hash, and it can go to the consumer by
e-mail without passing through the task queue."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from complaints.errors import Conflict, DomainError
from complaints.models import Complaint, Event
from complaints.services import consumers, triage
from complaints.services.intake import access_token_hash, access_token_matches
from tests.factories import make_complaint
from tests.otp import VerifiedClient as Client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def complaint(app):
    return make_complaint(app=app, contact_email="alice@example.com", language="en")


def track(client: Client, complaint: Complaint, token: str):
    """Open the status link; the page itself is one redirect further."""
    return client.get(consumers.status_link_path(complaint, token), follow=True)


def test_the_new_link_works_and_every_earlier_one_stops(complaint, rita):
    old_token = complaint.test_token
    old_browser = Client()
    assert track(old_browser, complaint, old_token).status_code == 200
    token = consumers.complaint_status_link_issue(complaint=complaint, actor=rita)
    complaint.refresh_from_db()
    assert complaint.access_token_hash == access_token_hash(token) != access_token_hash(old_token)
    assert access_token_matches(complaint, token) and not access_token_matches(complaint, old_token)
    assert track(Client(), complaint, old_token).status_code == 404
    # The browser that opened the old link has lost its access too.
    page = old_browser.get(reverse("track_detail", args=[complaint.tracking_number]))
    assert page.status_code == 404
    fresh = Client()
    page = track(fresh, complaint, token)
    assert page.status_code == 200 and complaint.tracking_number in page.content.decode()
    event = Event.objects.filter(complaint=complaint, kind=Event.Kind.NOTE).latest("pk")
    assert event.actor == rita and event.data == {"status_link": "issued"}
    assert token not in json.dumps(event.data) + event.reason


def test_it_can_be_emailed_in_the_consumers_language(
    complaint, rita, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        token = consumers.complaint_status_link_issue(complaint=complaint, actor=rita, email=True)
    (mail,) = mailoutbox
    assert mail.to == ["alice@example.com"]
    assert complaint.tracking_number in mail.subject
    assert f"/track/{complaint.tracking_number}/?t={token}" in mail.body
    assert "Links you received earlier no longer work." in mail.body


def test_no_email_address_and_erased_complaints_are_refused_and_change_nothing(app, rita):
    without = make_complaint(app=app)
    before = without.access_token_hash
    with pytest.raises(DomainError, match="no e-mail address"):
        consumers.complaint_status_link_issue(complaint=without, actor=rita, email=True)
    without.refresh_from_db()
    assert without.access_token_hash == before
    assert not Event.objects.filter(complaint=without, kind=Event.Kind.NOTE).exists()
    erased = make_complaint(app=app)
    consumers.complaint_erase(complaint=erased, actor=None)
    with pytest.raises(Conflict, match="erased"):
        consumers.complaint_status_link_issue(complaint=erased, actor=rita)


def test_regulator_page_shows_the_link_once(client, complaint, rita, mailoutbox):
    client.force_login(rita)
    client.cookies["django_language"] = "en"
    detail = reverse("triage:detail", args=[complaint.pk])
    page = client.get(detail).content.decode()
    assert "Issue a new status link" in page and "E-mail it to a***@example.com" in page
    url = reverse("triage:action", args=[complaint.pk, "status-link"])
    response = client.post(url, {})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    link = response.context["new_status_url"]
    assert link in response.content.decode() and not mailoutbox
    token = link.split("?t=", 1)[1]
    assert track(Client(), complaint, token).status_code == 200
    # Shown once: the page afterwards no longer holds it.
    assert token not in client.get(detail).content.decode()


def test_regulator_page_emails_it_or_says_why_not(
    client, app, complaint, rita, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(rita)
    client.cookies["django_language"] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("triage:action", args=[complaint.pk, "status-link"]), {"email": "1"}
        )
    assert "Sent to a***@example.com." in response.content.decode()
    assert len(mailoutbox) == 1
    without = make_complaint(app=app)
    response = client.post(
        reverse("triage:action", args=[without.pk, "status-link"]), {"email": "1"}
    )
    assert response.status_code == 400
    assert "There is no e-mail address on this complaint" in response.content.decode()


def test_api_returns_the_token_once(complaint, rita, alice):
    api = APIClient()
    api.force_authenticate(rita)
    response = api.post(f"/api/v1/triage/{complaint.pk}/status-link/", {}, format="json")
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["tracking_number"] == complaint.tracking_number and body["emailed"] is False
    assert body["status_url"].endswith(consumers.status_link_path(complaint, body["access_token"]))
    consumer_api = APIClient()
    status = consumer_api.get(
        f"/api/v1/track/{complaint.tracking_number}/",
        headers={"X-Tracking-Token": body["access_token"]},
    )
    assert status.status_code == 200
    old = consumer_api.get(
        f"/api/v1/track/{complaint.tracking_number}/",
        headers={"X-Tracking-Token": complaint.test_token},
    )
    assert old.status_code == 404
    response = api.post(
        f"/api/v1/triage/{complaint.pk}/status-link/", {"email": "perhaps"}, format="json"
    )
    assert response.status_code == 400


def test_a_hotline_caller_gets_a_link_for_an_imported_complaint(tmp_path, rita, app):
    path = tmp_path / "hotline.jsonl"
    row = {
        "external_id": "H-1",
        "app_name": app.name,
        "description": "来电：注册时被强制要求上传身份证照片。",
    }
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    call_command(
        "import_complaints", str(path), "--source", "hotline", "--no-classify", stdout=StringIO()
    )
    imported = Complaint.objects.get(source="hotline", external_id="H-1")
    triage.complaint_request_info(complaint=imported, actor=rita, question="哪天注册的？")
    token = consumers.complaint_status_link_issue(complaint=imported, actor=rita)
    page = track(Client(), imported, token).content.decode()
    assert imported.tracking_number in page and "哪天注册的？" in page


# --- the consumer's own "lost your link?" ---------------------------------------------------

SENT = "a new private link is on its way to that address"


def lost_link(client: Client, number: str, email: str):
    return client.post(reverse("track_lost_link"), {"tracking_number": number, "email": email})


def test_lost_link_sends_a_new_one_to_the_address_on_the_complaint(
    client, complaint, mailoutbox, django_capture_on_commit_callbacks
):
    client.cookies["django_language"] = "en"
    assert "Lost your link or access code?" in client.get(reverse("track")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = lost_link(client, complaint.tracking_number.lower(), " Alice@Example.com ")
    assert response.status_code == 200 and SENT in response.content.decode()
    (mail,) = mailoutbox
    assert mail.to == ["alice@example.com"]
    token = mail.body.split("?t=", 1)[1].split()[0]
    assert track(Client(), complaint, token).status_code == 200
    assert track(Client(), complaint, complaint.test_token).status_code == 404
    event = Event.objects.filter(complaint=complaint, kind=Event.Kind.NOTE).latest("pk")
    assert event.actor is None and event.actor_role == "consumer"


@pytest.mark.parametrize("case", ["wrong address", "unknown number", "no address", "erased"])
def test_lost_link_answers_the_same_and_sends_nothing_otherwise(
    client, app, complaint, mailoutbox, django_capture_on_commit_callbacks, case
):
    client.cookies["django_language"] = "en"
    number, email = complaint.tracking_number, "alice@example.com"
    if case == "wrong address":
        email = "mallory@example.com"
    elif case == "unknown number":
        number = "AW-260101-ZZZZZZ"
    elif case == "no address":
        number = make_complaint(app=app).tracking_number
    else:
        consumers.complaint_erase(complaint=complaint, actor=None)
    before = Complaint.objects.get(pk=complaint.pk).access_token_hash
    with django_capture_on_commit_callbacks(execute=True):
        response = lost_link(client, number, email)
    assert response.status_code == 200 and SENT in response.content.decode()
    assert not mailoutbox
    assert Complaint.objects.get(pk=complaint.pk).access_token_hash == before


def test_lost_link_is_sent_at_most_three_times_a_day(
    client, complaint, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _attempt in range(consumers.LINK_RESENDS_PER_DAY + 2):
            lost_link(client, complaint.tracking_number, "alice@example.com")
    assert len(mailoutbox) == consumers.LINK_RESENDS_PER_DAY


def test_lost_link_form_errors_are_shown(client):
    client.cookies["django_language"] = "en"
    response = lost_link(client, "", "not an address")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a valid email address." in page and "This field is required." in page
    response = lost_link(client, "AW-1" * 30, "a@example.com")
    assert response.status_code == 400
