"""Admin actions shared across the complaint app's model admins: applying a service to each
selected row, and the complaint admin's "classify again" action."""

from django.contrib import messages
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..errors import DomainError


def run_each(modeladmin, request, queryset, action, success_message: str) -> None:
    """Apply a service to each selected row; report successes and each refusal by name."""
    done = 0
    for obj in queryset:
        try:
            action(obj)
        except DomainError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.WARNING)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, success_message % {"count": done}, messages.SUCCESS)


def reclassify_selected(modeladmin, request, queryset) -> None:
    """Enqueue the selected complaints for classification by the active model version.

    Complaints the active version has already classified are skipped (they would get the
    same verdict); labels a regulator confirmed are kept either way.
    """
    # Imported here: the classification service pulls in the training stack (scikit-learn,
    # skops), and every process that loads the admin would pay for it at start-up.
    from classifier.selectors import model_version_active

    from ..services.classification import complaints_reclassify

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
