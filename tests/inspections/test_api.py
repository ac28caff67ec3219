"""POST and GET /api/v1/apps/{id}/inspections/: happy path with its side effects, anonymous,
another role, bad input with the exact message, wrong method, unknown id."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from inspections.models import AppInspection
from tests.inspections import apks


def api(user=None, language="en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_authenticate(user)
    return client


def url(app) -> str:
    return f"/api/v1/apps/{app.pk}/inspections/"


def apk_file(data: bytes, name="app.apk") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/vnd.android.package-archive")


@pytest.mark.aapt
def test_upload_queues_then_lists_the_report(
    ride_app, ride_case, ride_apk, rita, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(rita).post(
            url(ride_app),
            {"apk": apk_file(ride_apk.read_bytes()), "case": ride_case.pk},
            format="multipart",
        )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued"
    assert body["case"] == ride_case.pk
    assert AppInspection.objects.get(pk=body["id"]).status == "done"

    listed = api(rita).get(url(ride_app)).json()
    assert [row["id"] for row in listed] == [body["id"]]
    report = listed[0]
    assert (report["status"], report["error"]) == ("done", "")
    assert (report["package"], report["version_name"], report["version_code"]) == (
        "com.yuntu.ride",
        "3.0",
        30,
    )
    contacts = next(p for p in report["permissions"] if p["name"].endswith("READ_CONTACTS"))
    assert contacts == {
        "name": "android.permission.READ_CONTACTS",
        "protection_level": "dangerous",
        "scope": "beyond_scope",
        "pi": ["contacts"],
        "explanation": "Reads everyone in your address book, with their numbers.",
    }
    assert {s["name"] for s in report["sdks"]} == {"Getui Push", "Umeng Analytics"}
    zh = api(rita, "zh-hans").get(url(ride_app)).json()[0]
    contacts_zh = next(p for p in zh["permissions"] if p["name"].endswith("READ_CONTACTS"))
    assert contacts_zh["explanation"] == "读取通讯录中的所有联系人及号码。"


@pytest.mark.parametrize(
    ("data", "language", "message"),
    [
        (b"just text", "en", "The file is not an Android package (APK): it is not a zip archive."),
        (b"just text", "zh-hans", "该文件不是安卓安装包（APK）：它不是 zip 压缩包。"),
        (
            apks.zip_bomb(20),
            "en",
            "The package would unpack to far more than its size (a zip bomb); it was not opened.",
        ),
        (
            apks.not_an_apk_zip(),
            "en",
            "The file is a zip archive but not an Android package (no manifest).",
        ),
    ],
    ids=["text-en", "text-zh", "bomb", "no-manifest"],
)
def test_bad_files_answer_400_in_the_error_shape(ride_app, rita, data, language, message):
    response = api(rita, language).post(url(ride_app), {"apk": apk_file(data)}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "invalid", "message": message, "fields": {"apk": [message]}}
    }
    assert AppInspection.objects.count() == 0


def test_missing_file(ride_app, rita):
    response = api(rita).post(url(ride_app), {}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"apk": ["No file was submitted."]}


def test_case_of_another_app(app, ride_case, rita):
    response = api(rita).post(
        url(app), {"apk": apk_file(apks.not_an_apk_zip()), "case": ride_case.pk}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "This case is about another app."


@pytest.mark.parametrize("persona", [None, "alice", "olivia"])
def test_only_regulators(request, ride_app, persona):
    user = request.getfixturevalue(persona) if persona else None
    client = api(user)
    assert client.get(url(ride_app)).status_code == 403
    response = client.post(url(ride_app), {"apk": apk_file(b"x")}, format="multipart")
    assert response.status_code == 403
    assert AppInspection.objects.count() == 0


def test_unknown_app_and_wrong_method(ride_app, rita):
    assert api(rita).get("/api/v1/apps/999999/inspections/").status_code == 404
    assert (
        api(rita)
        .post("/api/v1/apps/999999/inspections/", {"apk": apk_file(b"x")}, format="multipart")
        .status_code
        == 404
    )
    assert api(rita).delete(url(ride_app)).status_code == 405
