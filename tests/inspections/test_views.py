"""The case page's inspection panel and its upload form."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from complaints.models import Case, Event
from inspections import services
from inspections.models import AppInspection
from tests.inspections import apks

pytestmark = pytest.mark.usefixtures("english")


def post(client, case, data: bytes | None, follow=True):
    files = {"apk": SimpleUploadedFile("app.apk", data)} if data is not None else {}
    url = reverse("inspections:case_upload", args=[case.pk])
    return client.post(url, files, follow=follow, HTTP_ACCEPT_LANGUAGE="en")


def case_page(client, case) -> str:
    url = reverse("cases:detail", args=[case.pk])
    return client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.aapt
def test_upload_shows_the_report_and_the_changes(
    client, rita, ride_case, ride_apk, ride_apk_fixed, django_capture_on_commit_callbacks
):
    client.force_login(rita)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, ride_case, ride_apk.read_bytes(), follow=False)
    assert response.status_code == 302
    page = case_page(client, ride_case)
    assert "The package was accepted; the inspection is queued." in page
    assert "com.yuntu.ride 3.0 (30)" in page
    assert "Reads every text message on the device" in page  # READ_SMS explained
    assert "beyond scope" in page
    assert "每日互动股份有限公司" in page  # Getui's vendor
    with django_capture_on_commit_callbacks(execute=True):
        post(client, ride_case, ride_apk_fixed.read_bytes(), follow=False)
    page = case_page(client, ride_case)
    assert "Changes since version 3.0" in page
    assert "− <code>android.permission.READ_SMS</code>" in page
    assert "+ AMap Location" in page


def test_refused_file_shows_why_and_changes_nothing(client, rita, ride_case):
    client.force_login(rita)
    status = ride_case.status
    events = Event.objects.filter(case=ride_case).count()
    response = post(client, ride_case, apks.traversal_zip())
    assert response.status_code == 200
    assert (
        "The package holds a file whose name points outside the package."
        in response.content.decode()
    )
    assert AppInspection.objects.count() == 0
    assert Case.objects.get(pk=ride_case.pk).status == status
    assert Event.objects.filter(case=ride_case).count() == events


def test_no_file(client, rita, ride_case):
    client.force_login(rita)
    assert (
        "Choose the app&#x27;s package (APK) to upload."
        in post(client, ride_case, None).content.decode()
    )


def test_only_regulators(client, olivia, ride_case):
    assert post(client, ride_case, b"x").redirect_chain[0][0].startswith("/accounts/login/")
    client.force_login(olivia)
    assert post(client, ride_case, b"x").status_code == 403
    assert AppInspection.objects.count() == 0


def test_unknown_case_and_get(client, rita):
    client.force_login(rita)
    assert client.post(reverse("inspections:case_upload", args=[999999])).status_code == 404
    assert client.get(reverse("inspections:case_upload", args=[1])).status_code == 405


@pytest.mark.aapt
def test_public_scorecard_shows_the_latest_finished_inspection(
    client, rita, ride_app, ride_apk, django_capture_on_commit_callbacks
):
    url = reverse("app-scorecard", args=[ride_app.pk])
    assert "Technical inspection" not in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.inspection_upload(
            app=ride_app, actor=rita, upload=SimpleUploadedFile("a.apk", ride_apk.read_bytes())
        )
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Version 3.0 of the Android app, inspected by the regulator on" in page
    assert "<code>android.permission.READ_SMS</code>" in page
    assert "Getui Push (每日互动股份有限公司)" in page
    assert AppInspection.objects.get().file_sha256 not in page  # nothing about the file itself
