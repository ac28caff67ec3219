"""The inspection loop in headless Chromium: oscar, the operator, reports a fix and sends the
package of the fixed version (a file that is not an APK first: refused); rita sees the package
attached to the report and the diff in "verify the rectification", and attributes the case and
one complaint to SDKs the inspections found; ruth, another regulator, sees the SDK ranking on
the dashboard, the attribution on the case and the inspection as evidence on the notice.

  operator/case.html               POST operator:case_report, inspections:operator_package
  cases/detail.html                POST inspections:case_attribution
  triage/detail.html               POST inspections:complaint_attribution
"""

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints.models import App, Case, TriggerRule
from complaints.services import cases as case_services
from complaints.services import triage
from inspections import services
from inspections.models import AppInspection, SdkAttribution
from tests.browser.test_journey_inspections import signed_in
from tests.factories import make_complaint
from tests.inspections.conftest import P, yuntu_30, yuntu_31

pytestmark = [
    pytest.mark.browser,
    pytest.mark.aapt,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REPORT = "Version 3.1 no longer asks for contacts or SMS; the Getui push SDK is removed."


def test_operator_sends_the_fixed_package_and_regulators_attribute(
    open_screen, settings, tmp_path, other_app, rita, oscar
):
    settings.INSPECTION_DIR = tmp_path / "store"
    other_app.app_type = App.AppType.RIDE_HAILING
    other_app.save(update_fields=["app_type"])
    ruth = User.objects.create_user("ruth", password="pw-ruth", is_staff=True)
    ruth.groups.add(Group.objects.get(name="regulator"))
    case = case_services.case_open(app=other_app, categories=["over_permission"], actor=rita)
    complaints = []
    for version in ("3.0", ""):
        complaint = make_complaint(app=other_app, app_version=version)
        triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["over_permission"])
        complaints.append(complaint)
    old = yuntu_30(tmp_path)
    services.inspection_upload(
        app=other_app, actor=rita, case=case,
        upload=SimpleUploadedFile("yuntu-3.0.apk", old.read_bytes()),
    )  # fmt: skip
    notice = case_services.notice_issue(case=case, actor=rita, problems="Contacts and SMS.")
    fixed = yuntu_31(tmp_path)
    not_apk = tmp_path / "release-notes.apk"
    not_apk.write_bytes(b"Release notes for 3.1, not a package")

    # Oscar reports the fix, then sends the package of the fixed version with it.
    oscar_screen = signed_in(open_screen, "oscar")
    page = oscar_screen.go(f"/operator/cases/{case.pk}/")
    page.fill("textarea[name=text]", REPORT)
    oscar_screen.submit("Submit report")
    assert "Rectification report submitted" in page.locator(".messages").inner_text()
    assert page.get_by_text("Send the package of the fixed version").is_visible()
    oscar_screen.step("report-sent")
    page.set_input_files("#package-apk", str(not_apk))
    oscar_screen.submit("Send for inspection")
    assert page.locator(".messages").inner_text() == (
        "The file is not an Android package (APK): it is not a zip archive."
    )
    assert not AppInspection.objects.filter(uploaded_by=oscar).exists()
    oscar_screen.step("refused")
    page.set_input_files("#package-apk", str(fixed))
    oscar_screen.submit("Send for inspection")
    assert page.locator(".messages").inner_text() == (
        "The package was sent; the regulator will inspect it."
    )
    assert "com.yuntu.ride 3.1 (31)" in page.locator("#package").inner_text()
    oscar_screen.step("package-sent")
    report = Case.objects.get(pk=case.pk).responses.get()
    sent = AppInspection.objects.get(uploaded_by=oscar)
    assert (sent.response, sent.case, sent.status, sent.version_name) == (
        report, case, "done", "3.1",
    )  # fmt: skip

    # Rita verifies: the package came with the report; the diff sits in the verify form.
    rita_screen = signed_in(open_screen, "rita")
    page = rita_screen.go(f"/cases/{case.pk}/")
    assert page.locator("#inspection-from-report").is_visible()
    diff = page.locator("#verification-diff").inner_text()
    assert "The package from version 3.0 to 3.1" in diff
    assert f"− {P}READ_CONTACTS" in diff and f"− {P}READ_SMS" in diff and "− Getui Push" in diff
    versions = page.locator("#inspection-versions").inner_text()
    assert "3.0" in versions and "3.0 (30), inspected" in versions
    rita_screen.step("verify-diff")
    # She attributes the case to Getui, found in 3.0 (no longer in 3.1).
    page.select_option("#sdk-choice", "getui")
    rita_screen.submit("Save attribution")
    assert page.locator(".messages").inner_text() == "Attributed to the SDK Getui Push."
    rita_screen.step("case-attributed")
    assert SdkAttribution.objects.get(case=case).sdk_id == "getui"
    # And the complaint about version 3.0 to Umeng, on its own page.
    page = rita_screen.go(f"/triage/{complaints[0].pk}/")
    assert (
        "Version 3.0 matches the inspected package 3.0 (30)"
        in page.locator("#complaint-version-match").inner_text()
    )
    page.select_option("#sdk-choice", "umeng_analytics")
    rita_screen.submit("Save attribution")
    assert (
        "the embedded SDK Umeng Analytics" in page.locator("#sdk-attribution-current").inner_text()
    )
    rita_screen.step("complaint-attributed")
    assert SdkAttribution.objects.get(complaint=complaints[0]).sdk_name == "Umeng Analytics"

    # Ruth, the next regulator: the ranking, the case's attribution, the notice's evidence.
    ruth_screen = signed_in(open_screen, "ruth")
    page = ruth_screen.go("/dashboard/")
    ranking = page.locator("#sdk-ranking")
    getui = ranking.locator("tr[data-sdk='getui']").inner_text().split("\t")
    umeng = ranking.locator("tr[data-sdk='umeng_analytics']").inner_text().split("\t")
    # Getui: the case's other complaint, in no app's latest package; Umeng: the complaint
    # attributed to it, embedded in 3.1.
    assert getui[2:] == ["1", "0"] and umeng[2:] == ["1", "1"]
    ruth_screen.step("sdk-ranking")
    page = ruth_screen.go(f"/cases/{case.pk}/")
    assert "the embedded SDK Getui Push" in page.locator("#sdk-attribution-current").inner_text()
    page = ruth_screen.go(f"/cases/{case.pk}/notices/{notice.pk}/")
    evidence = page.locator("#notice-inspections").inner_text()
    assert "com.yuntu.ride 3.0 (30)" in evidence and f"{P}READ_SMS" in evidence
    assert "Getui Push" in evidence and "3.1" not in evidence
    ruth_screen.step("notice-evidence")
    assert not oscar_screen.errors and not rita_screen.errors and not ruth_screen.errors


