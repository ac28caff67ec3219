"""The inspection in the loop: the operator's package with its rectification report, trigger
rules that ask for an inspection, and SDK attribution of a case or a complaint."""

import pytest
from django.core.exceptions import ValidationError

from complaints.errors import DomainError, PermissionDenied
from complaints.models import Case, Event, TriggerRule
from complaints.services import cases as case_services
from complaints.services import triage
from inspections import selectors, services
from inspections.models import AppInspection, SdkAttribution
from tests.factories import make_complaint
from tests.inspections import apks
from tests.inspections.rows import found
from tests.inspections.test_services import upload

pytestmark = pytest.mark.usefixtures("english")


# --- the operator's package ------------------------------------------------------------------


@pytest.mark.aapt
def test_operator_package_is_attached_to_its_report(
    reported_case, oscar, ride_apk_fixed, django_capture_on_commit_callbacks
):
    report = reported_case.responses.get()
    with django_capture_on_commit_callbacks(execute=True):
        inspection = services.package_submit(
            case=reported_case, actor=oscar, upload=upload(ride_apk_fixed)
        )
    inspection.refresh_from_db()
    assert (inspection.status, inspection.version_name) == ("done", "3.1")
    assert (inspection.case, inspection.response, inspection.uploaded_by) == (
        reported_case, report, oscar,
    )  # fmt: skip
    event = Event.objects.get(case=reported_case, kind=Event.Kind.EVIDENCE)
    assert event.data == {
        "inspection": inspection.pk,
        "sha256": inspection.file_sha256,
        "response_id": report.pk,
    }
    assert event.text == (
        "The operator submitted the app's package (APK) for inspection with its report."
    )
    assert event.public is False
    # Still the regulator's turn: the package changes no status.
    assert Case.objects.get(pk=reported_case.pk).status == Case.Status.RESPONSE_RECEIVED
    assert list(selectors.operator_packages(reported_case)) == [inspection]


def test_operator_package_before_any_report_is_refused(noticed_case, oscar, _store):
    with pytest.raises(DomainError) as refused:
        services.package_submit(case=noticed_case, actor=oscar, upload=upload(b"PK"))
    assert refused.value.message == (
        "Send the app's package with your rectification report: submit the report first."
    )
    assert refused.value.field == "apk"
    assert not AppInspection.objects.exists()
    assert not _store.exists() or not any(_store.iterdir())


def test_another_operator_cannot_send_a_package(reported_case, olivia):
    with pytest.raises(PermissionDenied):
        services.package_submit(case=reported_case, actor=olivia, upload=upload(b"PK"))
    assert not AppInspection.objects.exists()


def test_a_refused_package_changes_nothing(reported_case, oscar, _store):
    events = Event.objects.filter(case=reported_case).count()
    with pytest.raises(DomainError) as refused:
        services.package_submit(case=reported_case, actor=oscar, upload=upload(apks.zip_bomb(20)))
    assert refused.value.message == (
        "The package would unpack to far more than its size (a zip bomb); it was not opened."
    )
    assert not AppInspection.objects.exists()
    assert not any(_store.iterdir())
    assert Event.objects.filter(case=reported_case).count() == events
    assert Case.objects.get(pk=reported_case.pk).status == Case.Status.RESPONSE_RECEIVED


# --- trigger rules that ask for an inspection ---------------------------------------------------


def _rule(code: str, **fields) -> TriggerRule:
    rule = TriggerRule.objects.get(category__code=code)
    for name, value in {"threshold": 1, **fields}.items():
        setattr(rule, name, value)
    rule.save()
    return rule


def test_a_rule_asking_for_an_inspection_marks_the_case_it_opens(ride_app, rita, oscar):
    _rule("illegal_collection", request_inspection=True)
    complaint = make_complaint(app=ride_app)
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["illegal_collection"])
    case = Case.objects.get(origin=Case.Origin.TRIGGER)
    assert case.inspection_requested_at is not None
    event = case.events.get(kind=Event.Kind.NOTE, data__inspection_requested=True)
    assert event.text == (
        "Inspection requested: the operator of 云途出行 is asked for the app's package (APK)."
    )
    assert list(selectors.inspection_requests_pending()) == [case]
    assert selectors.case_request_pending(case)


