"""The loop's inspection pages: the operator's package form, SDK attribution forms on the case
and complaint pages, inspection requests, versions named in complaints, the verification diff,
the notice's technical evidence and the dashboard's SDK ranking."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from complaints.models import Case, Event, TriggerRule
from complaints.services import cases as case_services
from complaints.services import triage
from inspections import services
from inspections.models import AppInspection, SdkAttribution
from tests.factories import make_complaint
from tests.inspections import apks
from tests.inspections.rows import found

pytestmark = pytest.mark.usefixtures("english")
P = "android.permission."


def page(client, url: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def send_package(client, case, data: bytes | None):
    files = {"apk": SimpleUploadedFile("app.apk", data)} if data is not None else {}
    url = reverse("inspections:operator_package", args=[case.pk])
    return client.post(url, files, HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.aapt
def test_operator_sends_the_package_and_the_regulator_sees_it(
    client, reported_case, oscar, rita, ride_apk, ride_apk_fixed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.inspection_upload(
            app=reported_case.app,
            actor=rita,
            upload=SimpleUploadedFile("a.apk", ride_apk.read_bytes()),
        )
    client.force_login(oscar)
    operator_page = page(client, reverse("operator:case", args=[reported_case.pk]))
    assert "Send the package of the fixed version with your rectification report" in operator_page
    with django_capture_on_commit_callbacks(execute=True):
        response = send_package(client, reported_case, ride_apk_fixed.read_bytes())
    assert response.status_code == 302
    assert response.url == reverse("operator:case", args=[reported_case.pk]) + "#package"
    operator_page = page(client, reverse("operator:case", args=[reported_case.pk]))
    assert "The package was sent; the regulator will inspect it." in operator_page
    assert "com.yuntu.ride 3.1 (31)" in operator_page
    client.force_login(rita)
    case_page = page(client, reverse("cases:detail", args=[reported_case.pk]))
    assert "sent by the operator with its rectification report of" in case_page
    assert "The package from version 3.0 to 3.1" in case_page
    diff = case_page.split('id="verification-diff"')[1].split("</div>")[0]
    assert f"− <code>{P}READ_SMS</code>" in diff and "− Getui Push" in diff


def test_operator_package_refused_shows_why(client, reported_case, oscar):
    client.force_login(oscar)
    response = send_package(client, reported_case, apks.traversal_zip())
    assert response.status_code == 302
    shown = page(client, response.url)
    assert "The package holds a file whose name points outside the package." in shown
    response = send_package(client, reported_case, None)
    assert "Choose the app&#x27;s package (APK) to upload." in page(client, response.url)
    assert not AppInspection.objects.exists()
    assert not Event.objects.filter(case=reported_case, kind=Event.Kind.EVIDENCE).exists()


def test_operator_package_who(client, reported_case, olivia, rita):
    client.force_login(olivia)
    assert send_package(client, reported_case, b"x").status_code == 404
    client.force_login(rita)
    assert send_package(client, reported_case, b"x").status_code == 403
    client.logout()
    assert send_package(client, reported_case, b"x").status_code == 302  # to the login page
    client.force_login(olivia)
    assert (
        client.get(reverse("inspections:operator_package", args=[reported_case.pk])).status_code
        == 405
    )
    assert not AppInspection.objects.exists()


def test_a_requested_inspection_shows_on_both_sides(client, ride_app, rita, oscar):
    TriggerRule.objects.filter(category__code="over_permission").update(
        threshold=1, request_inspection=True
    )
    triage.complaint_accept(
        complaint=make_complaint(app=ride_app, app_version="3.0"),
        actor=rita,
        category_codes=["over_permission"],
    )
    case = Case.objects.get(origin=Case.Origin.TRIGGER)
    client.force_login(rita)
    case_page = page(client, reverse("cases:detail", args=[case.pk]))
    assert 'id="inspection-requested"' in case_page and "inspection requested" in case_page
    versions = case_page.split('id="inspection-versions"')[1].split("</table>")[0]
    assert "3.0" in versions and "not inspected" in versions
    dashboard = page(client, reverse("dashboard"))
    assert f'data-case="{case.pk}"' in dashboard.split('id="inspection-requests"')[1]
    case_services.notice_issue(case=case, actor=rita, problems="Contacts.")
    client.force_login(oscar)
    operator_page = page(client, reverse("operator:case", args=[case.pk]))
    assert 'id="package-requested"' in operator_page
    assert 'id="form-package"' in operator_page


def test_attribute_the_case_to_an_sdk(client, ride_case, ride_app, rita):
    found(ride_app, "getui", "umeng_analytics")
    client.force_login(rita)
    url = reverse("inspections:case_attribution", args=[ride_case.pk])
    response = client.post(url, {"sdk": "getui"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.url == reverse("cases:detail", args=[ride_case.pk]) + "#sdk-attribution"
    shown = page(client, response.url)
    assert "Attributed to the SDK Getui Push." in shown
    current = shown.split('id="sdk-attribution-current"')[1].split("</p>")[0]
    assert "the embedded SDK Getui Push (每日互动股份有限公司)" in current
    assert SdkAttribution.objects.get().case == ride_case
    # An SDK the inspections did not find: refused, the attribution unchanged.
    response = client.post(url, {"sdk": "wechat_sdk"}, HTTP_ACCEPT_LANGUAGE="en")
    shown = page(client, response.url)
    assert "Choose an SDK that an inspection of this app found in its package." in shown
    assert SdkAttribution.objects.get().sdk_id == "getui"


def test_attribute_a_complaint_on_its_triage_page(client, ride_app, rita):
    found(ride_app, "umeng_analytics", version="3.0", version_code=30)
    complaint = make_complaint(app=ride_app, app_version="v3.0")
    client.force_login(rita)
    detail = page(client, reverse("triage:detail", args=[complaint.pk]))
    assert "Version v3.0 matches the inspected package 3.0 (30) of" in detail
    url = reverse("inspections:complaint_attribution", args=[complaint.pk])
    response = client.post(url, {"sdk": "umeng_analytics"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.url.endswith("#complaint-inspection")
    assert "the embedded SDK Umeng Analytics" in page(client, response.url)
    response = client.post(url, {"sdk": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Attributed to the host app." in page(client, response.url)
    assert not SdkAttribution.objects.exists()


@pytest.mark.parametrize("name", ["case_attribution", "complaint_attribution"])
def test_attribution_forms_are_for_regulators(client, ride_case, ride_app, oscar, alice, name):
    found(ride_app, "getui")
    target = ride_case if name == "case_attribution" else make_complaint(app=ride_app)
    url = reverse(f"inspections:{name}", args=[target.pk])
    for user in (oscar, alice):
        client.force_login(user)
        assert client.post(url, {"sdk": "getui"}).status_code == 403
    client.logout()
    assert client.post(url, {"sdk": "getui"}).status_code == 302
    assert not SdkAttribution.objects.exists()


def test_attribution_unknown_ids_and_wrong_method(client, rita):
    client.force_login(rita)
    for name in ("case_attribution", "complaint_attribution"):
        assert client.post(reverse(f"inspections:{name}", args=[999999]), {"sdk": ""}).status_code == 404  # fmt: skip
        assert client.get(reverse(f"inspections:{name}", args=[999999])).status_code == 405


def test_the_notice_lists_the_inspection_as_evidence(client, ride_case, ride_app, rita, oscar):
    found(
        ride_app, "getui", version="3.0", version_code=30, case=ride_case, package="com.yuntu.ride",
        beyond_scope=[{"permission": P + "READ_SMS", "pi": ["sms"]}],
    )  # fmt: skip
    notice = case_services.notice_issue(case=ride_case, actor=rita, problems="SMS.")
    client.force_login(rita)
    document = page(client, reverse("cases:notice", args=[ride_case.pk, notice.pk]))
    evidence = document.split('id="notice-inspections"')[1].split("</table>")[0]
    assert "com.yuntu.ride 3.0 (30)" in evidence
    assert f"<code>{P}READ_SMS</code>" in evidence
    assert "Getui Push (每日互动股份有限公司)" in evidence
    assert reverse("cases:detail", args=[ride_case.pk]) + "#inspection" in evidence
    client.force_login(oscar)
    document = page(client, reverse("operator:notice", args=[ride_case.pk, notice.pk]))
    assert reverse("operator:case", args=[ride_case.pk]) + "#package" in document


def test_dashboard_ranks_sdks(client, ride_case, ride_app, app, rita):
    found(ride_app, "getui", "umeng_analytics")
    found(app, "umeng_analytics")
    services.sdk_attribute(actor=rita, sdk_id="getui", case=ride_case)
    complaint = make_complaint(app=ride_app)
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["over_permission"])
    client.force_login(rita)
    ranking = page(client, reverse("dashboard")).split('id="sdk-ranking"')[1]
    rows = ranking.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")
    assert (
        'data-sdk="getui"' in rows[0] and '<td class="num">1</td><td class="num">1</td>' in rows[0]
    )
    assert 'data-sdk="umeng_analytics"' in rows[1]
    assert '<td class="num">0</td><td class="num">2</td>' in rows[1]
