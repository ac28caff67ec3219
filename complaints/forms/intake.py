"""The steps of filing a complaint: which app, what happened, evidence, contact details."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ..errors import DomainError
from ..models import App, Category
from ..services.intake import contact_email_normalise, contact_phone_normalise
from .base import ConsumerForm, EvidenceFilesField, TextField, occurred_date_checked

# --- the filing steps ----------------------------------------------------------------------------


class AppStepForm(ConsumerForm):
    app = forms.ModelChoiceField(
        queryset=App.objects.all(),
        required=False,
        widget=forms.RadioSelect,
        label=_("Choose the app"),
        error_messages={"invalid_choice": _("Choose one of the apps listed.")},
    )
    app_name = TextField(label=_("App name"), max_length=200, required=False)
    app_store = TextField(
        label=_("Where you installed it"),
        max_length=60,
        required=False,
        help_text=_("For example: App Store, Huawei AppGallery, a website."),
    )
    app_version = TextField(
        label=_("App version"),
        max_length=40,
        required=False,
        help_text=_("In the app's settings, under “About”."),
    )

    def __init__(self, *args, matches=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["app"].queryset = App.objects.all()
        self.fields["app"].choices = [
            (
                match.app.pk,
                f"{match.app.name} · {match.app.package_name}"
                if match.app.package_name
                else match.app.name,
            )
            for match in matches
        ]

    def clean(self):
        data = super().clean()
        if not data.get("app") and not (data.get("app_name") or "").strip():
            self.add_error("app_name", _("Choose the app from the list, or type its name."))
        return data


class WhatStepForm(ConsumerForm):
    description = TextField(
        label=_("What happened?"),
        min_length=10,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("In your own words: what the app did, when, and what it cost you."),
        error_messages={
            "required": _("Describe what happened."),
            "min_length": _("Please write at least %(limit_value)d characters."),
        },
    )
    kind = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_active=True),
        to_field_name="code",
        required=False,
        empty_label=_("Not sure"),
        widget=forms.RadioSelect,
        label=_("What kind of problem is it? (optional)"),
        help_text=_("If you are not sure, leave it: we sort complaints ourselves."),
    )
    occurred_date = forms.DateField(
        label=_("When did it happen? (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_occurred_date(self):
        return occurred_date_checked(self.cleaned_data.get("occurred_date"))


class EvidenceStepForm(ConsumerForm):
    files = EvidenceFilesField(
        label=_("Screenshots, photos, receipts (optional)"),
        required=False,
        help_text=_(
            "Up to 5 files, 10 MB each: JPEG, PNG, WebP or PDF. We remove location and camera data from photos."
        ),
    )
    remove = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label=_("Remove")
    )

    def __init__(self, *args, drafts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.drafts = list(drafts)
        self.fields["remove"].choices = [
            (draft["key"], draft["original_name"]) for draft in self.drafts
        ]

    def clean(self):
        data = super().clean()
        kept = [draft for draft in self.drafts if draft["key"] not in data.get("remove", [])]
        if len(kept) + len(data.get("files") or []) > settings.EVIDENCE_MAX_FILES:
            self.add_error(
                "files",
                _("A complaint can have at most %(count)s files.")
                % {"count": settings.EVIDENCE_MAX_FILES},
            )
        return data


def _service_checked(normalise, value: str) -> str:
    try:
        return normalise(value)
    except DomainError as error:
        raise forms.ValidationError(error.message) from None


class ContactStepForm(ConsumerForm):
    contact_name = TextField(label=_("Your name (optional)"), max_length=100, required=False)
    contact_phone = TextField(
        label=_("Phone (optional)"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    contact_email = TextField(
        label=_("Email (optional)"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    # What each answer means is decided in selectors/operators.py; these words must match it.
    consent_share_with_operator = forms.BooleanField(
        label=_(
            "Share my files and the amount involved with the app's operator, so it can find my "
            "order or account and put it right."
        ),
        help_text=_(
            "Without this, the operator sees only your description with personal data masked, "
            "the app, the kind of problem and the dates, and can still answer you. Your name, "
            "phone and e-mail are never shared with the operator."
        ),
        required=False,
    )
    consent_publish = forms.BooleanField(
        label=_("A version without my personal data may be published in statistics and warnings."),
        required=False,
    )

    def clean_contact_phone(self):
        return _service_checked(contact_phone_normalise, self.cleaned_data["contact_phone"])

    def clean_contact_email(self):
        return _service_checked(contact_email_normalise, self.cleaned_data["contact_email"])