def test_a_trigger_rule_asks_for_the_package(
    open_screen, settings, tmp_path, other_app, rita, oscar, ada
):
    """ada lets the over-permission rule ask for an inspection (the fraud rule may not); rita's
    acceptance opens a case that asks for the package; oscar sends it; ruth sees the request
    answered.

      admin/complaints/triggerrule change form    "ask for an inspection"
      operator/case.html                          POST inspections:operator_package
    """
    settings.INSPECTION_DIR = tmp_path / "store"
    ruth = User.objects.create_user("ruth", password="pw-ruth", is_staff=True)
    ruth.groups.add(Group.objects.get(name="regulator"))
    fraud = TriggerRule.objects.get(category__code="fraud")
    permissions = TriggerRule.objects.get(category__code="over_permission")
    complaint = make_complaint(app=other_app)
    package = yuntu_30(tmp_path)

    def save(screen):
        with screen.page.expect_navigation():
            screen.page.locator("input[name=_save]").click()

    ada_screen = signed_in(open_screen, "ada")
    page = ada_screen.go(f"/admin/complaints/triggerrule/{fraud.pk}/change/")
    page.check("#id_request_inspection")
    save(ada_screen)
    assert (
        "Only rules on over-permission or illegal collection can ask for an inspection"
        in page.locator(".errorlist").inner_text()
    )
    ada_screen.step("fraud-refused")
    assert TriggerRule.objects.get(pk=fraud.pk).request_inspection is False
    page = ada_screen.go(f"/admin/complaints/triggerrule/{permissions.pk}/change/")
    page.fill("#id_threshold", "1")
    page.check("#id_request_inspection")
    save(ada_screen)
    ada_screen.step("rule-saved")
    permissions.refresh_from_db()
    assert (permissions.threshold, permissions.request_inspection) == (1, True)

    # Rita accepts the complaint: the rule opens a case that asks for the package.
    rita_screen = signed_in(open_screen, "rita")
    page = rita_screen.go(f"/triage/{complaint.pk}/")
    accept = page.locator("form[action$='/accept/']")
    accept.locator("input[value=over_permission]").check()
    rita_screen.submit("Accept", within=accept)
    case = Case.objects.get(origin=Case.Origin.TRIGGER)
    assert case.inspection_requested_at is not None
    page = rita_screen.go("/dashboard/")
    assert page.locator(f"#inspection-requests li[data-case='{case.pk}']").is_visible()
    rita_screen.step("request-pending")
    page = rita_screen.go(f"/cases/{case.pk}/")
    assert "inspection requested" in page.locator("#inspection-requested").inner_text()
    case_services.notice_issue(case=case, actor=rita, problems="Contacts at launch.")

    # Oscar is asked for the package and sends it, without a report yet.
    oscar_screen = signed_in(open_screen, "oscar")
    page = oscar_screen.go(f"/operator/cases/{case.pk}/")
    assert page.locator("#package-requested").is_visible()
    oscar_screen.step("asked")
    page.set_input_files("#package-apk", str(package))
    oscar_screen.submit("Send for inspection")
    assert "com.yuntu.ride 3.0 (30)" in page.locator("#package").inner_text()
    oscar_screen.step("sent")
    sent = AppInspection.objects.get()
    assert (sent.case, sent.response, sent.uploaded_by) == (case, None, oscar)

    # Ruth: nothing pending any more; the package is on the case.
    ruth_screen = signed_in(open_screen, "ruth")
    page = ruth_screen.go("/dashboard/")
    assert (
        "No case is waiting for an app's package."
        in page.locator("#inspection-requests").inner_text()
    )
    page = ruth_screen.go(f"/cases/{case.pk}/")
    assert not page.locator("#inspection-requested").count()
    assert page.locator("#inspection-package").inner_text() == "com.yuntu.ride 3.0 (30)"
    ruth_screen.step("answered")
    assert not any(s.errors for s in (ada_screen, rita_screen, oscar_screen, ruth_screen))
