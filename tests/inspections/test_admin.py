"""Inspections in the admin: listed and shown, never added or edited there."""

from django.urls import reverse

from inspections.models import AppInspection


def test_admin_lists_and_shows_but_does_not_edit(client, ada, ride_app):
    from django.utils import timezone

    inspection = AppInspection.objects.create(
        app=ride_app, uploaded_at=timezone.now(), stored_name="x.apk", file_sha256="0" * 64,
        file_size=1, package="com.yuntu.ride", version_name="3.0",
    )  # fmt: skip
    client.force_login(ada)
    listing = client.get(reverse("admin:inspections_appinspection_changelist"))
    assert listing.status_code == 200 and "com.yuntu.ride" in listing.content.decode()
    assert (
        client.get(
            reverse("admin:inspections_appinspection_change", args=[inspection.pk])
        ).status_code
        == 200
    )
    assert client.get(reverse("admin:inspections_appinspection_add")).status_code == 403
    response = client.post(
        reverse("admin:inspections_appinspection_change", args=[inspection.pk]), {"package": "evil"}
    )
    assert response.status_code == 403
    inspection.refresh_from_db()
    assert inspection.package == "com.yuntu.ride"
