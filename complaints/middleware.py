"""Request- and response-wide rules.

StaffTwoFactorMiddleware and StaffIdleTimeoutMiddleware: the accounts that decide show a second
factor before any page, and their sessions end when left idle.

BidiControlsMiddleware: no page shows a bidi control character, whatever door the text came in
by or how long ago it was stored, so no complaint, name or answer can show in another order
than it was written (the triage queue, /my/, the operator portal and the admin alike).

ApiMiddlewareSplit and HtmlAnswersOnly: requests under /api/v1/ go through their own, shorter
chain (settings.API_MIDDLEWARE), where what only HTML pages need runs only on HTML answers."""

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import MiddlewareNotUsed
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .roles import is_staff_member
from .services.two_factor import two_factor_required
from .text import BIDI_CONTROLS, BIDI_CONTROLS_CLEARED


def is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


def bidi_controls_removed(response):
    """`response` without bidi control characters, when it is a (non-streaming) HTML page."""
    if (
        response.streaming
        or not is_html(response)
        or getattr(response, BIDI_CONTROLS_CLEARED, False)
    ):
        return response
    charset = response.charset or "utf-8"
    text = response.content.decode(charset, errors="replace")
    if BIDI_CONTROLS.search(text):
        response.content = BIDI_CONTROLS.sub("", text).encode(charset)
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
    return response


class BidiControlsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return bidi_controls_removed(self.get_response(request))


API_PATH_PREFIX = "/api/v1/"


class ApiMiddlewareSplit:
    """Sends requests under /api/v1/ through settings.API_MIDDLEWARE instead of the rest of
    settings.MIDDLEWARE, so a JSON call does not pay for what only pages need (static files,
    the staff two-factor redirect, which leaves /api/ to the API's own authentication).

    The API chain is a handler of its own, built once like Django builds the main one (each
    middleware wraps the next; view, template-response and exception hooks are collected),
    and ends in the same URL resolution and view call. Synchronous only, as AppWatch is
    served (gunicorn, WSGI). What the API chain keeps and drops is listed in settings.py and
    pinned by tests/complaints/test_middleware.py."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response):
        self.get_response = get_response
        self.api = _chain_handler(settings.API_MIDDLEWARE)

    def __call__(self, request):
        if request.path_info.startswith(API_PATH_PREFIX):
            return self.api._middleware_chain(request)
        return self.get_response(request)


def _chain_handler(paths: list[str]) -> BaseHandler:
    handler = BaseHandler()
    handler._view_middleware = []
    handler._template_response_middleware = []
    handler._exception_middleware = []
    chain = convert_exception_to_response(handler._get_response)
    for path in reversed(paths):
        try:
            middleware = import_string(path)(chain)
        except MiddlewareNotUsed:
            continue
        if hasattr(middleware, "process_view"):
            handler._view_middleware.insert(0, middleware.process_view)
        if hasattr(middleware, "process_template_response"):
            handler._template_response_middleware.append(middleware.process_template_response)
        if hasattr(middleware, "process_exception"):
            handler._exception_middleware.append(middleware.process_exception)
        chain = convert_exception_to_response(middleware)
    handler._middleware_chain = chain
    return handler


class HtmlAnswersOnly:
    """In the API chain, in BidiControlsMiddleware's place: an HTML answer under /api/v1/ (the
    browsable API, the lockout page of a locked-out HTTP Basic login) gets what every page
    gets, the Content-Security-Policy (django-csp's own middleware, as for pages),
    X-Frame-Options and no bidi controls; JSON and CSV answers are left as they are."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = CSPMiddleware(get_response)
        self.frame_options = XFrameOptionsMiddleware(get_response)

    def __call__(self, request):
        self.csp.process_request(request)
        response = self.get_response(request)
        if not is_html(response):
            return response
        response = self.csp.process_response(request, response)
        response = self.frame_options.process_response(request, response)
        return bidi_controls_removed(response)


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
