"""Open data and statistics API: /api/v1/stats/… and /api/v1/public/…, JSON and CSV, in the
OpenAPI schema; the dashboard endpoints for regulators only."""

import csv
import io

import pytest

from complaints.services.statistics import statistics_refresh
from tests.complaints.views.test_public import public_world

# Deadlines, clocks and day counts: run at each of the dates in tests/clock.py.
pytestmark = [pytest.mark.django_db, pytest.mark.every_date]


@pytest.fixture
def world(app, other_app, rita, olivia):
    return public_world(app=app, other_app=other_app, rita=rita, olivia=olivia)


def csv_rows(response) -> list[list[str]]:
    # A byte-order mark first, for Excel on Chinese Windows; readers skip it with utf-8-sig.
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- /stats/ ---------------------------------------------------------------------------------


def test_overview_is_open_and_aggregate(client, world):
    response = client.get("/api/v1/stats/")
    assert response.status_code == 200
    body = response.json()
    assert body["figures"]["received"] == 5 and body["figures"]["accepted"] == 2
    assert body["figures"]["cases"] == 3 and body["figures"]["rectified"] == 0
    assert set(body["tables"]) == {
        "by_month",
        "category_mix",
        "top_apps",
        "top_operators",
        "cases_by_status",
    }
    assert set(body["filter"]) == {"start_date", "end_date"}


