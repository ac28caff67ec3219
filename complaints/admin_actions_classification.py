"""The complaint admin's "classify again" action, kept apart from complaints/admin.py so the
classification code owns it; complaints/admin.py wires it in."""

from django.contrib import messages
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from classifier.selectors import model_version_active

from .services.classification import complaints_reclassify


def reclassify_selected(modeladmin, request, queryset) -> None:
    """Enqueue the selected complaints for classification by the active model version.

    Complaints the active version has already classified are skipped (they would get the
    same verdict); labels a regulator confirmed are kept either way.
    """
    active = model_version_active()
    if active is None:
        modeladmin.message_user(
            request,
            _("No classifier version is active; activate one under Model versions first."),
            messages.ERROR,
        )
        return
    selected = queryset.exclude(classifications__model_version_id=active.pk)
    skipped = queryset.count() - selected.count()
    count = complaints_reclassify(queryset=selected, model_version_id=active.pk)
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d complaint queued for classification by %(version)s.",
            "%(count)d complaints queued for classification by %(version)s.",
            count,
        )
        % {"count": count, "version": active.version},
        messages.SUCCESS,
    )
    if skipped:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d complaint already has a verdict from this version.",
                "%(count)d complaints already have a verdict from this version.",
                skipped,
            )
            % {"count": skipped},
            messages.INFO,
        )
