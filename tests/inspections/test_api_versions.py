"""Verification by version over the API: the versions a case's complaints name, each matched
to the app's inspection of that version, and the same for one complaint (what the case page
and the triage page show)."""

import pytest

from tests.factories import make_complaint
from tests.inspections.rows import found
from tests.inspections.test_api import api
from tests.inspections.test_selectors import ago, joined


def brief(inspection) -> dict:
    return {
        "id": inspection.pk,
        "package": inspection.package,
        "version_name": inspection.version_name,
        "version_code": inspection.version_code,
        "response": inspection.response_id,
    }


def without_time(row: dict | None) -> dict | None:
    if row is None:
        return None
    assert row.pop("uploaded_at")
    return row


def test_a_cases_versions_with_their_inspections(ride_app, ride_case, rita):
    found(ride_app, version="3.0", version_code=30, uploaded_at=ago(3))
    newest_30 = found(ride_app, version="3.0", version_code=30, uploaded_at=ago(2))
    v31 = found(ride_app, version="3.1", version_code=31, uploaded_at=ago(1))
    found(ride_app, version="3.2", version_code=32, status="queued")
    for version in ("v3.0", "3.0", "3.0", "31", "3.2", "2.9", ""):
        joined(ride_case, rita, app_version=version)
    response = api(rita).get(f"/api/v1/cases/{ride_case.pk}/versions/")
    assert response.status_code == 200
    rows = [{**row, "inspection": without_time(row["inspection"])} for row in response.json()]
    assert rows == [
        {"version": "2.9", "count": 1, "inspection": None},
        {"version": "3.0", "count": 2, "inspection": brief(newest_30)},
        # A version that is only queued for inspection has no finished report yet.
        {"version": "3.2", "count": 1, "inspection": None},
        {"version": "31", "count": 1, "inspection": brief(v31)},
        {"version": "v3.0", "count": 1, "inspection": brief(newest_30)},
    ]


def test_a_complaints_version_inspection(ride_app, rita):
    v31 = found(ride_app, version="3.1", version_code=31)
    named = make_complaint(app=ride_app, app_version="V3.1")
    unnamed = make_complaint(app=ride_app, app_version="")
    not_inspected = make_complaint(app=ride_app, app_version="4.0")
    client = api(rita)
    answer = client.get(f"/api/v1/complaints/{named.pk}/version-inspection/").json()
    assert answer["app_version"] == "V3.1"
    assert without_time(answer["inspection"]) == brief(v31)
    for complaint, version in ((unnamed, ""), (not_inspected, "4.0")):
        answer = client.get(f"/api/v1/complaints/{complaint.pk}/version-inspection/").json()
        assert answer == {"app_version": version, "inspection": None}


@pytest.mark.parametrize("persona", [None, "alice", "olivia"])
def test_only_regulators(request, ride_case, ride_app, persona):
    user = request.getfixturevalue(persona) if persona else None
    complaint = make_complaint(app=ride_app, app_version="3.0")
    for path in (
        f"/api/v1/cases/{ride_case.pk}/versions/",
        f"/api/v1/complaints/{complaint.pk}/version-inspection/",
    ):
        assert api(user).get(path).status_code == 403


def test_unknown_ids_and_wrong_method(rita):
    client = api(rita)
    for path in ("/api/v1/cases/999999/versions/", "/api/v1/complaints/999999/version-inspection/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert client.post(path, {}, format="json").status_code == 405
