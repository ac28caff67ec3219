"""What people type is cleaned the same way at the top level and inside a complaint's per-kind
details, through the API and the web form; a value stored before that never breaks a page."""

import json

import pytest
from django.db import DataError, connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from complaints.errors import DomainError
from complaints.models import Complaint
from complaints.text import text_clean, text_shown
from tests.factories import category, make_complaint
from tests.otp import VerifiedClient as Client

pytestmark = pytest.mark.usefixtures("english")

URL = "/api/v1/complaints/"


@pytest.fixture
def api():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def cancellation(app, **details) -> dict:
    return {
        "app": app.pk,
        "description": "The app has no way to delete my account.",
        "category_hint": "account_cancellation",
        "details": details,
    }


def file_json(api, body):
    return api.post(URL, json.dumps(body), content_type="application/json")


def fields(response) -> dict:
    assert response.status_code == 400, response.content[:300]
    return response.json()["error"]["fields"]


# --- the cleaning itself --------------------------------------------------------------------


def test_text_clean_keeps_line_breaks_and_tabs_and_drops_other_controls():
    assert text_clean("a\r\nb\rc\td\x07e\x1bf\x7fg\x85h\u200bi") == "a\nb\nc\tdefgh\u200bi"


def test_text_clean_drops_bidi_controls():
    # U+202E would show "invoice\u202egpj.exe" as "invoiceexe.jpg"; isolates and marks go too.
    typed = "invoice\u202egpj.exe \u2066a\u2069 \u202ab\u202c \u200ec\u200f \u061cd"
    assert text_clean(typed) == "invoicegpj.exe a b c d"
    assert text_shown({"k\u202e": ["x\u2067y"]}) == {"k": ["xy"]}


def test_text_shown_replaces_what_cannot_be_encoded_keys_included():
    assert text_shown({"k\udc00": ["a\ud800b", "c\x00d", 3, {"x": "ok"}]}) == {
        "k\ufffd": ["a\ufffdb", "c\ufffdd", 3, {"x": "ok"}]
    }


# --- the API ---------------------------------------------------------------------------------


def test_api_details_get_control_characters_dropped_like_the_description(api, app):
    body = cancellation(
        app, steps_tried="Settings\x07, then\r\nthe\x1b hotline", app_answer="no\x00"
    )
    body["details"].pop("app_answer")
    body["description"] = "No way\x08 to delete\r\nmy account\u202e."
    response = file_json(api, body)
    assert response.status_code == 201, response.content
    complaint = Complaint.objects.get()
    assert complaint.description == "No way to delete\nmy account."
    assert complaint.details == {"steps_tried": "Settings, then\nthe hotline"}


def test_api_details_with_nul_are_refused_like_the_description(api, app):
    assert fields(file_json(api, cancellation(app, steps_tried="ab\x00c"))) == {
        "details.steps_tried": ["Null characters are not allowed."]
    }
    body = cancellation(app, steps_tried="tried")
    body["description"] = "ab\x00c is what happened"
    assert fields(file_json(api, body)) == {"description": ["Null characters are not allowed."]}


def test_api_details_lines_with_nul_or_objects_are_refused(api, app):
    body = {"app": app.pk, "description": "A scam call.", "category_hint": "fraud"}
    body["details"] = {"scam_phones": ["+86 170 0000 1111", "021\x0012345678"]}
    assert fields(file_json(api, body)) == {
        "details.scam_phones": ["Null characters are not allowed."]
    }
    body["details"] = {"scam_accounts": [{"wechat": "x"}]}
    assert fields(file_json(api, body)) == {"details.scam_accounts": ["Enter text."]}


def test_api_details_that_are_not_text_are_refused(api, app):
    assert fields(file_json(api, cancellation(app, steps_tried={"a": 1}))) == {
        "details.steps_tried": ["Enter text."]
    }


def test_api_details_keep_their_length_limit_after_cleaning(api, app):
    assert fields(file_json(api, cancellation(app, steps_tried="x" * 2001))) == {
        "details.steps_tried": ["Ensure this value has at most 2000 characters (it has 2001)."]
    }
    # Control characters do not count: they are gone before the length is checked.
    response = file_json(api, cancellation(app, steps_tried="x" * 2000 + "\x07" * 10))
    assert response.status_code == 201


def test_api_lone_surrogate_in_json_details_is_refused(api, app):
    body = json.dumps(cancellation(app, steps_tried="SURROGATE")).replace("SURROGATE", "ab\\ud800c")
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "The JSON holds U+D800, half of a character pair, which is not text."
    )
    assert not Complaint.objects.exists()


