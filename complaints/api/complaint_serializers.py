"""Serializers for filing and tracking over the API: input and output kept apart.

Input serializers only parse; the rules (contact checks, idempotency, evidence) are the
services'. The per-kind `details` are checked by the same forms the web uses.
"""

import copy
import re

from django.conf import settings
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html
from rest_framework.utils.serializer_helpers import BindingDict
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from ..errors import DomainError
from ..forms.details import DETAILS_FORMS
from ..models import App, Category, Complaint
from ..selectors.intake import app_for_filing
from ..services.evidence import evidence_clean
from ..services.intake import (
    contact_email_normalise,
    contact_phone_normalise,
    occurred_date_check,
)
from ..text import SURROGATE, text_clean
from .parsers import json_loads_checked


class DeclaredFieldsOnce:
    """A serializer mixin for the filing's hot path: DRF deep-copies every declared field for
    each serializer it makes (re-running each field's __init__) and binds each copy to it, a
    third of the serializer's time. Here the class's fields are copied and bound that way
    once, and each serializer gets shallow copies of them, its own objects, with only their
    parent changed (what `bind` sets besides, name, label and source, is the same for every
    copy). A list field's child is copied the same way beneath its own copy; a field that
    holds a serializer is still deep-copied and bound as DRF does it, so none is shared."""

    # (name, field bound once, whether it holds a serializer), per class.
    _bound_once: list | None = None

    @cached_property
    def fields(self):
        cls = type(self)
        if cls.__dict__.get("_bound_once") is None:
            bound = BindingDict(self)
            for name, field in super().get_fields().items():
                bound[name] = field
            for field in bound.values():
                field.parent = None  # the template keeps no serializer (nor its data) alive
            cls._bound_once = [
                (name, field, _holds_a_serializer(field)) for name, field in bound.items()
            ]
        fields = BindingDict(self)
        for name, field, deep in cls._bound_once:
            if deep:
                fields[name] = copy.deepcopy(field)  # bound by BindingDict, as DRF does
            else:
                fields.fields[name] = _copy_with_parent(field, self)
        return fields


def _holds_a_serializer(field) -> bool:
    return isinstance(field, serializers.BaseSerializer) or isinstance(
        getattr(field, "child", None) or getattr(field, "child_relation", None),
        serializers.BaseSerializer,
    )


def _copy_with_parent(field, parent):
    shallow = object.__new__(field.__class__)
    shallow.__dict__.update(field.__dict__)
    shallow.parent = parent
    child = field.__dict__.get("child") or field.__dict__.get("child_relation")
    if child is not None:
        setattr(shallow, "child" if "child" in field.__dict__ else "child_relation",
                _copy_with_parent(child, shallow))  # fmt: skip
    return shallow


INTEGER = re.compile(r"[+-]?\d+")


class RegistryAppField(serializers.PrimaryKeyRelatedField):
    """An app of the registry by its id, read with one prepared statement
    (`selectors.intake.app_for_filing`) instead of the queryset's ORM compilation on every
    filing. Takes the id as a JSON number or as the digits of one (a form field); a number
    with a fraction, true or false, or anything else is refused as not an id."""

    def to_internal_value(self, data):
        if isinstance(data, str) and INTEGER.fullmatch(data.strip()):
            digits = data.strip()
            # Longer than any bigint: not read (int() refuses past 4,300 digits).
            app_id = int(digits) if len(digits) <= 20 else 0
        elif isinstance(data, float) and data.is_integer():
            app_id = int(data)
        elif isinstance(data, int) and not isinstance(data, bool):
            app_id = data
        else:
            self.fail("incorrect_type", data_type=type(data).__name__)
        app = app_for_filing(app_id)
        if app is None:
            self.fail("does_not_exist", pk_value=data)
        return app


class SurrogatesRefused(ProhibitSurrogateCharactersValidator):
    """DRF's lone-surrogate check, with its message and code, in one search of the text
    instead of a Python loop over each of its characters (a description is up to 5,000)."""

    def __call__(self, value):
        found = SURROGATE.search(str(value))
        if found:
            raise serializers.ValidationError(
                self.message.format(code_point=ord(found.group())), code=self.code
            )


