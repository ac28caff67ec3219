"""Regulators' early-warning pages: alerts and collective complaints, each with why it fired;
dismissing either with a reason, and opening a case from a cluster in one action."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from complaints.errors import DomainError
from complaints.views.triage import regulator_required

from . import selectors, services
from .forms import DismissForm
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
