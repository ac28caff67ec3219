"""Consumer forms: the steps of filing a complaint, the per-kind details, tracking, the actions on
the status page, and sign-up.

The per-kind details forms are also the API's schema for `details`: one definition, two doors.
"""

import datetime
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import DomainError
from .models import App, Category
from .services.evidence import evidence_clean
from .services.intake import contact_email_normalise, contact_phone_normalise

YES_NO = [("yes", _("Yes")), ("no", _("No")), ("unsure", _("Not sure"))]


class ConsumerForm(forms.Form):
    """No colon after labels (it reads oddly in Chinese), and ids unique per form, so a page
    with several forms (the status page) keeps every label tied to its own field."""

    id_prefix = "id"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


def _not_future(value: datetime.date | None) -> datetime.date | None:
    if value and value > timezone.localdate():
        raise forms.ValidationError(_("This date is in the future."))
    return value


class MoneyField(forms.DecimalField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault(
            "widget", forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"})
        )
        super().__init__(**kwargs)

    def clean(self, value):
        amount = super().clean(value)
        return amount.quantize(Decimal("0.01")) if amount is not None else None


class LinesField(forms.CharField):
    """One entry per line (phone numbers, links): a list of non-empty stripped lines."""

    def __init__(
        self, *, max_lines: int = 10, item_pattern: str | None = None, item_message=None, **kwargs
    ):
        self.max_lines = max_lines
        self.item_pattern = re.compile(item_pattern) if item_pattern else None
        self.item_message = item_message
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list):
            lines = [str(item).strip() for item in value]
        else:
            lines = [line.strip() for line in str(value or "").splitlines()]
        return [line[:200] for line in lines if line]

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if len(value) > self.max_lines:
            raise forms.ValidationError(
                _("At most %(count)s lines."), params={"count": self.max_lines}
            )
        if self.item_pattern:
            for item in value:
                if not self.item_pattern.fullmatch(item):
                    raise forms.ValidationError(self.item_message, params={"value": item})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value


# --- details for each kind ---------------------------------------------------------------------


class DetailsForm(ConsumerForm):
    """Base for the per-kind details: `details()` is what gets stored in Complaint.details, and
    `amount()` / `occurred_date()` feed the complaint's own columns when the kind has them."""

    def details(self) -> dict:
        return {
            name: _jsonable(value)
            for name, value in self.cleaned_data.items()
            if value not in (None, "", [])
        }

    def amount(self) -> Decimal | None:
        return None

    def summary(self) -> list[tuple[str, str]]:
        """(label, value as the consumer chose it) for the review page."""
        rows = []
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if value in (None, "", []):
                continue
            choices = dict(getattr(field, "choices", []) or [])
            values = value if isinstance(value, list) else [value]
            shown = [str(choices.get(item, item)) for item in values]
            if isinstance(value, datetime.datetime):
                shown = [timezone.localtime(value).strftime("%Y-%m-%d %H:%M")]
            rows.append((str(field.label), ", ".join(shown)))
        return rows

    def occurred_date(self) -> datetime.date | None:
        return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


PERMISSIONS = [
    ("contacts", _("Contacts")),
    ("location", _("Location")),
    ("camera", _("Camera")),
    ("microphone", _("Microphone")),
    ("phone", _("Phone and call logs")),
    ("sms", _("Text messages")),
    ("photos", _("Photos and files")),
    ("clipboard", _("Clipboard")),
    ("device_id", _("Device identifiers")),
    ("calendar", _("Calendar")),
    ("other", _("Something else")),
]


