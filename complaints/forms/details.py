"""The per-kind details of a complaint (permissions, prices, fraud, charges, cancellation).

They are also the API's schema for `details`: one definition, two doors.
"""

import datetime
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import TEXT_ERRORS, ConsumerForm, TextField, occurred_date_checked, typed_text

YES_NO = [("yes", _("Yes")), ("no", _("No")), ("unsure", _("Not sure"))]


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
    """One entry per line (phone numbers, links): a list of non-empty stripped lines. An API
    body may give a list of strings; each is cleaned like any text."""

    default_error_messages = TEXT_ERRORS

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
            lines = [typed_text(item, self.error_messages).strip() for item in value]
        else:
            text = typed_text(value, self.error_messages)
            lines = [line.strip() for line in text.split("\n")]
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
    permissions_other = TextField(label=_("Other permissions"), max_length=200, required=False)
    refused_without = forms.ChoiceField(
        label=_("Did the app refuse to work without them?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )


class PriceDetailsForm(DetailsForm):
    """Big-data price discrimination: a paired observation is the evidence regulators need."""

    item = TextField(
        label=_("What were you buying?"),
        max_length=200,
        help_text=_("The product, trip, room or ticket."),
    )
    my_price = MoneyField(label=_("The price you saw (yuan)"))
    my_device = TextField(
        label=_("Your device or account"),
        max_length=120,
        help_text=_("For example: iPhone 15, member account since 2019."),
    )
    other_price = MoneyField(label=_("The price another account or device saw (yuan)"))
    other_device = TextField(
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
    subscription_name = TextField(
        label=_("Name of the subscription or service"), max_length=200, required=False
    )
    renewal_reminder = forms.ChoiceField(
        label=_("Did a reminder come before it renewed?"), choices=YES_NO, widget=forms.RadioSelect
    )

    def clean_charged_date(self):
        return occurred_date_checked(self.cleaned_data["charged_date"])

    def amount(self) -> Decimal | None:
        return self.cleaned_data.get("amount_charged")

    def occurred_date(self) -> datetime.date | None:
        return self.cleaned_data.get("charged_date")


class CancellationDetailsForm(DetailsForm):
    steps_tried = TextField(
        label=_("What did you try?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For example: looked in settings, called customer service, sent an email."),
    )
    days_trying = forms.IntegerField(
        label=_("How many days have you been trying?"), min_value=0, max_value=3650, required=False
    )
    app_answer = TextField(
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
