"""What every consumer form shares: labels without a colon, ids unique per form, the text field
that cleans what people type, the evidence upload field, the date check (the filing service's rule),
and the first error to show a visitor."""

import datetime

from django import forms
from django.conf import settings
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from ..errors import DomainError
from ..services.evidence import evidence_clean
from ..services.intake import occurred_date_check
from ..text import text_clean, text_surrogate
from .rendering import ConsumerFormRenderer


class ConsumerForm(forms.Form):
    """No colon after labels (it reads oddly in Chinese), and ids unique per form, so a page
    with several forms (the status page) keeps every label tied to its own field."""

    id_prefix = "id"
    default_renderer = ConsumerFormRenderer()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


TEXT_ERRORS = {
    "not_text": _("Enter text."),
    "surrogate": _("This text holds %(code)s, half of a character pair, which is not text."),
}


def typed_text(value, error_messages) -> str:
    """What a person typed, cleaned (see complaints.text): a value that is not a string (a
    number or an object in an API body), or holds NUL or a lone surrogate, is refused."""
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise forms.ValidationError(error_messages["not_text"], code="not_text")
    surrogate = text_surrogate(value)
    if surrogate:
        raise forms.ValidationError(
            error_messages["surrogate"], code="surrogate", params={"code": surrogate}
        )
    # CharField refuses NUL in a string, but not in the list a LinesField makes of one.
    ProhibitNullCharactersValidator()(value)
    return text_clean(value)


class TextField(forms.CharField):
    """A CharField for what people type, at the top level of a form and in a complaint's
    per-kind details alike: line breaks become \n and control characters are dropped before
    the length is checked."""

    default_error_messages = TEXT_ERRORS

    def to_python(self, value):
        return super().to_python(typed_text(value, self.error_messages))


def occurred_date_checked(value: datetime.date | None) -> datetime.date | None:
    """The filing service's rule for the day it happened, as a field error."""
    try:
        return occurred_date_check(value)
    except DomainError as error:
        raise forms.ValidationError(error.message) from None


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