class TextField(serializers.CharField):
    """What people type, cleaned as the web form cleans it (complaints.text): line breaks as
    \n, control characters dropped. DRF's CharField already refuses NUL and lone surrogates."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            SurrogatesRefused() if type(v) is ProhibitSurrogateCharactersValidator else v
            for v in self.validators
        ]

    def to_internal_value(self, data):
        value = text_clean(super().to_internal_value(data))
        return value.strip() if self.trim_whitespace else value


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$",
        "nullable": True,
        "description": "Yuan, up to two decimals, e.g. 199.00.",
    }
)
class AmountField(serializers.DecimalField):
    """A money amount: what the schema states is exactly what the field takes."""


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": True,
        "description": "Fields of the category_hint's details form.",
    }
)
class DetailsField(serializers.JSONField):
    """A JSON object, or (in multipart requests) a string holding one; its fields are cleaned
    by the kind's details form, like the web's."""

    default_error_messages = {"invalid": _("Must be a JSON object.")}

    def to_internal_value(self, data):
        if isinstance(data, bytes):
            data = data.decode("utf-8", errors="replace")
        if isinstance(data, str):
            # The same limits as a JSON body: no deep nesting, no lone surrogates.
            try:
                data = json_loads_checked(data)
            except ValueError as error:
                raise serializers.ValidationError(str(error)) from None
        if not isinstance(data, dict):
            self.fail("invalid")
        return data


class EvidenceListField(serializers.ListField):
    child = serializers.FileField()

    def to_internal_value(self, data):
        uploads = super().to_internal_value(data)
        if len(uploads) > settings.EVIDENCE_MAX_FILES:
            raise serializers.ValidationError(
                _("Attach at most %(count)s files.") % {"count": settings.EVIDENCE_MAX_FILES}
            )
        cleaned, errors = [], []
        for upload in uploads:
            try:
                cleaned.append(evidence_clean(name=upload.name, stream=upload, size=upload.size))
            except DomainError as error:
                errors.append(error.message)
        if errors:
            raise serializers.ValidationError(errors)
        return cleaned


class CategoryCodeField(serializers.SlugRelatedField):
    """A taxonomy code. Text with NUL in it cannot be one, and PostgreSQL refuses NUL even in
    a query, so it is an unknown category without asking the database."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)


def _service_checked(normalise, value: str) -> str:
    try:
        return normalise(value)
    except DomainError as error:
        raise serializers.ValidationError(error.message) from None


# The doors a filing over the API may name: hotline, e-mail and bulk import are recorded by
# the platform's own tools, never claimed by a client.
FILING_CHANNELS = [Complaint.Channel.API.value, Complaint.Channel.WEB.value]


