"""Every change to a staff member's second factor leaves an audit event of kind "security":
set-up, new recovery codes, a recovery code used, a reset and a device removed."""

import binascii

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from complaints.models import Event
from complaints.selectors.audit import audit_chain_breaks
from complaints.services import two_factor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def security_events(user) -> list[tuple[str, str, str]]:
    """(message id, actor, what it says) of the account's security events, oldest first."""
    return [
        (event.message["id"], event.actor.username if event.actor else "", event.text)
        for event in Event.objects.filter(kind=Event.Kind.SECURITY, data__account=user.pk)
        .select_related("actor")
        .order_by("chain_seq")
    ]


def enrolled(user) -> list[str]:
    key = two_factor.secret_new()
    code = f"{TOTP(binascii.unhexlify(key)).token():06d}"
    _device, codes = two_factor.two_factor_enrol(user=user, key_hex=key, code=code)
    return codes


def test_setting_up_and_renewing_codes_are_recorded(rita):
    enrolled(rita)
    two_factor.recovery_codes_renew(user=rita)
    assert security_events(rita) == [
        (
            "two_factor_enrolled",
            "rita",
            "Two-factor log-in set up for rita: an authenticator app and new recovery codes.",
        ),
        (
            "recovery_codes_renewed",
            "rita",
            "New recovery codes made for rita; the earlier ones no longer work.",
        ),
    ]
    event = Event.objects.get(kind=Event.Kind.SECURITY, message__id="two_factor_enrolled")
    assert (event.complaint, event.case, event.public, event.actor_role) == (
        None,
        None,
        False,
        "regulator",
    )


def test_a_recovery_code_used_is_recorded_with_how_many_are_left(rita):
    codes = enrolled(rita)
    two_factor.two_factor_verify(user=rita, code=codes[0])
    assert security_events(rita)[-1] == (
        "recovery_code_used",
        "rita",
        "rita logged in with a recovery code; 9 left.",
    )
    # A wrong code and an authenticator code are no change to the account: no event.
    with pytest.raises(two_factor.DomainError):
        two_factor.two_factor_verify(user=rita, code="not-a-code")
    assert len(security_events(rita)) == 2


def test_an_admin_resetting_someones_second_factor_is_recorded(rita, ada):
    enrolled(rita)
    assert two_factor.two_factor_reset(user=rita, actor=ada) == 2
    assert not TOTPDevice.objects.filter(user=rita).exists()
    assert not StaticDevice.objects.filter(user=rita).exists()
    assert not StaticToken.objects.filter(device__user=rita).exists()
    assert security_events(rita)[-1] == (
        "two_factor_reset",
        "ada",
        "Two-factor log-in of rita reset: its authenticator app and recovery codes were "
        "removed, and a new app must be set up at the next log-in.",
    )


def test_removing_one_device_is_recorded(rita, ada):
    enrolled(rita)
    two_factor.two_factor_device_remove(device=StaticDevice.objects.get(user=rita), actor=ada)
    two_factor.two_factor_device_remove(device=TOTPDevice.objects.get(user=rita), actor=ada)
    assert [item[:2] for item in security_events(rita)[-2:]] == [
        ("recovery_codes_removed", "ada"),
        ("authenticator_removed", "ada"),
    ]
    assert list(audit_chain_breaks()) == []
