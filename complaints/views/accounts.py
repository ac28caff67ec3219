"""Consumer accounts: sign up with an email address, log in (django-axes locks out brute
force), and "my complaints"."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from .. import selectors_intake
from ..errors import DomainError
from ..forms import EmailLoginForm, SignupForm
from ..services.consumers import consumer_signup


class EmailLoginView(auth_views.LoginView):
    form_class = EmailLoginForm
    redirect_authenticated_user = True


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("my_complaints")
    form = SignupForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = consumer_signup(
                email=form.cleaned_data["email"], password=form.cleaned_data["password1"]
            )
        except DomainError as error:
            form.add_error("email", error.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Welcome. Complaints you file while logged in appear under “My complaints”."),
            )
            return redirect("my_complaints")
    return render(request, "complaints/accounts/signup.html", {"form": form})


@require_GET
@login_required
def my_complaints(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors_intake.complaints_of_consumer(request.user), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "complaints/accounts/my_complaints.html", {"page": page})
