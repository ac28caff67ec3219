"""Regulators' early-warning pages: alerts and collective complaints, each with why it fired;
dismissing either with a reason, and opening a case from a cluster in one action."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from complaints.errors import DomainError
from complaints.views.triage import regulator_required

from . import selectors, services
from .forms import DismissForm, MailSettingForm
from .mail import mail_mode, mail_mode_set
from .models import Alert, Cluster


@regulator_required
def alerts(request):
    show_all = request.GET.get("all") == "1"
    return render(
        request,
        "early_warning/alerts.html",
        {"alerts": selectors.alerts_list(include_dismissed=show_all), "show_all": show_all},
    )


@regulator_required
def alert_detail(request, pk: int, form: DismissForm | None = None):
    alert = get_object_or_404(Alert.objects.select_related("app", "category", "company"), pk=pk)
    return render(
        request,
        "early_warning/alert_detail.html",
        {
            "alert": alert,
            "complaints": selectors.alert_complaints(alert),
            "form": form or DismissForm(),
        },
        status=400 if form is not None else 200,
    )


@regulator_required
@require_POST
def alert_dismiss(request, pk: int):
    alert = get_object_or_404(Alert, pk=pk)
    form = DismissForm(request.POST)
    if not form.is_valid():
        return alert_detail(request, pk, form=form)
    try:
        services.alert_dismiss(alert=alert, actor=request.user, reason=form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("early_warning:alert", pk=pk)
    messages.success(request, _("The alert was dismissed; your reason is recorded."))
    return redirect("early_warning:alerts")


@regulator_required
def clusters(request):
    show_all = request.GET.get("all") == "1"
    kind = request.GET.get("kind", "")
    kind = kind if kind in Cluster.Kind.values else ""
    return render(
        request,
        "early_warning/clusters.html",
        {
            "clusters": selectors.clusters_list(include_closed=show_all, kind=kind),
            "show_all": show_all,
            "kind": kind,
            "kinds": Cluster.Kind.choices,
        },
    )


@regulator_required
def cluster_detail(request, pk: int, form: DismissForm | None = None):
    cluster = get_object_or_404(
        Cluster.objects.select_related("app", "company", "category", "case"), pk=pk
    )
    return render(
        request,
        "early_warning/cluster_detail.html",
        {"view": selectors.cluster_detail(cluster), "form": form or DismissForm()},
        status=400 if form is not None else 200,
    )


@regulator_required
@require_POST
def cluster_open_case(request, pk: int):
    cluster = get_object_or_404(Cluster, pk=pk)
    try:
        case = services.cluster_case_open(cluster=cluster, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("early_warning:cluster", pk=pk)
    messages.success(
        request,
        _("Case %(reference)s holds the collective complaint; its consumers were told.")
        % {"reference": case.reference},
    )
    return redirect("cases:detail", pk=case.pk)


@regulator_required
@require_POST
def cluster_dismiss(request, pk: int):
    cluster = get_object_or_404(Cluster, pk=pk)
    form = DismissForm(request.POST)
    if not form.is_valid():
        return cluster_detail(request, pk, form=form)
    try:
        services.cluster_dismiss(
            cluster=cluster, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("early_warning:cluster", pk=pk)
    messages.success(request, _("The collective complaint was dismissed; your reason is recorded."))
    return redirect("early_warning:clusters")


@regulator_required
@require_http_methods(["GET", "POST"])
def mail_settings(request):
    """How the regulator hears of early warnings by e-mail: off, as they come, or a digest."""
    if request.method != "POST":
        form = MailSettingForm(initial={"mode": mail_mode(request.user)})
        return _mail_settings_page(request, form)
    form = MailSettingForm(request.POST)
    if form.is_valid():
        try:
            mail_mode_set(actor=request.user, mode=form.cleaned_data["mode"])
        except DomainError as error:
            form.add_error("mode", error.message)
    if not form.is_valid():
        return _mail_settings_page(request, form, status=400)
    messages.success(request, _("Saved: this is how you will hear of early warnings."))
    return redirect("early_warning:mail_settings")


def _mail_settings_page(request, form, status: int = 200):
    context = {
        "form": form,
        "size": settings.EARLY_WARNING_MAIL_CLUSTER_SIZE,
        "digest_hour": settings.EARLY_WARNING_DIGEST_HOUR,
    }
    return render(request, "early_warning/mail_settings.html", context, status=status)
