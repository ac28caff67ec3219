"""What every consumer form shares: labels without a colon, ids unique per form, the evidence
upload field, the "not in the future" date check, and the first error to show a visitor."""

import datetime

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from ..errors import DomainError
from ..services.evidence import evidence_clean


class ConsumerForm(forms.Form):
    """No colon after labels (it reads oddly in Chinese), and ids unique per form, so a page
    with several forms (the status page) keeps every label tied to its own field."""

    id_prefix = "id"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


def not_in_future(value: datetime.date | None) -> datetime.date | None:
    if value and value > timezone.localdate():
        raise forms.ValidationError(_("This date is in the future."))
    return value


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceFilesField(forms.FileField):
    """Several files from one input, each checked and cleaned by the evidence service."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"})

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(uploads) > settings.EVIDENCE_MAX_FILES:
            raise forms.ValidationError(
                _("Attach at most %(count)s files."), params={"count": settings.EVIDENCE_MAX_FILES}
            )
        cleaned, errors = [], []
        for upload in uploads:
            try:
                cleaned.append(evidence_clean(name=upload.name, stream=upload, size=upload.size))
            except DomainError as error:
                errors.append(error.message)
        if errors:
            raise forms.ValidationError(errors)
        return cleaned


def first_error(form: forms.Form) -> str:
    """The first message of an invalid form, for pages that show one error line."""
    for errors in form.errors.values():
        return errors[0]
    return gettext_now("Invalid input.")
