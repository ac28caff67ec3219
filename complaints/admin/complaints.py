"""Complaints in the admin: triage actions that go through the services, the evidence and
classifications attached to them, and the masked text shown beside the original."""

from django import forms
from django.contrib import admin
from django.db import models
from django.forms.fields import InvalidJSONInput
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import privacy
from ..forms.base import TEXT_ERRORS
from ..models import Classification, Complaint, Evidence, OperatorResponse
from ..text import text_first_surrogate, text_shown
from .actions import reclassify_selected, run_each
from .audit import EventInline, KeepsItsHistory, ReadOnlyInline


class DetailsJSONField(forms.JSONField):
    """A complaint's details in the change form. A value stored before every door cleaned its
    input shows with U+FFFD where a character cannot be shown (rendering it would fail), and
    JSON typed here may not hold lone surrogates either."""

    def prepare_value(self, value):
        if isinstance(value, InvalidJSONInput):  # as typed, sent back with the form's errors
            return value
        return super().prepare_value(text_shown(value))

    def to_python(self, value):
        value = super().to_python(value)
        surrogate = text_first_surrogate(value)
        if surrogate:
            raise forms.ValidationError(
                TEXT_ERRORS["surrogate"], code="surrogate", params={"code": surrogate}
            )
        return value


class EvidenceInline(ReadOnlyInline):
    model = Evidence
    fk_name = "complaint"
    fields = ["preview", "original_name", "content_type", "size", "sha256", "created_at"]
    readonly_fields = fields

    @admin.display(description=_("file"))
    def preview(self, obj):
        if not obj.file:
            return "-"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            obj.file.url,
            obj.file.name.rsplit("/", 1)[-1],
        )


class ClassificationInline(ReadOnlyInline):
    model = Classification
    fields = ["model_version", "labels", "confidence", "language", "created_at"]
    readonly_fields = fields


class ComplaintResponseInline(ReadOnlyInline):
    model = OperatorResponse
    fk_name = "complaint"
    fields = ["created_at", "company", "author", "closure_code", "text"]
    readonly_fields = fields


