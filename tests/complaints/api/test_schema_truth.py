"""The schema says what the API does: every error an operation can give is documented in the
one error shape, nullable fields say so, declared query parameters are enforced (and nothing
undeclared is promised), and errors are JSON whatever representation was asked for.

tests/fuzz/ checks the same promises with generated requests; these are the cases found by
fuzzing, kept as plain regression tests."""

import base64
from decimal import Decimal

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.complaints.api.conftest import error
from tests.factories import make_complaint

pytestmark = pytest.mark.usefixtures("english", "db")


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method.upper(), operation


def test_every_error_answer_is_documented_in_the_error_shape(schema):
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        label = f"{method} {path}"
        params = operation.get("parameters", [])
        if any(p["in"] == "path" for p in params):
            assert "404" in responses, label
        if method == "POST":
            assert {"400", "413", "415"} <= set(responses), label
        if {} not in operation.get("security", []):
            assert "403" in responses, label
        for code, response in responses.items():
            if int(code) >= 400:
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error", label


def test_throttled_operations_document_429(schema):
    filing = schema["paths"]["/api/v1/complaints/"]["post"]["responses"]
    tracking = schema["paths"]["/api/v1/track/{tracking_number}/"]["get"]["responses"]
    cases = schema["paths"]["/api/v1/cases/"]["get"]["responses"]
    assert "429" in filing and "429" in tracking
    assert "429" not in cases


def test_fields_that_can_be_null_say_so(schema):
    components = schema["components"]["schemas"]
    regulator = components["ComplaintRegulator"]["properties"]
    assert regulator["case"].get("nullable") is True
    assert regulator["duplicate_of"].get("nullable") is True
    assert components["QueueItem"]["properties"]["category_hint"].get("nullable") is True
    assert components["Report"]["properties"]["notice"].get("nullable") is True


def test_json_filing_documents_no_files_and_multipart_does(schema):
    body = schema["paths"]["/api/v1/complaints/"]["post"]["requestBody"]["content"]
    json_ref = body["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    form_ref = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    components = schema["components"]["schemas"]
    assert "evidence" not in components[json_ref]["properties"]
    assert "evidence" in components[form_ref]["properties"]


@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        ("/api/v1/cases/", {"app": "null"}, "app"),
        ("/api/v1/cases/", {"status": "lost"}, "status"),
        ("/api/v1/triage/", {"sort": "random"}, "sort"),
        ("/api/v1/triage/", {"money": "maybe"}, "money"),
        ("/api/v1/triage/", {"app": "1", "status": ["submitted", "triaged"]}, "status"),
    ],
)
def test_declared_query_parameters_are_enforced(rita_api, url, query, field):
    response = rita_api.get(url, query)
    assert response.status_code == 400
    assert field in error(response)["fields"]


def test_operator_status_filter_is_enforced(olivia_api):
    response = olivia_api.get("/api/v1/operator/complaints/", {"status": "AAA"})
    assert error(response)["fields"]["status"][0].startswith("Choose one of: accepted,")


def test_flags_take_true_as_well_as_1(rita_api, app):
    with_money = make_complaint(app=app, amount=Decimal("20.00"))
    make_complaint(app=app)
    for value in ("true", "1"):
        results = rita_api.get("/api/v1/triage/", {"money": value}).json()["results"]
        assert [row["id"] for row in results] == [with_money.pk]
    assert len(rita_api.get("/api/v1/triage/", {"money": "false"}).json()["results"]) == 2


@pytest.mark.parametrize("asked", ["xml", ""])
def test_an_unknown_format_is_a_bad_request_in_json(client, asked):
    response = client.get("/api/v1/public/board/", {"format": asked}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert error(response)["fields"] == {"format": ["Choose one of: csv, json."]}


def test_a_csv_request_that_fails_answers_json(client):
    response = client.get(
        "/api/v1/stats/by_month/",
        {"format": "csv", "start_date": "2020-13-01"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert error(response)["fields"] == {"start_date": ["Give a date as YYYY-MM-DD."]}


def test_a_date_range_error_names_the_field_to_change(client):
    response = client.get("/api/v1/stats/", {"start_date": "2000-01-01", "end_date": "2010-01-01"})
    assert list(error(response)["fields"]) == ["start_date"]


@pytest.mark.parametrize(
    "path", ["/api/v1/cases/null,null/", "/api/v1/no-such-thing/", "/api/v1/triage/1/nope/"]
)
def test_an_address_no_route_matches_answers_json_under_the_api(rita_api, path):
    response = rita_api.get(path)
    assert response.status_code == 404
    assert error(response) == {"code": "not_found", "message": "Not found."}


def test_a_page_no_route_matches_outside_the_api_stays_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_multipart_null_means_null_for_fields_that_are_never_text(client, app):
    response = client.post(
        "/api/v1/complaints/",
        {
            "app": str(app.pk),
            "description": "自动续费扣了我 30 元，没有任何提醒。",
            "amount": "null",
            "occurred_date": "null",
            "category_hint": "null",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 201, response.content
    body = client.get(
        f"/api/v1/track/{response.json()['tracking_number']}/",
        HTTP_X_TRACKING_TOKEN=response.json()["access_token"],
    ).json()
    assert body.get("amount") is None


def test_multipart_null_stays_text_in_a_text_field(client, app):
    response = client.post(
        "/api/v1/complaints/",
        {"app_name": "null", "description": "这个应用一直弹窗广告，关不掉。"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("credentials", ["ali\x00ce:pw-alice", "alice:pw-\x00alice"])
def test_basic_credentials_with_a_nul_are_refused_not_a_server_error(client, alice, credentials):
    token = base64.b64encode(credentials.encode()).decode()
    response = client.get(
        "/api/v1/triage/", HTTP_AUTHORIZATION=f"Basic {token}", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code in {401, 403}
    assert error(response)["message"] == "Invalid username/password."
