"""The loop's inspection endpoints: compare two inspections, the operator's package, SDK
attribution of a case or complaint, the SDK ranking and pending requests. Each: happy path
with its side effects, anonymous, another role, bad input with the exact message, wrong
method, unknown id."""

import pytest

from complaints.models import Case, Event, TriggerRule
from complaints.services import cases as case_services
from complaints.services import triage
from inspections import services
from inspections.models import AppInspection, SdkAttribution
from tests.factories import make_complaint
from tests.inspections import apks
from tests.inspections.rows import found
from tests.inspections.test_api import api, apk_file

P = "android.permission."


def compare_url(app, query="") -> str:
    return f"/api/v1/apps/{app.pk}/inspections/compare/{query}"


@pytest.fixture
def versions(ride_app):
    old = found(
        ride_app, "getui", "umeng_analytics", version="3.0", version_code=30,
        permissions=[{"name": P + "READ_SMS"}, {"name": P + "INTERNET"}],
    )  # fmt: skip
    new = found(
        ride_app, "umeng_analytics", "amap_location", version="3.1", version_code=31,
        permissions=[{"name": P + "INTERNET"}, {"name": P + "ACCESS_FINE_LOCATION"}],
    )  # fmt: skip
    return old, new


def test_compare_two_versions(ride_app, rita, versions):
    old, new = versions
    response = api(rita).get(compare_url(ride_app, f"?from={old.pk}&to={new.pk}"))
    assert response.status_code == 200
    body = response.json()
    assert (body["older"]["id"], body["older"]["version_name"]) == (old.pk, "3.0")
    assert (body["newer"]["id"], body["newer"]["version_code"]) == (new.pk, 31)
    assert body["permissions_added"] == [P + "ACCESS_FINE_LOCATION"]
    assert body["permissions_removed"] == [P + "READ_SMS"]
    assert body["sdks_added"] == ["AMap Location"]
    assert body["sdks_removed"] == ["Getui Push"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("?to={new}", "from", "Give the id of a finished inspection of this app."),
        ("?from=abc&to={new}", "from", "Give a whole number."),
        ("?from={old}&to=0", "to", "Give a number between 1 and 9223372036854775807."),
        ("?from={other}&to={new}", "from", "{other} is not a finished inspection of this app."),
        ("?from={old}&to=999999", "to", "999999 is not a finished inspection of this app."),
    ],
    ids=["missing", "not-a-number", "zero", "another-app", "unknown"],
)
def test_compare_bad_ids_answer_400(ride_app, app, rita, versions, query, field, message):
    old, new = versions
    other = found(app, version="1.0")
    ids = {"old": old.pk, "new": new.pk, "other": other.pk}
    response = api(rita).get(compare_url(ride_app, query.format(**ids)))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["fields"][field] == [message.format(**ids)]


def test_compare_in_chinese(ride_app, rita, versions):
    response = api(rita, "zh-hans").get(compare_url(ride_app, f"?from=999999&to={versions[1].pk}"))
    assert response.json()["error"]["message"] == "999999 不是本应用已完成的检测。"


@pytest.mark.parametrize("persona", [None, "alice", "oscar"])
def test_compare_only_regulators(request, ride_app, versions, persona):
    user = request.getfixturevalue(persona) if persona else None
    old, new = versions
    assert api(user).get(compare_url(ride_app, f"?from={old.pk}&to={new.pk}")).status_code == 403


def test_compare_unknown_app_and_wrong_method(ride_app, rita, versions):
    old, new = versions
    assert api(rita).get(f"/api/v1/apps/999999/inspections/compare/?from={old.pk}&to={new.pk}").status_code == 404  # fmt: skip
    assert api(rita).post(compare_url(ride_app), {}).status_code == 405


# --- the operator's package ------------------------------------------------------------------


def package_url(case) -> str:
    return f"/api/v1/operator/cases/{case.pk}/package/"


@pytest.mark.aapt
def test_operator_sends_the_package_with_its_report(
    reported_case, oscar, rita, ride_apk_fixed, django_capture_on_commit_callbacks
):
    report = reported_case.responses.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = api(oscar).post(
            package_url(reported_case),
            {"apk": apk_file(ride_apk_fixed.read_bytes())},
            format="multipart",
        )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["case"], body["response"], body["status"]) == (
        reported_case.pk,
        report.pk,
        "queued",
    )
    assert AppInspection.objects.get(pk=body["id"]).version_name == "3.1"
    # The regulator's list shows it, attached to the report.
    listed = api(rita).get(f"/api/v1/apps/{reported_case.app_id}/inspections/").json()
    assert [(row["id"], row["response"]) for row in listed] == [(body["id"], report.pk)]


