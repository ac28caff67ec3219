"""The inspection upload on a regulator's case page."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from complaints.errors import DomainError
from complaints.models import Case
from complaints.views.triage import regulator_required

from . import services


@regulator_required
@require_POST
def case_upload(request, pk: int):
    """Queue an inspection of the uploaded package as evidence on the case; a refused file
    shows why on the case page, and nothing on the case changes."""
    case = Case.objects.select_related("app").filter(pk=pk).first()
    if case is None:
        raise Http404
    back = reverse("cases:detail", args=[case.pk]) + "#inspection"
    upload = request.FILES.get("apk")
    if upload is None:
        messages.error(request, _("Choose the app's package (APK) to upload."))
        return redirect(back)
    try:
        services.inspection_upload(app=case.app, actor=request.user, upload=upload, case=case)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    messages.success(request, _("The package was accepted; the inspection is queued."))
    return redirect(back)
