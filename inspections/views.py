"""Inspection pages' actions: a regulator's upload on the case page, the operator's package on
its case page, and a regulator's SDK attribution of a case or a complaint."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from complaints.errors import DomainError
from complaints.models import Case, Complaint
from complaints.selectors.operators import operator_case
from complaints.views.operator import operator_required
from complaints.views.triage import regulator_required

from . import services


def _package(request, back: str, send, done: str):
    """Hand the uploaded `apk` to `send`; a missing or refused file shows why at `back` and
    nothing changes."""
    upload = request.FILES.get("apk")
    if upload is None:
        messages.error(request, _("Choose the app's package (APK) to upload."))
        return redirect(back)
    try:
        send(upload)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    messages.success(request, done)
    return redirect(back)


@regulator_required
@require_POST
def case_upload(request, pk: int):
    """Queue an inspection of the uploaded package as evidence on the case."""
    case = get_object_or_404(Case.objects.select_related("app"), pk=pk)
    return _package(
        request,
        reverse("cases:detail", args=[case.pk]) + "#inspection",
        lambda upload: services.inspection_upload(
            app=case.app, actor=request.user, upload=upload, case=case
        ),
        _("The package was accepted; the inspection is queued."),
    )


@operator_required
@require_POST
def operator_package(request, pk: int):
    """The operator sends the app's package from its case page; another company's case is a
    404."""
    try:
        case = operator_case(request.user, pk)
    except Case.DoesNotExist:
        raise Http404 from None
    return _package(
        request,
        reverse("operator:case", args=[case.pk]) + "#package",
        lambda upload: services.package_submit(case=case, actor=request.user, upload=upload),
        _("The package was sent; the regulator will inspect it."),
    )


def _attribute(request, back: str, **target):
    try:
        attribution = services.sdk_attribute(
            actor=request.user, sdk_id=request.POST.get("sdk", ""), **target
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    if attribution is None:
        messages.success(request, _("Attributed to the host app."))
    else:
        messages.success(
            request, _("Attributed to the SDK %(sdk)s.") % {"sdk": attribution.sdk_name}
        )
    return redirect(back)


@regulator_required
@require_POST
def case_attribution(request, pk: int):
    case = get_object_or_404(Case.objects.select_related("app"), pk=pk)
    return _attribute(request, reverse("cases:detail", args=[pk]) + "#sdk-attribution", case=case)


@regulator_required
@require_POST
def complaint_attribution(request, pk: int):
    complaint = get_object_or_404(Complaint.objects.select_related("app"), pk=pk)
    back = reverse("triage:detail", args=[pk]) + "#complaint-inspection"
    return _attribute(request, back, complaint=complaint)