def test_operator_package_refusals(ride_case, rita, oscar):
    case_services.notice_issue(case=ride_case, actor=rita, problems="SMS.")
    response = api(oscar).post(
        package_url(ride_case), {"apk": apk_file(apks.not_an_apk_zip())}, format="multipart"
    )
    assert response.status_code == 400
    message = "Send the app's package with your rectification report: submit the report first."
    assert response.json()["error"]["fields"] == {"apk": [message]}
    case_services.rectification_report_submit(case=ride_case, actor=oscar, text="Done.")
    response = api(oscar, "zh-hans").post(
        package_url(ride_case), {"apk": apk_file(b"just text")}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "该文件不是安卓安装包（APK）：它不是 zip 压缩包。"
    response = api(oscar).post(package_url(ride_case), {}, format="multipart")
    assert response.json()["error"]["fields"] == {"apk": ["No file was submitted."]}
    assert not AppInspection.objects.exists()


def test_operator_package_who_and_how(reported_case, olivia, rita, alice):
    data = {"apk": apk_file(b"x")}
    assert api(olivia).post(package_url(reported_case), data, format="multipart").status_code == 404
    for user in (None, rita, alice):
        response = api(user).post(
            package_url(reported_case), {"apk": apk_file(b"x")}, format="multipart"
        )
        assert response.status_code == 403
    missing = "/api/v1/operator/cases/999999/package/"
    assert api(olivia).post(missing, {"apk": apk_file(b"x")}, format="multipart").status_code == 404
    assert not AppInspection.objects.exists()


def test_operator_package_wrong_method(reported_case, oscar):
    assert api(oscar).get(package_url(reported_case)).status_code == 405


# --- SDK attribution ------------------------------------------------------------------------


def test_attribute_a_case_over_the_api(ride_case, ride_app, rita):
    inspection = found(ride_app, "getui")
    url = f"/api/v1/cases/{ride_case.pk}/sdk-attribution/"
    assert api(rita).get(url).json() == {"attribution": None}
    response = api(rita).put(url, {"sdk": "getui"}, format="json")
    assert response.status_code == 200
    attribution = response.json()["attribution"]
    assert attribution["sdk"] == "getui"
    assert (attribution["sdk_name"], attribution["vendor"]) == (
        "Getui Push",
        "每日互动股份有限公司",
    )
    assert (attribution["inspection"], attribution["attributed_by"]) == (inspection.pk, "rita")
    assert api(rita).get(url).json()["attribution"]["sdk"] == "getui"
    assert ride_case.events.filter(kind=Event.Kind.NOTE, data__sdk="getui").count() == 1
    assert api(rita).put(url, {"sdk": ""}, format="json").json() == {"attribution": None}
    assert not SdkAttribution.objects.exists()


def test_attribute_a_complaint_over_the_api(ride_app, rita):
    found(ride_app, "umeng_analytics")
    complaint = make_complaint(app=ride_app)
    url = f"/api/v1/complaints/{complaint.pk}/sdk-attribution/"
    response = api(rita).put(url, {"sdk": "umeng_analytics"}, format="json")
    assert response.json()["attribution"]["sdk_name"] == "Umeng Analytics"
    assert complaint.events.filter(kind=Event.Kind.NOTE).count() == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"sdk": "getui"}, "Choose an SDK that an inspection of this app found in its package."),
        ({}, "This field is required."),
        ({"sdk": "x" * 61}, "Ensure this field has no more than 60 characters."),
    ],
    ids=["not-found", "missing", "too-long"],
)
def test_attribution_bad_input(ride_case, ride_app, rita, body, message):
    found(ride_app, "umeng_analytics")
    response = api(rita).put(f"/api/v1/cases/{ride_case.pk}/sdk-attribution/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["sdk"] == [message]
    assert not SdkAttribution.objects.exists()


@pytest.mark.parametrize("persona", [None, "alice", "oscar"])
def test_attribution_only_regulators(request, ride_case, ride_app, persona):
    found(ride_app, "getui")
    user = request.getfixturevalue(persona) if persona else None
    url = f"/api/v1/cases/{ride_case.pk}/sdk-attribution/"
    assert api(user).put(url, {"sdk": "getui"}, format="json").status_code == 403
    assert api(user).get(url).status_code == 403
    assert not SdkAttribution.objects.exists()


def test_attribution_unknown_ids_and_wrong_method(ride_case, rita):
    assert api(rita).put("/api/v1/cases/999999/sdk-attribution/", {"sdk": ""}, format="json").status_code == 404  # fmt: skip
    assert api(rita).get("/api/v1/complaints/999999/sdk-attribution/").status_code == 404
    assert api(rita).delete(f"/api/v1/cases/{ride_case.pk}/sdk-attribution/").status_code == 405


# --- ranking and requests ------------------------------------------------------------------


def test_sdk_ranking_and_inspection_requests(ride_app, ride_case, rita):
    found(ride_app, "getui")
    on_case = make_complaint(app=ride_app)
    triage.complaint_accept(complaint=on_case, actor=rita, category_codes=["over_permission"])
    services.sdk_attribute(actor=rita, sdk_id="getui", case=ride_case)
    ranking = api(rita).get("/api/v1/sdks/ranking/").json()
    assert ranking == [
        {
            "id": "getui",
            "name": "Getui Push",
            "vendor": "每日互动股份有限公司",
            "complaints": 1,
            "apps": 1,
        }
    ]
    assert api(rita).get("/api/v1/inspections/requests/").json() == []
    TriggerRule.objects.filter(category__code="illegal_collection").update(
        threshold=1, request_inspection=True
    )
    triage.complaint_accept(
        complaint=make_complaint(app=ride_app), actor=rita, category_codes=["illegal_collection"]
    )
    case = Case.objects.get(origin=Case.Origin.TRIGGER)
    requests = api(rita).get("/api/v1/inspections/requests/").json()
    assert [(r["id"], r["reference"], r["app_name"], r["status"]) for r in requests] == [
        (case.pk, case.reference, "云途出行", "open")
    ]


@pytest.mark.parametrize("persona", [None, "alice", "olivia"])
def test_ranking_and_requests_only_regulators(db, request, persona):
    user = request.getfixturevalue(persona) if persona else None
    assert api(user).get("/api/v1/sdks/ranking/").status_code == 403
    assert api(user).get("/api/v1/inspections/requests/").status_code == 403


def test_ranking_wrong_method(rita):
    assert api(rita).post("/api/v1/sdks/ranking/", {}).status_code == 405
    assert api(rita).post("/api/v1/inspections/requests/", {}).status_code == 405
