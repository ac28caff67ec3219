"""The second step of logging in for regulators and admins: setting up an authenticator app,
entering its code (or a recovery code) after the password, and recovery codes shown once.

StaffTwoFactorMiddleware sends a staff session here until it is verified."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from ..errors import DomainError
from ..forms.accounts import TwoFactorCodeForm
from ..services import two_factor

PENDING_SECRET = "two_factor_pending_secret"
NEW_CODES = "two_factor_new_recovery_codes"


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    return reverse(name) + (f"?next={target}" if target else "")


def _verified(request: HttpRequest, device) -> None:
    # A new session key once the second factor is in, as Django does after the password.
    request.session.cycle_key()
    otp_login(request, device)


@require_http_methods(["GET", "POST"])
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_verified():
        return redirect(_next(request))
    if two_factor.authenticator_of(user) is None:
        if not two_factor.two_factor_required(user):
            return redirect(_next(request))
        return redirect(_with_next("two_factor_setup", request))
    form = TwoFactorCodeForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.two_factor_verify(user=user, code=form.cleaned_data["code"])
        except DomainError as error:
            form.add_error("code", error.message)
        else:
            _verified(request, device)
            left = two_factor.recovery_codes_left(user)
            if device.name == two_factor.RECOVERY:
                messages.warning(
                    request,
                    _("You used a recovery code; %(left)d are left. Make new ones if few are left.")
                    % {"left": left},
                )
            return redirect(_next(request))
    return render(
        request,
        "complaints/accounts/two_factor_verify.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: its secret as a QR code and as text, then one code from
    the app proves it. A verified person may come back to replace their app."""
    user = request.user
    if not two_factor.two_factor_required(user):
        raise Http404
    has_device = two_factor.authenticator_of(user) is not None
    if has_device and not user.is_verified():
        # Nobody with only a password may replace the app that guards the account.
        return redirect(_with_next("two_factor_verify", request))
    key = request.session.get(PENDING_SECRET)
    if not key:
        key = request.session[PENDING_SECRET] = two_factor.secret_new()
    form = TwoFactorCodeForm(data=request.POST if request.method == "POST" else None)
    # Here only the app's code proves anything: no recovery codes exist yet.
    form.fields["code"].help_text = ""
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = two_factor.two_factor_enrol(
                user=user, key_hex=key, code=form.cleaned_data["code"]
            )
        except DomainError as error:
            form.add_error("code", error.message)
        else:
            del request.session[PENDING_SECRET]
            _verified(request, device)
            request.session[NEW_CODES] = codes
            return redirect(_with_next("two_factor_recovery_codes", request))
    return render(
        request,
        "complaints/accounts/two_factor_setup.html",
        {
            "form": form,
            "replacing": has_device,
            "qr": two_factor.setup_qr_data_uri(user=user, key_hex=key),
            "secret": two_factor.secret_for_people(key),
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown on this page once (they are not shown again); a POST makes a
    new set, which ends the earlier one."""
    user = request.user
    if not user.is_verified():
        if not two_factor.two_factor_required(user):
            raise Http404
        return redirect(_with_next("two_factor_verify", request))
    if request.method == "POST":
        request.session[NEW_CODES] = two_factor.recovery_codes_renew(user=user)
        return redirect("two_factor_recovery_codes")
    codes = request.session.pop(NEW_CODES, None)
    return render(
        request,
        "complaints/accounts/two_factor_recovery_codes.html",
        {
            "codes": codes,
            "left": two_factor.recovery_codes_left(user),
            "next": _next(request),
        },
    )