class ComplaintSubmitInput(DeclaredFieldsOnce, serializers.Serializer):
    app = RegistryAppField(
        # The model and type the schema shows; filing reads the app with app_for_filing.
        queryset=App.objects.only("id", "name"),
        required=False,
        allow_null=True,
        help_text="Id of an app in the registry; or give app_name.",
        error_messages={
            "does_not_exist": _("No app with id {pk_value}."),
            "incorrect_type": _("Give the app's id as a number."),
        },
    )
    app_name = TextField(max_length=200, required=False, allow_blank=True, default="")
    app_version = TextField(max_length=40, required=False, allow_blank=True, default="")
    app_store = TextField(max_length=60, required=False, allow_blank=True, default="")
    description = TextField(
        max_length=5000,
        error_messages={
            "required": _("Describe what happened."),
            "blank": _("Describe what happened."),
        },
    )
    category_hint = CategoryCodeField(
        slug_field="code",
        queryset=Category.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Taxonomy code the consumer thinks fits; the classifier decides anyway.",
        error_messages={"does_not_exist": _("Unknown category: {value}.")},
    )
    details = DetailsField(
        required=False,
        default=dict,
        help_text="Per-kind details, the same fields as the web form (only with a category_hint that has them).",
    )
    occurred_date = serializers.DateField(required=False, allow_null=True)
    amount = AmountField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    contact_name = TextField(max_length=100, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default=""
    )
    contact_email = serializers.EmailField(
        max_length=254, required=False, allow_blank=True, default=""
    )
    consent_share_with_operator = serializers.BooleanField(required=False, default=False)
    consent_publish = serializers.BooleanField(required=False, default=False)
    evidence = EvidenceListField(
        required=False,
        default=list,
        help_text="Up to 5 files (multipart): JPEG, PNG, WebP or PDF, 10 MB each.",
    )
    channel = serializers.ChoiceField(
        choices=FILING_CHANNELS,
        required=False,
        default=Complaint.Channel.API.value,
        help_text="The door the complaint came in by, for the platform's statistics: `web` is "
        "sent by AppWatch's own one-page web form; other clients leave it out (`api`).",
    )

    def validate_contact_phone(self, value: str) -> str:
        return _service_checked(contact_phone_normalise, value)

    def validate_contact_email(self, value: str) -> str:
        return _service_checked(contact_email_normalise, value)

    def validate_occurred_date(self, value):
        return _service_checked(occurred_date_check, value)

    def validate_description(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("Describe what happened."))
        return value.strip()

    def to_internal_value(self, data):
        if html.is_html_input(data):
            # A multipart form has no null: clients that append a null (a browser's FormData
            # does) send the text "null". For a field that may be null and is never text,
            # that can only mean null.
            data = data.copy()
            for name, field in self.fields.items():
                nullable = field.allow_null and not isinstance(field, serializers.CharField)
                if nullable and data.get(name) == "null":
                    data[name] = ""
        return super().to_internal_value(data)

    def validate(self, data: dict) -> dict:
        if not data.get("app") and not data.get("app_name", "").strip():
            raise serializers.ValidationError(
                {"app_name": [_("Give app_name, or the id of an app in app.")]}
            )
        details = data.get("details") or {}
        kind = data.get("category_hint")
        form_class = DETAILS_FORMS.get(kind.code) if kind else None
        if details and form_class is None:
            raise serializers.ValidationError(
                {"details": [_("Details are only taken with a category_hint that has them.")]}
            )
        data["details_form"] = None
        if form_class is not None and details:
            form = form_class(data=details)
            if not form.is_valid():
                raise serializers.ValidationError(
                    {
                        f"details.{name}": [str(message) for message in messages]
                        for name, messages in form.errors.items()
                    }
                )
            data["details_form"] = form
        return data


class ComplaintCreatedOutput(DeclaredFieldsOnce, serializers.Serializer):
    tracking_number = serializers.CharField()
    access_token = serializers.CharField(
        help_text="Shown once. Send it as X-Tracking-Token to read the status."
    )
    status = serializers.CharField()
    status_url = serializers.URLField(
        help_text="The private status page for people (contains the token)."
    )
    decision_due_date = serializers.DateField(
        help_text="What happens next: by this day a regulator decides whether to take the "
        "complaint up (working days on the Chinese calendar)."
    )


class TimelineEntryOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    title = serializers.CharField()
    detail = serializers.CharField()
    status = serializers.CharField()
    by_consumer = serializers.BooleanField()


class TrackOutput(serializers.Serializer):
    tracking_number = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField()
    status_explained = serializers.CharField()
    categories = serializers.ListField(
        child=serializers.CharField(), help_text="Taxonomy codes, once classified."
    )
    app_name = TextField()
    submitted_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    erased = serializers.BooleanField()
    timeline = TimelineEntryOutput(many=True)


class MyComplaintOutput(serializers.ModelSerializer):
    categories = serializers.SerializerMethodField()
    status_display = serializers.CharField(source="get_status_display")
    status_url = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "tracking_number",
            "app_name",
            "status",
            "status_display",
            "categories",
            "submitted_at",
            "updated_at",
            "status_url",
        ]

    def get_categories(self, complaint: Complaint) -> list[str]:
        return [category.code for category in complaint.categories.all()]

    def get_status_url(self, complaint: Complaint) -> str:
        from django.urls import reverse

        return self.context["request"].build_absolute_uri(
            reverse("track_detail", args=[complaint.tracking_number])
        )


class ComplaintSubmitJSONInput(ComplaintSubmitInput):
    """What a JSON filing documents: the same fields but files, which only multipart carries.
    (Used for the schema; the view reads both with ComplaintSubmitInput.)"""

    evidence = None