@admin.register(Complaint)
class ComplaintAdmin(KeepsItsHistory, admin.ModelAdmin):
    list_display = [
        "tracking_number",
        "app_display",
        "status",
        "category_list",
        "confidence_display",
        "amount",
        "channel",
        "submitted_at",
        "decision_due_date",
    ]
    list_filter = [
        "status",
        ("categories", admin.RelatedOnlyFieldListFilter),
        "label_source",
        "channel",
        "language",
        ("app", admin.RelatedOnlyFieldListFilter),
        "submitted_at",
    ]
    search_fields = ["tracking_number", "app_name", "app__name", "description", "external_id"]
    date_hierarchy = "submitted_at"
    list_select_related = ["app"]
    list_per_page = 50
    autocomplete_fields = ["submitter"]
    # Where a complaint stands in the workflow changes only through the services, which write
    # its audit event: the triage page (linked from here) and the actions below.
    WORKFLOW_FIELDS = [
        "app",
        "category_hint",
        "category_list",
        "priority",
        "decision_due_date",
        "operator_due_date",
        "reject_reason",
        "duplicate_of",
        "case",
    ]
    readonly_fields = [
        "tracking_number",
        "status",
        "triage_link",
        *WORKFLOW_FIELDS,
        "masked_text_display",
        "label_source",
        "confidence",
        "classification_attempts",
        "classified_at",
        "submitted_at",
        "updated_at",
        "decided_at",
        "closed_at",
        "erased_at",
        "source",
        "external_id",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "tracking_number",
                    "status",
                    "triage_link",
                    "app",
                    "app_name",
                    "app_version",
                    "app_store",
                ]
            },
        ),
        (
            _("What happened"),
            {
                "fields": [
                    "description",
                    "masked_text_display",
                    "occurred_date",
                    "amount",
                    "currency",
                    "details",
                    "category_hint",
                ]
            },
        ),
        (
            _("Labels"),
            {
                "fields": [
                    "category_list",
                    "label_source",
                    "confidence",
                    "classification_attempts",
                    "classified_at",
                ]
            },
        ),
        (
            _("Handling"),
            {
                "fields": [
                    "priority",
                    "decision_due_date",
                    "operator_due_date",
                    "reject_reason",
                    "duplicate_of",
                    "case",
                ]
            },
        ),
        (
            _("Consumer"),
            {
                "fields": [
                    "submitter",
                    "contact_name",
                    "contact_phone",
                    "contact_email",
                    "consent_share_with_operator",
                    "consent_publish",
                    "rating",
                    "rating_comment",
                ]
            },
        ),
        (
            _("Record"),
            {
                "fields": [
                    "channel",
                    "language",
                    "source",
                    "external_id",
                    "submitted_at",
                    "updated_at",
                    "decided_at",
                    "closed_at",
                    "erased_at",
                ]
            },
        ),
    ]
    formfield_overrides = {models.JSONField: {"form_class": DetailsJSONField}}
    inlines = [EvidenceInline, ClassificationInline, ComplaintResponseInline, EventInline]
    actions = [
        "accept_with_current_labels",
        "reject_spam",
        "reject_out_of_remit",
        "reject_insufficient",
        "reclassify",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("categories")

    @admin.display(description=_("decisions"))
    def triage_link(self, obj):
        if obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("triage:detail", args=[obj.pk]),
            _("Decide on the triage page (accept, relabel, reject, merge, link to a case)"),
        )

    def save_model(self, request, obj, form, change):
        # An edited text is masked again: operators and the public never see what an edit added.
        if "description" in form.changed_data:
            obj.description_masked = privacy.masked_copy(obj.description)
        super().save_model(request, obj, form, change)

    @admin.display(description=_("what happened (personal data masked)"))
    def masked_text_display(self, obj):
        if obj.pk and obj.description_masked is None:
            return _("The same: the text holds no personal data.")
        return obj.masked_text if obj.pk else "-"

    @admin.display(description=_("app"), ordering="app_name")
    def app_display(self, obj):
        return obj.app.name if obj.app else obj.app_name

    @admin.display(description=_("categories"))
    def category_list(self, obj):
        return ", ".join(c.code for c in obj.categories.all()) or "-"

    @admin.display(description=_("confidence"), ordering="confidence")
    def confidence_display(self, obj):
        return "-" if obj.confidence is None else f"{obj.confidence:.2f}"

    @admin.action(description=_("Accept, confirming the current labels"), permissions=["change"])
    def accept_with_current_labels(self, request, queryset):
        from ..services.triage import complaint_accept

        run_each(
            self,
            request,
            queryset.prefetch_related("categories"),
            lambda c: complaint_accept(
                complaint=c,
                actor=request.user,
                category_codes=[cat.code for cat in c.categories.all()] or None,
            ),
            ngettext(
                "%(count)d complaint accepted.", "%(count)d complaints accepted.", queryset.count()
            ),
        )

    def _reject(self, request, queryset, reason):
        from ..services.triage import complaint_reject

        run_each(
            self,
            request,
            queryset,
            lambda c: complaint_reject(complaint=c, actor=request.user, reason=reason),
            ngettext(
                "%(count)d complaint rejected.", "%(count)d complaints rejected.", queryset.count()
            ),
        )

    @admin.action(description=_("Reject as spam or abuse"), permissions=["change"])
    def reject_spam(self, request, queryset):
        self._reject(request, queryset, Complaint.RejectReason.SPAM)

    @admin.action(description=_("Reject as outside our remit"), permissions=["change"])
    def reject_out_of_remit(self, request, queryset):
        self._reject(request, queryset, Complaint.RejectReason.OUT_OF_REMIT)

    @admin.action(description=_("Reject for lack of information"), permissions=["change"])
    def reject_insufficient(self, request, queryset):
        self._reject(request, queryset, Complaint.RejectReason.INSUFFICIENT)

    @admin.action(description=_("Classify again with the active model"), permissions=["change"])
    def reclassify(self, request, queryset):
        return reclassify_selected(self, request, queryset)


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "complaint", "case", "content_type", "size", "sha256", "created_at"]
    list_filter = ["content_type", "created_at"]
    search_fields = ["sha256", "original_name", "complaint__tracking_number", "case__reference"]
    raw_id_fields = ["complaint", "case", "response", "uploaded_by"]
    readonly_fields = ["sha256", "content_type", "size", "created_at"]


@admin.register(Classification)
class ClassificationAdmin(admin.ModelAdmin):
    list_display = ["complaint", "model_version", "labels", "confidence", "language", "created_at"]
    list_filter = ["model_version", "language", "created_at"]
    search_fields = ["complaint__tracking_number"]
    list_select_related = ["complaint", "model_version"]
    readonly_fields = [
        "complaint",
        "model_version",
        "labels",
        "probabilities",
        "confidence",
        "explanation",
        "language",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False
