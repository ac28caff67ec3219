"""The admin's account pages: resetting a person's two-factor log-in and removing a device go
through the service and leave an audit event; a device cannot be added or edited there."""

import pytest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from complaints.models import Event
from tests.otp import VerifiedClient, authenticator

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def ada_client(ada):
    client = VerifiedClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(ada)
    return client


def test_the_reset_action_removes_every_device_and_records_who_did_it(ada_client, ada, rita):
    authenticator(rita)
    StaticDevice.objects.create(user=rita, name="recovery codes", confirmed=True)
    response = ada_client.post(
        "/admin/auth/user/",
        {"action": "reset_two_factor", "_selected_action": [rita.pk]},
        follow=True,
    )
    assert "Two-factor log-in reset for 1 accounts." in response.content.decode()
    assert not TOTPDevice.objects.filter(user=rita).exists()
    assert not StaticDevice.objects.filter(user=rita).exists()
    event = Event.objects.get(kind=Event.Kind.SECURITY, data__account=rita.pk)
    assert (event.actor, event.message["id"]) == (ada, "two_factor_reset")


def test_deleting_a_device_in_the_admin_records_it(ada_client, ada, rita):
    device = authenticator(rita)
    url = f"/admin/otp_totp/totpdevice/{device.pk}/delete/"
    assert ada_client.post(url, {"post": "yes"}).status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    event = Event.objects.get(kind=Event.Kind.SECURITY, data__account=rita.pk)
    assert (event.actor, event.message["id"]) == (ada, "authenticator_removed")


def test_a_device_cannot_be_added_or_changed_in_the_admin(ada_client, rita):
    device = authenticator(rita)
    assert ada_client.get("/admin/otp_totp/totpdevice/add/").status_code == 403
    response = ada_client.post(
        f"/admin/otp_totp/totpdevice/{device.pk}/change/",
        {"user": rita.pk, "name": "mine now", "confirmed": "on"},
    )
    assert response.status_code == 403
    device.refresh_from_db()
    assert device.name != "mine now"