@pytest.mark.aapt
def test_the_operator_answers_the_request_without_a_report(
    ride_app, rita, oscar, ride_apk, django_capture_on_commit_callbacks
):
    _rule("over_permission", request_inspection=True)
    triage.complaint_accept(
        complaint=make_complaint(app=ride_app), actor=rita, category_codes=["over_permission"]
    )
    case = Case.objects.get(origin=Case.Origin.TRIGGER)
    case_services.notice_issue(case=case, actor=rita, problems="Contacts at launch.")
    case.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        inspection = services.package_submit(case=case, actor=oscar, upload=upload(ride_apk))
    assert (inspection.case, inspection.response) == (case, None)
    event = case.events.get(kind=Event.Kind.EVIDENCE, data__inspection=inspection.pk)
    assert event.text == "The operator sent the app's package (APK) the regulator asked for."
    assert list(selectors.inspection_requests_pending()) == []
    assert not selectors.case_request_pending(case)


def test_a_rule_without_the_flag_asks_nothing(ride_app, rita):
    _rule("over_permission")
    triage.complaint_accept(
        complaint=make_complaint(app=ride_app), actor=rita, category_codes=["over_permission"]
    )
    assert Case.objects.get(origin=Case.Origin.TRIGGER).inspection_requested_at is None
    assert list(selectors.inspection_requests_pending()) == []


def test_only_permission_and_collection_rules_may_ask(ride_app, rita):
    fraud = _rule("fraud", request_inspection=True)  # saved past the admin's check
    with pytest.raises(ValidationError) as refused:
        fraud.full_clean()
    assert refused.value.message_dict["request_inspection"] == [
        "Only rules on over-permission or illegal collection can ask for an inspection of "
        "the app's package."
    ]
    triage.complaint_accept(
        complaint=make_complaint(app=ride_app), actor=rita, category_codes=["fraud"]
    )
    assert Case.objects.get(origin=Case.Origin.TRIGGER).inspection_requested_at is None


def test_an_ended_case_is_no_longer_pending(ride_app, rita):
    _rule("over_permission", request_inspection=True)
    triage.complaint_accept(
        complaint=make_complaint(app=ride_app), actor=rita, category_codes=["over_permission"]
    )
    case = Case.objects.get(origin=Case.Origin.TRIGGER)
    case_services.case_close(case=case, actor=rita, reason="Duplicate of another case.")
    assert list(selectors.inspection_requests_pending()) == []


# --- SDK attribution -------------------------------------------------------------------------


def test_attribute_a_case_to_an_sdk_and_back(ride_case, ride_app, rita):
    inspection = found(ride_app, "getui", "umeng_analytics")
    attribution = services.sdk_attribute(actor=rita, sdk_id="getui", case=ride_case)
    assert (attribution.sdk_name, attribution.vendor) == ("Getui Push", "每日互动股份有限公司")
    assert (attribution.inspection, attribution.attributed_by) == (inspection, rita)
    event = ride_case.events.get(kind=Event.Kind.NOTE, data__sdk="getui")
    assert event.text == "Attributed to the embedded SDK Getui Push (每日互动股份有限公司)."
    # The same SDK again records nothing new; another one replaces it.
    services.sdk_attribute(actor=rita, sdk_id="getui", case=ride_case)
    assert ride_case.events.filter(kind=Event.Kind.NOTE).count() == 1
    services.sdk_attribute(actor=rita, sdk_id="umeng_analytics", case=ride_case)
    assert SdkAttribution.objects.get().sdk_id == "umeng_analytics"
    # Back to the host app.
    assert services.sdk_attribute(actor=rita, sdk_id="", case=ride_case) is None
    assert not SdkAttribution.objects.exists()
    assert ride_case.events.filter(kind=Event.Kind.NOTE).last().text == (
        "Attributed to the host app again, not to an SDK."
    )


def test_attribute_a_complaint(ride_app, rita):
    found(ride_app, "umeng_analytics")
    complaint = make_complaint(app=ride_app)
    services.sdk_attribute(actor=rita, sdk_id="umeng_analytics", complaint=complaint)
    assert complaint.sdk_attribution.sdk_id == "umeng_analytics"
    assert complaint.events.get(kind=Event.Kind.NOTE).public is False


def test_an_sdk_no_inspection_found_is_refused(ride_case, ride_app, app, rita):
    found(app, "getui")  # another app's package
    found(ride_app, "umeng_analytics", status=AppInspection.Status.FAILED)
    for sdk in ("getui", "umeng_analytics", "no_such_sdk"):
        with pytest.raises(DomainError) as refused:
            services.sdk_attribute(actor=rita, sdk_id=sdk, case=ride_case)
        assert refused.value.message == (
            "Choose an SDK that an inspection of this app found in its package."
        )
    assert not SdkAttribution.objects.exists()
    assert not ride_case.events.filter(kind=Event.Kind.NOTE).exists()


def test_only_regulators_attribute(ride_case, ride_app, oscar):
    found(ride_app, "getui")
    with pytest.raises(PermissionDenied):
        services.sdk_attribute(actor=oscar, sdk_id="getui", case=ride_case)
