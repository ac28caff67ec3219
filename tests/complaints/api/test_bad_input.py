"""Bad input answers 400 (or 413) in the one error shape, never 500: JSON nested too deep or
holding lone surrogates, bodies over the size limit, page numbers and ids beyond 64 bits."""

import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from complaints.api.parsers import JSONParser as DepthLimitedJSONParser
from tests.complaints.api.conftest import error
from tests.factories import make_complaint
from tests.otp import VerifiedClient as Client

pytestmark = pytest.mark.usefixtures("english", "db")

DEEP = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
TOO_BIG_ID = "922337203685477581922"  # beyond a 64-bit integer
TOO_BIG_PAGE = "922337203685477581"


@pytest.fixture
def rita_client(rita):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(rita)
    return client


# --- JSON the parser refuses ---------------------------------------------------------------


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["arrays", "objects"])
def test_deeply_nested_json_is_refused_on_filing(api, body):
    response = api.post("/api/v1/complaints/", body, content_type="application/json")
    assert response.status_code == 400
    assert error(response) == {
        "code": "parse_error",
        "message": "The JSON is nested more than 32 levels deep.",
    }


def test_deeply_nested_json_is_refused_on_the_anonymous_confirm(api, app):
    complaint = make_complaint(app=app)
    response = api.post(
        f"/api/v1/track/{complaint.tracking_number}/confirm/",
        DEEP,
        content_type="application/json",
        headers={"X-Tracking-Token": complaint.test_token},
    )
    assert response.status_code == 400
    assert error(response)["code"] == "parse_error"


def test_deeply_nested_json_is_refused_on_a_regulator_action(rita_api, app):
    complaint = make_complaint(app=app)
    response = rita_api.post(
        f"/api/v1/triage/{complaint.pk}/accept/", DEEP, content_type="application/json"
    )
    assert response.status_code == 400
    assert error(response)["code"] == "parse_error"


def test_nesting_within_the_limit_still_parses(api, app):
    # A sensible body with brackets inside strings: they do not count as nesting.
    body = {"app": app.pk, "description": "[[[[{{{{" * 10 + " 闪退", "details": {}}
    response = api.post("/api/v1/complaints/", json.dumps(body), content_type="application/json")
    assert response.status_code == 201


def test_lone_surrogate_anywhere_in_the_json_is_refused(api, app):
    body = '{"app": APP, "description": "ab\\udc80c \\u95ea\\u9000"}'.replace("APP", str(app.pk))
    response = api.post("/api/v1/complaints/", body, content_type="application/json")
    assert response.status_code == 400
    assert error(response)["message"] == (
        "The JSON holds U+DC80, half of a character pair, which is not text."
    )


def test_a_proper_surrogate_pair_is_text(api, app):
    body = '{"app": APP, "description": "\\ud83d\\ude00 crashes"}'.replace("APP", str(app.pk))
    response = api.post("/api/v1/complaints/", body, content_type="application/json")
    assert response.status_code == 201


def _api_views():
    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "cls"):
                yield pattern.callback.cls

    return list(walk(get_resolver().url_patterns))


def test_every_api_view_parses_json_with_the_depth_limit():
    views = _api_views()
    assert len(views) > 30
    for view in views:
        for parser in view.parser_classes:
            if "json" in parser.media_type:
                assert issubclass(parser, DepthLimitedJSONParser), (view, parser)


# --- bodies over the limit -----------------------------------------------------------------


def test_oversized_json_body_answers_json(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"app_name": "x", "description": "闪退" * 2000})
    response = api.post("/api/v1/complaints/", body, content_type="application/json")
    assert response.status_code == 413
    assert error(response) == {"code": "too_large", "message": "The request is too large."}


def test_oversized_form_body_answers_json(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post(
        "/api/v1/complaints/", {"app_name": "x", "description": "x" * 5000}, format="multipart"
    )
    assert response.status_code == 413
    assert error(response)["code"] == "too_large"


# --- page numbers and ids beyond 64 bits ---------------------------------------------------


def test_huge_page_on_the_public_board_page(client):
    # The page shows its last page, as for any page past the end.
    response = client.get("/board/", {"page": TOO_BIG_PAGE})
    assert response.status_code == 200


def test_huge_page_on_the_public_board_api(api):
    response = api.get("/api/v1/public/board/", {"page": TOO_BIG_PAGE})
    assert response.status_code == 400
    last = str((2**63 - 1) // 100)
    assert error(response)["fields"] == {"page": [f"Give a number between 1 and {last}."]}
    # The last page a database offset can hold is still an (empty) page.
    assert api.get("/api/v1/public/board/", {"page": last}).json()["results"] == []


@pytest.mark.parametrize(
    ("url", "name", "message"),
    [
        ("/api/v1/triage/", "app", "Give a number between 1 and 9223372036854775807."),
        ("/api/v1/cases/", "app", "Give a number between 1 and 9223372036854775807."),
        ("/api/v1/cases/", "assignee", "Give me, none or a user id."),
    ],
)
@pytest.mark.parametrize("value", [TOO_BIG_ID])
def test_ids_beyond_64_bits_in_api_filters(rita_api, url, name, message, value):
    response = rita_api.get(url, {name: value})
    assert response.status_code == 400
    assert error(response)["fields"] == {name: [message]}


def test_a_19_digit_assignee_past_the_largest_id_is_refused(rita_api):
    response = rita_api.get("/api/v1/cases/", {"assignee": "9999999999999999999"})
    assert error(response)["fields"] == {
        "assignee": ["Give an id between 1 and 9223372036854775807."]
    }


@pytest.mark.parametrize(
    ("url", "name"),
    [("/triage/", "app"), ("/cases/", "app"), ("/cases/", "assignee")],
)
@pytest.mark.parametrize("value", [TOO_BIG_ID])
def test_ids_beyond_64_bits_in_page_filters(rita_client, url, name, value):
    response = rita_client.get(url, {name: value})
    assert response.status_code == 400
    assert b"Request not understood" in response.content


@pytest.mark.parametrize("url", ["/api/v1/triage/", "/api/v1/cases/"])
def test_digits_that_are_not_ascii_are_refused_by_the_api(rita_api, rita_client, url):
    # "²".isdigit() is true, but int("²") raises: such values must not reach int(). The API
    # refuses what its schema does not allow; the web pages ignore a malformed filter.
    assert error(rita_api.get(url, {"app": "²"}))["fields"] == {"app": ["Give a whole number."]}
    assert rita_api.get("/api/v1/cases/", {"assignee": "²"}).status_code == 400
    page = url.removeprefix("/api/v1")
    assert rita_client.get(page, {"app": "²"}).status_code == 200


def test_the_parse_error_is_in_the_clients_language():
    api = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = api.post("/api/v1/complaints/", DEEP, content_type="application/json")
    assert response.json()["error"]["message"] == "JSON 的嵌套超过了 32 层。"
