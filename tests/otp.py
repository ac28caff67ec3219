"""Two-factor log-in in tests: the persona's authenticator, the code it shows, and a test
client whose force_login also passes the two-factor step (as the person would, through
django_otp.login) for the accounts that need it."""

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.test import Client
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from complaints.services.two_factor import AUTHENTICATOR, two_factor_required


def authenticator(user) -> TOTPDevice:
    """The user's authenticator app (one is added, as if they had set it up, if missing)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=True)


def code_now(device: TOTPDevice) -> str:
    """The code the app shows now, or the next step's when the current one was used already
    (django-otp accepts each step once, and one step ahead)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if totp.t() <= device.last_t:
        totp.drift += device.last_t + 1 - totp.t()
    return f"{totp.token():0{device.digits}d}"


def otp_verify_session(client: Client, user) -> None:
    """Mark the client's session as having passed the two-factor step (django_otp.login)."""
    request = HttpRequest()
    request.session = client.session
    request.user = user
    otp_login(request, authenticator(user))
    request.session.save()


class VerifiedClient(Client):
    """force_login as a whole log-in: password and, for staff, the second factor."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        if not isinstance(user, AnonymousUser) and two_factor_required(user):
            otp_verify_session(self, user)

    def force_login_password_only(self, user, backend=None):
        """Only the password step: the session two-factor log-in is still waiting for."""
        super().force_login(user, backend)
