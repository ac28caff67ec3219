"""Request- and response-wide rules.

StaffTwoFactorMiddleware and StaffIdleTimeoutMiddleware: the accounts that decide show a second
factor before any page, and their sessions end when left idle.

BidiControlsMiddleware: no page shows a bidi control character, whatever door the text came in
by or how long ago it was stored, so no complaint, name or answer can show in another order
than it was written (the triage queue, /my/, the operator portal and the admin alike)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .roles import is_staff_member
from .services.two_factor import two_factor_required
from .text import BIDI_CONTROLS


class BidiControlsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
            return response
        charset = response.charset or "utf-8"
        text = response.content.decode(charset, errors="replace")
        if BIDI_CONTROLS.search(text):
            response.content = BIDI_CONTROLS.sub("", text).encode(charset)
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response


# Pages a staff member may open between the password and the second factor.
BEFORE_SECOND_FACTOR = {
    "login",
    "logout",
    "set_language",
    "two_factor_verify",
    "two_factor_setup",
    "two_factor_recovery_codes",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}


class StaffTwoFactorMiddleware:
    """A regulator or admin whose session has not shown a second factor (django-otp) gets the
    two-factor step instead of any page, the admin's included. The API answers for itself:
    its session authentication refuses such a session (complaints/api/authentication.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in BEFORE_SECOND_FACTOR:
            return None
        user = request.user
        if not two_factor_required(user) or user.is_verified():
            return None
        return redirect_to_login(request.get_full_path(), reverse("two_factor_verify"))


IDLE_SINCE = "staff_last_seen"
# The last-seen time is written at most this often, not on every request.
IDLE_WRITE_EVERY_SECONDS = 60


class StaffIdleTimeoutMiddleware:
    """A staff session left without a request for STAFF_SESSION_IDLE_SECONDS is logged out;
    the next page asks for the password (and second factor) again."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and is_staff_member(request.user):
            now = timezone.now().timestamp()
            last_seen = request.session.get(IDLE_SINCE)
            if last_seen is not None and now - last_seen > settings.STAFF_SESSION_IDLE_SECONDS:
                logout(request)
                messages.info(
                    request,
                    _("You were logged out after %(minutes)d minutes without activity.")
                    % {"minutes": settings.STAFF_SESSION_IDLE_SECONDS // 60},
                )
            elif last_seen is None or now - last_seen > IDLE_WRITE_EVERY_SECONDS:
                request.session[IDLE_SINCE] = now
        return self.get_response(request)