def test_api_lone_surrogate_in_multipart_details_is_refused(api, app):
    body = cancellation(app)
    body["details"] = '{"steps_tried": "ab\\ud800c"}'
    response = api.post(URL, body, format="multipart")
    assert fields(response) == {
        "details": ["The JSON holds U+D800, half of a character pair, which is not text."]
    }


def test_api_deeply_nested_multipart_details_are_refused(api, app):
    body = cancellation(app)
    body["details"] = '{"steps_tried": ' + "[" * 1000 + "]" * 1000 + "}"
    response = api.post(URL, body, format="multipart")
    assert fields(response) == {"details": ["The JSON is nested more than 32 levels deep."]}


def test_the_service_refuses_details_it_could_not_store(app):
    with pytest.raises(DomainError) as caught:
        make_complaint(
            app=app,
            category_hint=category("account_cancellation"),
            details={"steps_tried": ["ok", "ab\ud800c"]},
        )
    assert caught.value.message == "The details hold U+D800, which is not text."
    assert caught.value.field == "details"


# --- the web form ------------------------------------------------------------------------------


def test_web_details_and_top_level_text_are_cleaned_alike(client, app):
    client.cookies["django_language"] = "en"
    step = lambda name, data: client.post(reverse("file_step", args=[name]), data)  # noqa: E731
    assert step("app", {"app": app.pk}).status_code == 302
    what = {
        "description": "No way\x07 to delete\r\nmy account\u202e.",
        "kind": "account_cancellation",
    }
    assert step("what", what).status_code == 302
    details = {"steps_tried": "Settings\x1b, then\r\nthe\u2066 hotline", "app_answer": "\x07"}
    assert step("details", details).status_code == 302
    client.post(reverse("file_step", args=["evidence"]), {"action": "continue"})
    assert step("contact", {}).status_code == 302
    step("review", {})
    complaint = Complaint.objects.get()
    assert complaint.description == "No way to delete\nmy account."
    assert complaint.details == {"steps_tried": "Settings, then\nthe hotline"}


def test_web_details_with_nul_are_refused(client, app):
    client.cookies["django_language"] = "en"
    client.post(reverse("file_step", args=["app"]), {"app": app.pk})
    client.post(
        reverse("file_step", args=["what"]),
        {"description": "No way to delete my account.", "kind": "fraud"},
    )
    response = client.post(
        reverse("file_step", args=["details"]), {"scam_phones": "021\x0012345678"}
    )
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()


# --- a value stored before the doors cleaned it -------------------------------------------------


@pytest.fixture
def stored_bad(app):
    """A complaint whose details were stored before this cleaning existed (possible on SQLite,
    the embedded default: json.dumps escapes a lone surrogate and SQLite keeps it)."""
    if connection.vendor == "postgresql":
        pytest.skip(
            "PostgreSQL refuses such a row (test_postgresql_refuses_a_lone_surrogate_in_details)"
        )
    complaint = make_complaint(app=app, category_hint=category("account_cancellation"))
    Complaint.objects.filter(pk=complaint.pk).update(
        details={"steps_tried": "ab\ud800c", "bad\udc00key": ["x\x00y"]}
    )
    complaint.refresh_from_db()
    assert complaint.details["steps_tried"] == "ab\ud800c"
    return complaint


@pytest.mark.postgres
def test_postgresql_refuses_a_lone_surrogate_in_details(app):
    """Why the pages below are checked on SQLite only: on PostgreSQL no such row can exist."""
    complaint = make_complaint(app=app, category_hint=category("account_cancellation"))
    with pytest.raises(DataError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(details={"steps_tried": "ab\ud800c"})


def test_triage_page_shows_stored_bad_details(stored_bad, rita):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(rita)
    response = client.get(reverse("triage:detail", args=[stored_bad.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "ab\ufffdc" in page
    assert "bad\ufffdkey" in page


def test_admin_page_shows_stored_bad_details(stored_bad, ada):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(ada)
    url = reverse("admin:complaints_complaint_change", args=[stored_bad.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "ab\ufffdc" in response.content.decode()


def test_admin_refuses_a_lone_surrogate_typed_as_json(stored_bad, ada):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(ada)
    url = reverse("admin:complaints_complaint_change", args=[stored_bad.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["details"] = '{"steps_tried": "ab\\ud800c"}'
    response = client.post(url, data)
    assert response.status_code == 200
    assert "This text holds U+D800, half of a character pair" in response.content.decode()
