"""Reads of the loop: two inspections compared, complaints matched to a version, what "verify
rectified" compares, a notice's technical evidence and the SDK ranking."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from complaints.errors import DomainError
from complaints.services import cases as case_services
from complaints.services import triage
from inspections import selectors, services
from inspections.models import EmbeddedSdk
from tests.factories import make_complaint
from tests.inspections.rows import found

pytestmark = pytest.mark.usefixtures("english")
P = "android.permission."


def joined(case, rita, **fields):
    """A complaint about the case's app, accepted into the case's category (so it joins it)."""
    complaint = make_complaint(app=case.app, **fields)
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["over_permission"])
    complaint.refresh_from_db()
    assert complaint.case_id == case.pk
    return complaint


def ago(hours: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=hours)


def test_pair_refuses_ids_of_another_app_or_unfinished(ride_app, app):
    old = found(ride_app, version="3.0", uploaded_at=ago(2))
    new = found(ride_app, version="3.1", uploaded_at=ago(1))
    other = found(app, version="1.0")
    queued = found(ride_app, version="3.2", status="queued")
    assert selectors.inspection_pair(ride_app, old.pk, new.pk) == (old, new)
    for pair, field, bad in (
        ((other.pk, new.pk), "from", other.pk),
        ((old.pk, queued.pk), "to", queued.pk),
        ((old.pk, 10**9), "to", 10**9),
    ):
        with pytest.raises(DomainError) as refused:
            selectors.inspection_pair(ride_app, *pair)
        assert refused.value.field == field
        assert refused.value.message == f"{bad} is not a finished inspection of this app."


def test_complaints_are_matched_to_an_inspected_version(ride_app, ride_case, rita):
    found(ride_app, version="3.0", version_code=30, uploaded_at=ago(3))
    newest_30 = found(ride_app, version="3.0", version_code=30, uploaded_at=ago(2))
    v31 = found(ride_app, version="3.1", version_code=31, uploaded_at=ago(1))
    assert selectors.version_inspection(ride_app.pk, "v3.0") == newest_30
    assert selectors.version_inspection(ride_app.pk, " 3.0 ") == newest_30
    assert selectors.version_inspection(ride_app.pk, "31") == v31
    assert selectors.version_inspection(ride_app.pk, "V3.1") == v31
    assert selectors.version_inspection(ride_app.pk, "2.9") is None
    assert selectors.version_inspection(ride_app.pk, "") is None
    for version in ("3.0", "v3.0", "2.9", ""):
        joined(ride_case, rita, app_version=version)
    assert selectors.case_versions(ride_case) == [
        {"version": "2.9", "count": 1, "inspection": None},
        {"version": "3.0", "count": 1, "inspection": newest_30},
        {"version": "v3.0", "count": 1, "inspection": newest_30},
    ]


def test_verification_compares_the_operators_package_with_the_one_before(
    ride_app, ride_case, rita, oscar
):
    assert selectors.verification_comparison(ride_case) is None
    found(
        ride_app, "getui", version="3.0", uploaded_at=ago(5), case=ride_case,
        permissions=[{"name": P + "READ_SMS"}, {"name": P + "INTERNET"}],
    )  # fmt: skip
    # One inspected package: nothing to compare it with yet.
    assert selectors.verification_comparison(ride_case) is None
    case_services.notice_issue(case=ride_case, actor=rita, problems="SMS.")
    report = case_services.rectification_report_submit(case=ride_case, actor=oscar, text="Fixed.")
    sent = found(
        ride_app, "umeng_analytics", version="3.1", uploaded_at=ago(2), case=ride_case,
        response=report, permissions=[{"name": P + "INTERNET"}],
    )  # fmt: skip
    # A regulator's later upload of another build does not displace the operator's package.
    found(ride_app, version="3.2", uploaded_at=ago(1), case=ride_case)
    comparison = selectors.verification_comparison(ride_case)
    assert (comparison["newer"], comparison["older"].version_name) == (sent, "3.0")
    assert comparison["older"].uploaded_at < sent.uploaded_at
    assert comparison["permissions_removed"] == [P + "READ_SMS"]
    assert (comparison["sdks_removed"], comparison["sdks_added"]) == (
        ["Getui Push"],
        ["Umeng Analytics"],
    )


def test_a_notice_lists_the_inspections_on_its_case_before_it(ride_app, ride_case, rita, app):
    evidence = found(ride_app, "getui", version="3.0", uploaded_at=ago(3), case=ride_case)
    found(ride_app, version="2.0", uploaded_at=ago(3))  # not on the case
    found(ride_app, version="3.0", uploaded_at=ago(2), case=ride_case, status="failed")
    notice = case_services.notice_issue(case=ride_case, actor=rita, problems="SMS.")
    found(ride_app, version="3.1", case=ride_case)  # after the notice
    assert selectors.notice_inspections(notice) == [evidence]


def test_sdk_ranking(ride_app, ride_case, app, rita):
    found(ride_app, "getui", "umeng_analytics", version="3.0", uploaded_at=ago(2))
    found(ride_app, "umeng_analytics", version="3.1", uploaded_at=ago(1))  # Getui removed
    found(app, "getui", "umeng_analytics")
    on_case = [joined(ride_case, rita) for _ in range(3)]
    # The case (3 complaints) to Getui, found in 3.0; one of its complaints to Umeng itself.
    services.sdk_attribute(actor=rita, sdk_id="getui", case=ride_case)
    services.sdk_attribute(actor=rita, sdk_id="umeng_analytics", complaint=on_case[0])
    rows = {row["id"]: row for row in selectors.sdk_ranking()}
    assert (rows["getui"]["complaints"], rows["getui"]["apps"]) == (2, 1)
    assert (rows["umeng_analytics"]["complaints"], rows["umeng_analytics"]["apps"]) == (1, 2)
    assert [row["id"] for row in selectors.sdk_ranking()] == ["getui", "umeng_analytics"]
    assert rows["getui"]["vendor"] == "每日互动股份有限公司"


def test_embedded_sdks_follow_the_newest_finished_inspection(ride_app):
    found(ride_app, "getui", "umeng_analytics", version="3.0", uploaded_at=ago(2))
    newest = found(ride_app, "umeng_analytics", version="3.1", uploaded_at=ago(1))
    # An older upload that finishes later, and a failed newer one, displace nothing.
    found(ride_app, "jpush", version="2.9", uploaded_at=ago(5))
    found(ride_app, "jpush", version="3.2", status="failed")
    rows = EmbeddedSdk.objects.filter(app=ride_app)
    assert [(row.sdk_id, row.inspection_id) for row in rows] == [("umeng_analytics", newest.pk)]


@pytest.mark.aapt
def test_the_worker_records_what_the_package_embeds(
    ride_app, ride_apk, rita, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        inspection = services.inspection_upload(
            app=ride_app, actor=rita, upload=SimpleUploadedFile("a.apk", ride_apk.read_bytes())
        )
    rows = EmbeddedSdk.objects.filter(app=ride_app).order_by("sdk_id")
    assert [(row.sdk_id, row.inspection_id) for row in rows] == [
        ("getui", inspection.pk),
        ("umeng_analytics", inspection.pk),
    ]
