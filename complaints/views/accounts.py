"""Consumer accounts: sign up with an email address, log in (django-axes locks out brute
force), and "my complaints"."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import i18n as i18n_views
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..errors import DomainError
from ..forms.accounts import EmailLoginForm, SignupForm
from ..selectors import consumers
from ..services import accounts
from ..services.consumers import consumer_signup
from ..services.preferences import language_of, language_remember


class EmailLoginView(auth_views.LoginView):
    form_class = EmailLoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # The language this person chose before, on any device, is theirs again.
        language = language_of(form.get_user())
        if language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, which also keeps a signed-in person's choice for their next
    login and their e-mails."""
    response = i18n_views.set_language(request)
    language_remember(user=request.user, language=request.POST.get("language", ""))
    return response


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("my_complaints")
    form = SignupForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        # The same answer whether the address is new, waiting for its link or has an account.
        email = form.cleaned_data["email"].strip().lower()
        consumer_signup(
            email=email,
            password=form.cleaned_data["password1"],
            language=translation.get_language(),
        )
        return render(request, "complaints/accounts/signup_sent.html", {"email": email})
    return render(request, "complaints/accounts/signup.html", {"form": form})


@require_GET
@login_required
def my_complaints(request: HttpRequest) -> HttpResponse:
    page = Paginator(consumers.complaints_of_consumer(request.user), 20).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "complaints/accounts/my_complaints.html",
        {"page": page, "email_verified": accounts.email_verified(request.user)},
    )


@require_POST
@login_required
def email_verification_resend(request: HttpRequest) -> HttpResponse:
    try:
        accounts.email_verification_resend(user=request.user, language=translation.get_language())
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("We sent a new link to %(email)s.") % {"email": request.user.email}
        )
    return redirect("my_complaints")


@require_http_methods(["GET", "POST"])
def email_verify(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the verification e-mail. Opening it only asks; the button confirms, so a
    mail scanner that follows links confirms nothing."""
    try:
        if request.method == "POST":
            activating = accounts.account_never_activated(
                accounts.email_verification_check(token=token)
            )
            user, claimed = accounts.email_verify(token=token)
        else:
            user, claimed = accounts.email_verification_check(token=token), None
    except DomainError as error:
        return render(
            request, "complaints/accounts/verify_email.html", {"error": error.message}, status=400
        )
    if claimed is None:
        return render(request, "complaints/accounts/verify_email.html", {"email": user.email})
    messages.success(
        request,
        _("Your e-mail address is confirmed.")
        + " "
        + ngettext(
            "%(count)d complaint filed earlier with it was added to your account.",
            "%(count)d complaints filed earlier with it were added to your account.",
            claimed,
        )
        % {"count": claimed},
    )
    if activating:  # the sign-up's own link: the account is open, and its owner with it
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if request.user.is_authenticated and request.user.pk == user.pk:
        return redirect("my_complaints")
    return redirect("login")


@require_POST
@login_required
def complaints_claim(request: HttpRequest) -> HttpResponse:
    """A consumer with a confirmed address adds complaints filed with it since."""
    try:
        claimed = accounts.complaints_claim(user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            ngettext(
                "%(count)d complaint was added to your account.",
                "%(count)d complaints were added to your account.",
                claimed,
            )
            % {"count": claimed},
        )
    return redirect("my_complaints")
