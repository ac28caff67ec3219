"""Finding a complaint by its tracking number, and the consumer's actions on its status page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .base import ConsumerForm, EvidenceFilesField, TextField

# --- tracking and the status page --------------------------------------------------------------


class _TrackingNumberForm(ConsumerForm):
    tracking_number = TextField(
        label=_("Tracking number"),
        max_length=24,
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "placeholder": "AW-240501-XXXXXX"}
        ),
    )

    def clean_tracking_number(self):
        return self.cleaned_data["tracking_number"].strip().upper()


class TrackForm(_TrackingNumberForm):
    token = TextField(
        label=_("Access code"),
        max_length=64,
        help_text=_("From the page you saw after filing, or the private link."),
    )


class LostLinkForm(_TrackingNumberForm):
    """A new status link by e-mail, for a consumer who lost theirs."""

    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_("The address you gave when you filed."),
    )


class WithdrawForm(ConsumerForm):
    id_prefix = "withdraw"

    reason = TextField(
        label=_("Why are you withdrawing it? (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class InfoForm(ConsumerForm):
    id_prefix = "info"

    text = TextField(
        label=_("Your answer"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write your answer.")},
    )
    files = EvidenceFilesField(label=_("Files (optional)"), required=False)


class RatingForm(ConsumerForm):
    id_prefix = "rating"

    rating = forms.TypedChoiceField(
        label=_("How well was your complaint handled?"),
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a rating from 1 to 5.")},
    )
    comment = TextField(
        label=_("Comment (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ConfirmAnswerForm(ConsumerForm):
    id_prefix = "confirm"

    rating = forms.TypedChoiceField(
        label=_("How well was your complaint handled? (optional)"),
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )


class DisputeForm(ConsumerForm):
    id_prefix = "dispute"

    reason = TextField(
        label=_("Why does the answer not resolve your complaint?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the answer does not resolve your complaint.")},
    )


class EraseForm(ConsumerForm):
    id_prefix = "erase"

    confirm = forms.BooleanField(
        label=_(
            "I understand: my description, contact details and files will be deleted for good, and an open complaint will be withdrawn."
        ),
        error_messages={"required": _("Tick the box to confirm.")},
    )
