"""Two-factor log-in with django-otp: an authenticator app (TOTP) and one-time recovery codes
(django-otp's static device). Required for regulators and admins (OTP_REQUIRED_FOR_STAFF).

Enrolment keeps the new secret in the session until the person proves their app has it, so
opening the page writes nothing; recovery codes are shown once and each works once. Setting
up, renewing codes, using a recovery code and removing a device each write an audit event
(kind "security", on no complaint or case, naming the account).
"""

import base64
import binascii
import io
import re

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from .. import roles
from ..errors import DomainError
from ..models import Event
from ..models.event_messages import message
from .events import event_record

RECOVERY_CODES = 10
AUTHENTICATOR = "authenticator app"
RECOVERY = "recovery codes"
# One step either way: a phone clock half a minute off still works.
TOLERANCE = 1


def two_factor_required(user) -> bool:
    """Whether this account must show a second factor before using the site."""
    return bool(settings.OTP_REQUIRED_FOR_STAFF and roles.is_staff_member(user))


def authenticator_of(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def secret_new() -> str:
    """A new TOTP secret (hex, as django-otp stores it)."""
    return default_key()


def secret_for_people(key_hex: str) -> str:
    """The secret as authenticator apps ask for it typed: base32 in groups of four."""
    text = base64.b32encode(binascii.unhexlify(key_hex)).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def setup_qr_data_uri(*, user, key_hex: str) -> str:
    """The otpauth:// address of a new secret as a QR code, an SVG drawn here (no outside
    service sees the secret) and given as a data: URL, which the page's policy allows."""
    device = TOTPDevice(user=user, key=key_hex)
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _security_event(*, user, actor, what: str, **params) -> Event:
    """The audit row of a change to `user`'s second factor, made by `actor` (the person
    themselves, an admin, or None for the system)."""
    return event_record(
        actor=actor,
        kind=Event.Kind.SECURITY,
        message=message(what, account=user.get_username(), **params),
        data={"account": user.pk},
        public=False,
    )


def _code_typed(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def _wrong_code() -> DomainError:
    return DomainError(
        _(
            "That code is not right. Enter the 6-digit code your authenticator app shows now, "
            "or one of your recovery codes."
        ),
        field="code",
    )


@transaction.atomic
def two_factor_enrol(*, user, key_hex: str, code: str) -> tuple[TOTPDevice, list[str]]:
    """Turn two-factor log-in on with the secret the person's app now holds, once `code`
    proves it. Replaces any earlier authenticator and recovery codes. Returns the device and
    the new recovery codes (shown once)."""
    code = _code_typed(code)
    totp = TOTP(binascii.unhexlify(key_hex))
    if not (code.isdigit() and len(code) == 6 and totp.verify(int(code), tolerance=TOLERANCE)):
        raise _wrong_code()
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(
        user=user, name=AUTHENTICATOR, key=key_hex, confirmed=True, last_t=totp.t()
    )
    codes = _recovery_codes_new(user)
    _security_event(user=user, actor=user, what="two_factor_enrolled")
    return device, codes


@transaction.atomic
def recovery_codes_renew(*, user) -> list[str]:
    """New recovery codes for `user`; the earlier ones stop working."""
    codes = _recovery_codes_new(user)
    _security_event(user=user, actor=user, what="recovery_codes_renewed")
    return codes


def _recovery_codes_new(user) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def two_factor_verify(*, user, code: str):
    """The device that accepts `code`: six digits go to the authenticator, anything else is
    tried as a recovery code (which is then used up). Wrong codes slow further attempts
    (django-otp's throttling, doubling the wait after each failure), so the failure is
    committed before the error is raised."""
    code = _code_typed(code)
    if not code:
        raise DomainError(_("Enter the code."), field="code")
    device, throttled = _verify(user, code)
    if throttled:
        raise DomainError(_("Too many wrong codes. Wait a minute, then try again."), field="code")
    if device is None:
        raise _wrong_code()
    return device


@transaction.atomic
def two_factor_reset(*, user, actor) -> int:
    """An admin removes every second-factor device of `user` (a lost phone): at the next
    log-in they set up a new authenticator app. Returns how many devices went."""
    removed = _devices_delete(TOTPDevice.objects.filter(user=user))
    removed += _devices_delete(StaticDevice.objects.filter(user=user))
    _security_event(user=user, actor=actor, what="two_factor_reset")
    return removed


@transaction.atomic
def two_factor_device_remove(*, device, actor) -> None:
    """An admin removes one device (the admin's device pages delete through this)."""
    user = device.user
    device.delete()
    what = "recovery_codes_removed" if isinstance(device, StaticDevice) else "authenticator_removed"
    _security_event(user=user, actor=actor, what=what)


def _devices_delete(devices) -> int:
    return devices.delete()[1].get(devices.model._meta.label, 0)


@transaction.atomic
def _verify(user, code: str):
    if code.isdigit() and len(code) == 6:
        devices = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
    else:
        devices = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True)
    for device in devices:
        allowed, _why = device.verify_is_allowed()
        if not allowed:
            return None, True
        if device.verify_token(code):
            if isinstance(device, StaticDevice):
                left = StaticToken.objects.filter(device=device).count()
                _security_event(user=user, actor=user, what="recovery_code_used", left=left)
            return device, False
    return None, False
