"""The regulator's inspection journey in headless Chromium: rita uploads a file that is not an
APK on a case page (refused, nothing changes), then the app's package (the report appears, with
permissions beyond the ride-hailing scope and the SDKs it embeds), then the rectified version
(what changed); ruth, another regulator, sees the same on her screen.

  inspections/_case_panel.html (on cases/detail.html)
    POST inspections:case_upload      every step below
"""

import pytest
from django.contrib.auth.models import Group, User

from complaints.models import App, Case, Event
from complaints.services import cases as case_services
from inspections.models import AppInspection
from tests.inspections import apks
from tests.inspections.conftest import P

pytestmark = [
    pytest.mark.browser,
    pytest.mark.aapt,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def signed_in(open_screen, username: str):
    screen = open_screen(username)
    screen.page.context.add_cookies(
        [{"name": "django_language", "value": "en", "url": screen.base_url}]
    )
    screen.login(username, f"pw-{username}")
    screen.page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return screen


def upload(screen, path):
    screen.page.set_input_files("#inspection-apk", str(path))
    screen.submit("Start inspection")


def test_regulator_inspects_the_app_package(open_screen, settings, tmp_path, other_app, rita):
    settings.INSPECTION_DIR = tmp_path / "store"
    other_app.app_type = App.AppType.RIDE_HAILING
    other_app.save(update_fields=["app_type"])
    case = case_services.case_open(app=other_app, categories=["over_permission"], actor=rita)
    ruth = User.objects.create_user("ruth", password="pw-ruth", is_staff=True)
    ruth.groups.add(Group.objects.get(name="regulator"))
    old = apks.build_apk(
        tmp_path, package="com.yuntu.ride", version_code=30, version_name="3.0",
        permissions=(P + "ACCESS_FINE_LOCATION", P + "READ_CONTACTS", P + "READ_SMS"),
        components=(("service", "com.igexin.sdk.PushService", True),),
        classes=("com.umeng.analytics.MobclickAgent",), name="yuntu-3.0.apk",
    )  # fmt: skip
    fixed = apks.build_apk(
        tmp_path, package="com.yuntu.ride", version_code=31, version_name="3.1",
        permissions=(P + "ACCESS_FINE_LOCATION",),
        classes=("com.umeng.analytics.MobclickAgent",), name="yuntu-3.1.apk",
    )  # fmt: skip
    not_apk = tmp_path / "report.apk"
    not_apk.write_bytes(b"%PDF-1.7 this is a rectification report, not a package")

    rita_screen = signed_in(open_screen, "rita")
    page = rita_screen.go(f"/cases/{case.pk}/")
    assert (
        "No package of this app has been inspected yet." in page.locator("#inspection").inner_text()
    )
    rita_screen.step("case-page")

    # A file that is not an APK: refused with the reason, nothing stored, the case unchanged.
    events_before = Event.objects.filter(case=case).count()
    upload(rita_screen, not_apk)
    assert page.locator(".messages").inner_text() == (
        "The file is not an Android package (APK): it is not a zip archive."
    )
    rita_screen.step("refused")
    assert AppInspection.objects.count() == 0
    assert Event.objects.filter(case=case).count() == events_before
    assert Case.objects.get(pk=case.pk).status == case.status

    # The app's package: the report, with contacts and SMS beyond a ride-hailing app's scope.
    upload(rita_screen, old)
    assert (
        page.locator(".messages").inner_text()
        == "The package was accepted; the inspection is queued."
    )
    assert page.locator("#inspection-status").inner_text() == "done"
    assert page.locator("#inspection-package").inner_text() == "com.yuntu.ride 3.0 (30)"
    sms = page.locator(f"tr[data-permission='{P}READ_SMS']").inner_text()
    assert "dangerous" in sms and "beyond scope" in sms
    assert (
        "necessary" in page.locator(f"tr[data-permission='{P}ACCESS_FINE_LOCATION']").inner_text()
    )
    sdks = page.locator("#inspection-sdks").inner_text()
    assert "Getui Push" in sdks and "每日互动股份有限公司" in sdks and "Umeng Analytics" in sdks
    rita_screen.step("report")
    first = AppInspection.objects.get()
    assert (first.status, first.case, first.uploaded_by) == ("done", case, rita)
    assert [b["permission"] for b in first.beyond_scope] == [P + "READ_CONTACTS", P + "READ_SMS"]

    # The rectified version: what changed.
    upload(rita_screen, fixed)
    changes = page.locator("#inspection-changes").inner_text()
    assert f"− {P}READ_CONTACTS" in changes and f"− {P}READ_SMS" in changes
    assert "− Getui Push" in changes
    rita_screen.step("changes")
    assert AppInspection.objects.filter(status="done").count() == 2

    # Ruth, another regulator, sees the latest inspection and the changes on her screen.
    ruth_screen = signed_in(open_screen, "ruth")
    page = ruth_screen.go(f"/cases/{case.pk}/")
    assert page.locator("#inspection-package").inner_text() == "com.yuntu.ride 3.1 (31)"
    assert "− Getui Push" in page.locator("#inspection-changes").inner_text()
    ruth_screen.step("next-regulator")
    assert not rita_screen.errors and not ruth_screen.errors
