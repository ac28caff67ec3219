"""Uploading a package and inspecting it: what is stored, what a refusal or a failure leaves."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints.errors import DomainError, PermissionDenied
from complaints.models import Case, Event
from inspections import services
from inspections.models import AppInspection
from inspections.selectors import inspections_compare
from tests.inspections import apks

pytestmark = pytest.mark.usefixtures("english")
P = "android.permission."


def upload(path_or_bytes, name="app.apk") -> SimpleUploadedFile:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.mark.aapt
def test_upload_then_inspect(
    ride_app, ride_case, ride_apk, rita, _store, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        inspection = services.inspection_upload(
            app=ride_app, actor=rita, upload=upload(ride_apk, "../../evil name.apk"), case=ride_case
        )
    inspection.refresh_from_db()
    assert inspection.status == AppInspection.Status.DONE
    assert (inspection.package, inspection.version_name, inspection.version_code) == (
        "com.yuntu.ride", "3.0", 30,
    )  # fmt: skip
    assert inspection.app_type == "ride_hailing"
    assert [b["permission"] for b in inspection.beyond_scope] == [
        P + "READ_CONTACTS",
        P + "READ_SMS",
    ]
    assert sorted(s["id"] for s in inspection.sdks) == ["getui", "umeng_analytics"]
    assert inspection.uploaded_by == rita
    # Stored under our own name (the hash) in the inspection directory, not the uploader's.
    assert [p.name for p in _store.iterdir()] == [f"{inspection.file_sha256}.apk"]
    assert inspection.file_size == ride_apk.stat().st_size
    event = Event.objects.get(case=ride_case, kind=Event.Kind.EVIDENCE)
    assert event.data["inspection"] == inspection.pk
    assert event.public is False


@pytest.mark.aapt
def test_comparison_after_rectification(
    ride_app, ride_apk, ride_apk_fixed, rita, django_capture_on_commit_callbacks
):
    done = []
    for path in (ride_apk, ride_apk_fixed):
        with django_capture_on_commit_callbacks(execute=True):
            done.append(services.inspection_upload(app=ride_app, actor=rita, upload=upload(path)))
    older, newer = (AppInspection.objects.get(pk=i.pk) for i in done)
    assert inspections_compare(older, newer) == {
        "permissions_added": [],
        "permissions_removed": [P + "READ_CONTACTS", P + "READ_SMS"],
        "sdks_added": ["AMap Location"],
        "sdks_removed": ["Getui Push"],
    }
    assert newer.beyond_scope == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"MZ\x90\x00 not a zip",
            "The file is not an Android package (APK): it is not a zip archive.",
        ),
        (
            apks.zip_bomb(20),
            "The package would unpack to far more than its size (a zip bomb); it was not opened.",
        ),
        (apks.traversal_zip(), "The package holds a file whose name points outside the package."),
        (
            apks.not_an_apk_zip(),
            "The file is a zip archive but not an Android package (no manifest).",
        ),
    ],
    ids=["not-zip", "bomb", "traversal", "no-manifest"],
)
def test_refused_files_leave_nothing(ride_case, rita, _store, data, message):
    before = list(Event.objects.filter(case=ride_case).values_list("pk", flat=True))
    with pytest.raises(DomainError) as refused:
        services.inspection_upload(
            app=ride_case.app, actor=rita, upload=upload(data), case=ride_case
        )
    assert refused.value.message == message
    assert refused.value.field == "apk"
    assert AppInspection.objects.count() == 0
    assert list(_store.iterdir()) == []
    assert list(Event.objects.filter(case=ride_case).values_list("pk", flat=True)) == before


def test_size_limit(ride_app, rita, settings):
    settings.INSPECTION_MAX_BYTES = 10
    with pytest.raises(DomainError) as refused:
        services.inspection_upload(app=ride_app, actor=rita, upload=upload(apks.not_an_apk_zip()))
    assert refused.value.message == "The file is larger than the limit for app packages."


def test_only_regulators(ride_app, oscar):
    with pytest.raises(PermissionDenied):
        services.inspection_upload(app=ride_app, actor=oscar, upload=upload(apks.not_an_apk_zip()))


def test_case_of_another_app(app, ride_case, rita):
    with pytest.raises(DomainError) as refused:
        services.inspection_upload(
            app=app, actor=rita, upload=upload(apks.not_an_apk_zip()), case=ride_case
        )
    assert refused.value.field == "case"


def test_unreadable_package_fails_the_inspection_only(
    ride_case, rita, django_capture_on_commit_callbacks
):
    """A zip with a manifest that androguard cannot read passes the checks, then fails in the
    worker: the inspection says why (in both languages), the case is untouched."""
    data = apks.zip_bytes({"AndroidManifest.xml": b"\x03\x00garbage" * 50})
    status_before = ride_case.status
    with django_capture_on_commit_callbacks(execute=True):
        inspection = services.inspection_upload(
            app=ride_case.app, actor=rita, upload=upload(data), case=ride_case
        )
    inspection.refresh_from_db()
    assert inspection.status == AppInspection.Status.FAILED
    assert inspection.error_text() == "The package could not be read as an Android package."
    from django.utils import translation

    with translation.override("zh-hans"):
        assert inspection.error_text() == "无法将该文件读取为安卓安装包。"
    assert Case.objects.get(pk=ride_case.pk).status == status_before
    assert inspection.permissions == [] and inspection.package == ""


@pytest.mark.aapt
def test_run_twice_and_missing_file(ride_app, ride_apk, rita, _store):
    inspection = services.inspection_upload(app=ride_app, actor=rita, upload=upload(ride_apk))
    # Not committed in this test, so nothing ran yet; run it by hand, twice.
    services.inspection_run(inspection_id=inspection.pk)
    first = AppInspection.objects.get(pk=inspection.pk)
    services.inspection_run(inspection_id=inspection.pk)
    assert AppInspection.objects.get(pk=inspection.pk).inspected_at == first.inspected_at

    lost = services.inspection_upload(app=ride_app, actor=rita, upload=upload(ride_apk))
    AppInspection.objects.filter(pk=lost.pk).update(stored_name="gone.apk")
    services.inspection_run(inspection_id=lost.pk)
    assert AppInspection.objects.get(pk=lost.pk).error_code == "missing_file"