def test_table_json_and_csv(client, world, app):
    body = client.get("/api/v1/stats/top_apps/").json()
    assert body["key"] == "top_apps"
    assert [c["key"] for c in body["columns"]] == ["app_id", "app", "operator", "complaints"]
    assert body["results"][0] == {
        "app_id": app.pk,
        "app": "快送外卖",
        "operator": "甲科技有限公司",
        "complaints": 2,
    }
    response = client.get("/api/v1/stats/top_apps/", {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="appwatch-top_apps.csv"'
    assert csv_rows(response) == [
        ["app_id", "app", "operator", "complaints"],
        [str(app.pk), "快送外卖", "甲科技有限公司", "2"],
    ]


def test_table_filters(client, world, app, other_app):
    mix = client.get("/api/v1/stats/category_mix/", {"app": app.pk}).json()
    assert {r["code"]: r["complaints"] for r in mix["results"]} == {
        "unauthorized_charges": 2,
        "fraud": 1,
    }
    assert mix["filter"]["app"] == str(app.pk)
    cases = client.get("/api/v1/stats/cases_by_status/", {"app": other_app.pk}).json()
    assert {r["status"]: r["cases"] for r in cases["results"]}["escalated"] == 1


def test_table_unknown_key_is_404_with_message(client, world):
    response = client.get("/api/v1/stats/nonsense/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "No statistics table is called “nonsense”."}
    }


def test_bad_filter_is_400_with_fields(client, world):
    response = client.get(
        "/api/v1/stats/by_month/",
        {"start_date": "2026-05-02", "end_date": "2026-05-01"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The start date must not be after the end date."
    response = client.get("/api/v1/stats/", {"category": "nonsense"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["error"]["fields"] == {
        "category": ["Select a valid choice. That choice is not one of the available choices."]
    }


def test_stats_refuse_writes(client, world):
    assert client.post("/api/v1/stats/").status_code == 405
    assert client.post("/api/v1/stats/by_month/").status_code == 405


def test_stats_follow_new_complaints_after_a_refresh(client, world, app):
    from tests.factories import make_complaint

    make_complaint(app=app)
    statistics_refresh()
    assert client.get("/api/v1/stats/").json()["figures"]["received"] == 6


# --- /stats/dashboard/ (regulators) ----------------------------------------------------------


def test_dashboard_api_for_regulators(client, world, rita):
    client.force_login(rita)
    body = client.get("/api/v1/stats/dashboard/").json()
    assert body["figures"]["backlog"] == 2 and body["figures"]["decision_overdue"] == 1
    assert "relabel_rate" in body["tables"]
    funnel = client.get("/api/v1/stats/dashboard/funnel/").json()
    assert {r["step"]: r["count"] for r in funnel["results"]}["noticed"] == 2
    response = client.get("/api/v1/stats/dashboard/confidence/", {"format": "csv"})
    assert csv_rows(response)[0] == ["bin", "complaints"]


def test_dashboard_api_permissions(client, world, alice, olivia):
    assert client.get("/api/v1/stats/dashboard/").status_code == 403
    assert client.get("/api/v1/stats/dashboard/funnel/").status_code == 403
    for person in (alice, olivia):
        client.force_login(person)
        assert client.get("/api/v1/stats/dashboard/").status_code == 403
        assert client.get("/api/v1/stats/dashboard/funnel/", {"format": "csv"}).status_code == 403


def test_dashboard_api_unknown_table_and_method(client, world, rita):
    client.force_login(rita)
    assert client.get("/api/v1/stats/dashboard/nonsense/").status_code == 404
    assert client.post("/api/v1/stats/dashboard/").status_code == 405


# --- /public/ --------------------------------------------------------------------------------


def test_public_board_json(client, world, other_app):
    body = client.get("/api/v1/public/board/").json()
    assert body["count"] == 2 and body["next"] is None
    first = body["results"][0]
    assert first["reference"] == world.overdue.reference
    assert first["app"] == {"id": other_app.pk, "name": "云途出行"}
    assert first["status"] == "escalated" and first["escalation"] == "store_removal"
    assert first["categories"] == ["fraud"]
    assert body["counts"]["escalated"] == 1 and body["counts"]["under_rectification"] == 1


def test_public_board_csv_and_search(client, world):
    rows = csv_rows(client.get("/api/v1/public/board/", {"format": "csv", "q": "快送"}))
    assert rows[0][:3] == ["reference", "app", "operator"]
    assert [r[0] for r in rows[1:]] == [world.case.reference]
    assert rows[1][1] == "快送外卖" and rows[1][3] == "unauthorized_charges"


def test_public_board_bad_input(client, world):
    response = client.get("/api/v1/public/board/", {"status": "lost"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["status"][0]
    assert message.startswith("Choose one of: awaiting_verification, closed,")
    response = client.get("/api/v1/public/board/", {"page": "two"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["error"]["fields"] == {"page": ["Give a whole number."]}


def test_public_app_scorecard(client, world, app, other_app):
    body = client.get(f"/api/v1/public/apps/{app.pk}/").json()
    assert body["app"]["operator"]["name"] == "甲科技有限公司"
    card = body["scorecard"]
    assert card["figures"]["response_rate"] == 0.5 and card["figures"]["resolution_rate"] == 1.0
    assert card["warning"] is None
    assert [c["reference"] for c in card["cases"]] == [world.case.reference]
    assert [t["key"] for t in card["tables"]] == ["by_month", "category_mix"]
    warned = client.get(f"/api/v1/public/apps/{other_app.pk}/").json()["scorecard"]["warning"]
    assert warned["escalated"] == 1


def test_public_operator_scorecard(client, world, other_company, other_app):
    body = client.get(f"/api/v1/public/operators/{other_company.pk}/").json()
    assert body["operator"]["credit_code"] == other_company.credit_code
    assert body["apps"][0]["name"] == other_app.name
    assert body["scorecard"]["warning"]["escalated"] == 1


def test_public_scorecards_unknown_and_method(client, world, app):
    assert client.get("/api/v1/public/apps/999999/").status_code == 404
    assert client.get("/api/v1/public/operators/999999/").status_code == 404
    assert client.post(f"/api/v1/public/apps/{app.pk}/").status_code == 405


def test_public_complaints_are_masked_and_paged(client, world, app):
    body = client.get("/api/v1/public/complaints/").json()
    assert body["count"] == 1 and body["next"] is None
    record = body["results"][0]
    assert record["id"] == world.confirmed.pk
    assert "13812345678" not in record["text"] and "138****5678" in record["text"]
    assert set(record) == {"id", "submitted_date", "app", "app_name", "categories", "text"}
    rows = csv_rows(client.get("/api/v1/public/complaints/", {"format": "csv", "app": app.pk}))
    assert rows[0] == ["id", "submitted_date", "app", "categories", "text"]
    assert rows[1][2] == "快送外卖"


def test_public_complaints_bad_input_and_method(client, world):
    response = client.get(
        "/api/v1/public/complaints/", {"before": "x.y"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["before"] == ["That page link is not valid."]
    assert client.get("/api/v1/public/complaints/", {"app": "999999"}).status_code == 400
    assert client.post("/api/v1/public/complaints/").status_code == 405


def test_open_data_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/stats/",
        "/api/v1/stats/{key}/",
        "/api/v1/stats/dashboard/",
        "/api/v1/stats/dashboard/{key}/",
        "/api/v1/public/board/",
        "/api/v1/public/apps/{id}/",
        "/api/v1/public/operators/{id}/",
        "/api/v1/public/complaints/",
    ):
        assert "get" in paths[path], path
    table = paths["/api/v1/stats/{key}/"]["get"]
    assert {"application/json", "text/csv"} <= set(table["responses"]["200"]["content"])
    assert {p["name"] for p in table["parameters"]} >= {
        "key",
        "start_date",
        "end_date",
        "category",
        "app",
        "operator",
        "format",
    }