class PermissionDetailsForm(DetailsForm):
    permissions = forms.MultipleChoiceField(
        label=_("Which permissions did the app ask for?"),
        choices=PERMISSIONS,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one permission.")},
    )
    permissions_other = forms.CharField(
        label=_("Other permissions"), max_length=200, required=False
    )
    refused_without = forms.ChoiceField(
        label=_("Did the app refuse to work without them?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )


class PriceDetailsForm(DetailsForm):
    """Big-data price discrimination: a paired observation is the evidence regulators need."""

    item = forms.CharField(
        label=_("What were you buying?"),
        max_length=200,
        help_text=_("The product, trip, room or ticket."),
    )
    my_price = MoneyField(label=_("The price you saw (yuan)"))
    my_device = forms.CharField(
        label=_("Your device or account"),
        max_length=120,
        help_text=_("For example: iPhone 15, member account since 2019."),
    )
    other_price = MoneyField(label=_("The price another account or device saw (yuan)"))
    other_device = forms.CharField(
        label=_("That other device or account"),
        max_length=120,
        help_text=_("For example: a friend's Android phone, a new account."),
    )
    seen_at = forms.DateTimeField(
        label=_("When did you compare?"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"],
    )

    def clean_seen_at(self):
        value = self.cleaned_data["seen_at"]
        if value and value > timezone.now() + datetime.timedelta(minutes=5):
            raise forms.ValidationError(_("This date is in the future."))
        return value

    def clean(self):
        data = super().clean()
        if data.get("my_price") is not None and data.get("my_price") == data.get("other_price"):
            self.add_error(
                "other_price",
                _("The two prices are the same: enter the price the other account or device saw."),
            )
        return data

    def details(self) -> dict:
        data = self.cleaned_data
        return {
            "item": data["item"],
            "observations": [
                {
                    "price": str(data["my_price"]),
                    "device_or_account": data["my_device"],
                    "who": "consumer",
                },
                {
                    "price": str(data["other_price"]),
                    "device_or_account": data["other_device"],
                    "who": "comparison",
                },
            ],
            "seen_at": data["seen_at"].isoformat(),
        }

    def occurred_date(self) -> datetime.date | None:
        return timezone.localdate(self.cleaned_data["seen_at"])


PAYMENT_CHANNELS = [
    ("alipay", _("Alipay")),
    ("wechat_pay", _("WeChat Pay")),
    ("bank_transfer", _("Bank transfer")),
    ("bank_card", _("Bank card")),
    ("in_app", _("Inside the app")),
    ("other", _("Other")),
]


class FraudDetailsForm(DetailsForm):
    amount_lost = MoneyField(label=_("Money lost (yuan)"), required=False)
    payment_channel = forms.ChoiceField(
        label=_("How did you pay?"), choices=[("", "—"), *PAYMENT_CHANNELS], required=False
    )
    scam_phones = LinesField(
        label=_("The scammer's phone numbers"),
        help_text=_("One per line."),
        item_pattern=r"\+?[0-9][0-9 ()-]{2,24}",
        item_message=_("“%(value)s” is not a phone number."),
    )
    scam_urls = LinesField(
        label=_("Links or websites"),
        help_text=_("One per line."),
        item_pattern=r"(?:https?://)?[^\s/$.?#][^\s]*\.[^\s]+",
        item_message=_("“%(value)s” is not a link."),
    )
    scam_accounts = LinesField(
        label=_("Accounts the scammer used"),
        help_text=_("WeChat, QQ, Alipay or bank accounts; one per line."),
    )

    def amount(self) -> Decimal | None:
        return self.cleaned_data.get("amount_lost")


class ChargeDetailsForm(DetailsForm):
    amount_charged = MoneyField(label=_("Amount charged (yuan)"))
    charged_date = forms.DateField(
        label=_("Date of the charge"), widget=forms.DateInput(attrs={"type": "date"})
    )
    subscription_name = forms.CharField(
        label=_("Name of the subscription or service"), max_length=200, required=False
    )
    renewal_reminder = forms.ChoiceField(
        label=_("Did a reminder come before it renewed?"), choices=YES_NO, widget=forms.RadioSelect
    )

    def clean_charged_date(self):
        return _not_future(self.cleaned_data["charged_date"])

    def amount(self) -> Decimal | None:
        return self.cleaned_data.get("amount_charged")

    def occurred_date(self) -> datetime.date | None:
        return self.cleaned_data.get("charged_date")


class CancellationDetailsForm(DetailsForm):
    steps_tried = forms.CharField(
        label=_("What did you try?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For example: looked in settings, called customer service, sent an email."),
    )
    days_trying = forms.IntegerField(
        label=_("How many days have you been trying?"), min_value=0, max_value=3650, required=False
    )
    app_answer = forms.CharField(
        label=_("What did the app answer?"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


DETAILS_FORMS: dict[str, type[DetailsForm]] = {
    "over_permission": PermissionDetailsForm,
    "price_discrimination": PriceDetailsForm,
    "fraud": FraudDetailsForm,
    "unauthorized_charges": ChargeDetailsForm,
    "account_cancellation": CancellationDetailsForm,
}


# --- the filing steps ----------------------------------------------------------------------------


class AppStepForm(ConsumerForm):
    app = forms.ModelChoiceField(
        queryset=App.objects.all(),
        required=False,
        widget=forms.RadioSelect,
        label=_("Choose the app"),
        error_messages={"invalid_choice": _("Choose one of the apps listed.")},
    )
    app_name = forms.CharField(label=_("App name"), max_length=200, required=False)
    app_store = forms.CharField(
        label=_("Where you installed it"),
        max_length=60,
        required=False,
        help_text=_("For example: App Store, Huawei AppGallery, a website."),
    )
    app_version = forms.CharField(
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
    description = forms.CharField(
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
        return _not_future(self.cleaned_data.get("occurred_date"))


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
    contact_name = forms.CharField(label=_("Your name (optional)"), max_length=100, required=False)
    contact_phone = forms.CharField(
        label=_("Phone (optional)"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    contact_email = forms.CharField(
        label=_("Email (optional)"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    consent_share_with_operator = forms.BooleanField(
        label=_(
            "The app's operator may see my complaint (without my contact details) and answer it."
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


# --- tracking and the status page --------------------------------------------------------------


class _TrackingNumberForm(ConsumerForm):
    tracking_number = forms.CharField(
        label=_("Tracking number"),
        max_length=24,
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "placeholder": "AW-240501-XXXXXX"}
        ),
    )

    def clean_tracking_number(self):
        return self.cleaned_data["tracking_number"].strip().upper()


class TrackForm(_TrackingNumberForm):
    token = forms.CharField(
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

    reason = forms.CharField(
        label=_("Why are you withdrawing it? (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class InfoForm(ConsumerForm):
    id_prefix = "info"

    text = forms.CharField(
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
    comment = forms.CharField(
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

    reason = forms.CharField(
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


# --- accounts -------------------------------------------------------------------------------------


class SignupForm(ConsumerForm):
    email = forms.EmailField(
        label=_("Email"), max_length=150, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if (
            User.objects.filter(username__iexact=email).exists()
            or User.objects.filter(email__iexact=email).exists()
        ):
            raise forms.ValidationError(
                _("An account with this email already exists. Log in instead.")
            )
        return email

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first and data.get("email"):
            try:
                password_validation.validate_password(
                    first, User(username=data["email"], email=data["email"])
                )
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class EmailLoginForm(AuthenticationForm):
    """Log in with the email address (it is the username of consumer accounts)."""

    def __init__(self, request=None, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(request, *args, **kwargs)

    # Consumers sign up with their email; staff and operator accounts may have plain usernames.
    username = forms.CharField(
        label=_("Email or username"),
        max_length=254,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "email", "inputmode": "email"}
        ),
    )

    def clean_username(self):
        value = self.cleaned_data["username"].strip()
        return value.lower() if "@" in value else value
