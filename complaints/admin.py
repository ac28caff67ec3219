"""The Django admin for daily work: every model, with the common transitions as actions that
go through the services (so each writes its Event), and a read-only audit log."""

from django.contrib import admin, messages
from django.db.models import Count
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import privacy
from .errors import DomainError
from .models import (
    App,
    Case,
    CaseCategory,
    CaseNote,
    Category,
    Classification,
    Company,
    CompanyMembership,
    Complaint,
    Event,
    Evidence,
    Notice,
    OperatorResponse,
    TriggerRule,
    VerifiedEmail,
)

admin.site.site_header = _("AppWatch administration")
admin.site.site_title = _("AppWatch admin")
admin.site.index_title = _("Complaints, apps and rectification")


def _run_each(modeladmin, request, queryset, action, success_message: str) -> None:
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


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    model = Event
    fields = ["created_at", "kind", "from_status", "to_status", "actor", "actor_role", "reason"]
    readonly_fields = fields
    ordering = ["created_at", "id"]
    verbose_name_plural = _("history")


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


# --- Companies and apps ------------------------------------------------------------------


class AppInline(admin.TabularInline):
    model = App
    fields = ["name", "package_name", "platform", "filing_number"]
    extra = 0
    show_change_link = True


class MembershipInline(admin.TabularInline):
    model = CompanyMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "credit_code", "app_count", "contact_email", "created_at"]
    search_fields = ["name", "name_en", "credit_code"]
    inlines = [AppInline, MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(app_total=Count("apps"))

    @admin.display(description=_("apps"), ordering="app_total")
    def app_count(self, obj):
        return obj.app_total


@admin.register(CompanyMembership)
class CompanyMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "company", "created_at"]
    search_fields = ["user__username", "user__email", "company__name"]
    autocomplete_fields = ["user", "company"]


@admin.register(App)
class AppAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "operator",
        "platform",
        "package_name",
        "filing_number",
        "complaint_count",
        "open_cases",
    ]
    list_filter = ["platform", ("operator", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "aliases", "package_name", "filing_number", "operator__name"]
    autocomplete_fields = ["operator"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("operator")
            .annotate(complaint_total=Count("complaints", distinct=True))
        )

    @admin.display(description=_("complaints"), ordering="complaint_total")
    def complaint_count(self, obj):
        return obj.complaint_total

    @admin.display(description=_("open cases"))
    def open_cases(self, obj):
        return obj.cases.exclude(status=Case.Status.CLOSED).count()


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_zh",
        "name_en",
        "default_deadline_working_days",
        "sort_order",
        "is_active",
    ]
    list_editable = ["default_deadline_working_days", "sort_order", "is_active"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(TriggerRule)
class TriggerRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "threshold", "window_days", "is_active", "created_at"]
    list_filter = ["is_active", "category"]
    list_editable = ["threshold", "window_days", "is_active"]


# --- Complaints --------------------------------------------------------------------------


class KeepsItsHistory:
    """Complaints and cases are never deleted from the admin: deleting one would take its audit
    events with it (they cascade). Consumers' personal data is erased through the erasure
    service, which keeps the record and its history."""

    def has_delete_permission(self, request, obj=None):
        return False


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
    autocomplete_fields = ["app", "duplicate_of", "case", "submitter"]
    readonly_fields = [
        "tracking_number",
        "status",
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
                    "categories",
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
    filter_horizontal = ["categories"]
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
        from .services.triage import complaint_accept

        _run_each(
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
        from .services.triage import complaint_reject

        _run_each(
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
        from .admin_actions_classification import reclassify_selected

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


# --- Cases -------------------------------------------------------------------------------


class CaseCategoryInline(admin.TabularInline):
    model = CaseCategory
    fields = ["category", "is_open"]
    readonly_fields = ["is_open"]
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


class NoticeInline(ReadOnlyInline):
    model = Notice
    fields = ["number", "issued_at", "deadline_date", "issued_by", "acknowledged_at"]
    readonly_fields = fields


class CaseNoteInline(admin.TabularInline):
    model = CaseNote
    fields = ["text", "author", "created_at"]
    readonly_fields = ["author", "created_at"]
    extra = 1


class CaseComplaintInline(ReadOnlyInline):
    model = Complaint
    fk_name = "case"
    fields = ["tracking_number", "status", "submitted_at"]
    readonly_fields = fields
    verbose_name_plural = _("complaints in this case")


class CaseResponseInline(ReadOnlyInline):
    model = OperatorResponse
    fk_name = "case"
    fields = ["created_at", "company", "author", "text"]
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(KeepsItsHistory, admin.ModelAdmin):
    list_display = [
        "reference",
        "app",
        "status",
        "category_list",
        "assignee",
        "deadline_date",
        "overdue_flag",
        "origin",
        "opened_at",
    ]
    list_filter = [
        "status",
        "origin",
        ("case_categories__category", admin.RelatedOnlyFieldListFilter),
        "escalation",
        "opened_at",
        ("assignee", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["reference", "app__name", "app__operator__name", "title", "summary"]
    date_hierarchy = "opened_at"
    list_select_related = ["app", "assignee"]
    autocomplete_fields = ["app", "assignee"]
    readonly_fields = [
        "reference",
        "status",
        "origin",
        "trigger_rule",
        "recurrence_count",
        "opened_at",
        "updated_at",
        "rectified_at",
        "closed_at",
    ]
    inlines = [
        CaseCategoryInline,
        NoticeInline,
        CaseResponseInline,
        CaseComplaintInline,
        CaseNoteInline,
        EventInline,
    ]
    actions = [
        "issue_notice_default_deadline",
        "escalate_public_notice",
        "close_cases",
        "mark_overdue_now",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("case_categories__category")

    def save_formset(self, request, form, formset, change):
        # Notes written in the admin carry their author.
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, CaseNote) and instance.author_id is None:
                instance.author = request.user
            instance.save()
        formset.save_m2m()
        for obj in formset.deleted_objects:
            obj.delete()

    @admin.display(description=_("categories"))
    def category_list(self, obj):
        return ", ".join(cc.category.code for cc in obj.case_categories.all())

    @admin.display(description=_("overdue"), boolean=True)
    def overdue_flag(self, obj):
        return obj.status in (Case.Status.OVERDUE, Case.Status.ESCALATED) or obj.is_overdue(
            timezone.localdate()
        )

    @admin.action(
        description=_("Issue a rectification notice with the default deadline"),
        permissions=["change"],
    )
    def issue_notice_default_deadline(self, request, queryset):
        from .services.cases import notice_issue

        _run_each(
            self,
            request,
            queryset,
            lambda case: notice_issue(
                case=case, actor=request.user, problems=case.summary or case.title or str(case)
            ),
            ngettext("%(count)d notice issued.", "%(count)d notices issued.", queryset.count()),
        )

    @admin.action(description=_("Escalate: public notice"), permissions=["change"])
    def escalate_public_notice(self, request, queryset):
        from .services.cases import case_escalate

        _run_each(
            self,
            request,
            queryset,
            lambda case: case_escalate(
                case=case,
                actor=request.user,
                measure=Case.Escalation.PUBLIC_NOTICE,
                reason=str(_("Escalated from the admin")),
            ),
            ngettext("%(count)d case escalated.", "%(count)d cases escalated.", queryset.count()),
        )

    @admin.action(description=_("Close"), permissions=["change"])
    def close_cases(self, request, queryset):
        from .services.cases import case_close

        _run_each(
            self,
            request,
            queryset,
            lambda case: case_close(
                case=case, actor=request.user, reason=str(_("Closed from the admin"))
            ),
            ngettext("%(count)d case closed.", "%(count)d cases closed.", queryset.count()),
        )

    @admin.action(
        description=_("Mark overdue cases now (all cases past their deadline)"),
        permissions=["change"],
    )
    def mark_overdue_now(self, request, queryset):
        from .services.cases import cases_mark_overdue

        marked = cases_mark_overdue(today=timezone.localdate())
        self.message_user(
            request,
            ngettext(
                "%(count)d case marked overdue.", "%(count)d cases marked overdue.", len(marked)
            )
            % {"count": len(marked)},
        )


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["number", "case", "issued_at", "deadline_date", "issued_by", "acknowledged_at"]
    list_filter = ["issued_at", "deadline_date"]
    search_fields = ["number", "case__reference", "case__app__name", "text"]
    list_select_related = ["case__app", "issued_by"]
    readonly_fields = ["case", "number", "issued_at", "issued_by", "acknowledged_at"]

    def has_add_permission(self, request):
        # Notices are issued from a case, which computes the deadline and writes the event.
        return False


@admin.register(OperatorResponse)
class OperatorResponseAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "company", "complaint", "case", "closure_code", "created_at"]
    list_filter = ["kind", "closure_code", "created_at"]
    search_fields = ["text", "company__name", "complaint__tracking_number", "case__reference"]
    list_select_related = ["company", "complaint", "case"]
    readonly_fields = ["kind", "complaint", "case", "notice", "company", "author", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(CaseNote)
class CaseNoteAdmin(admin.ModelAdmin):
    list_display = ["case", "author", "created_at"]
    search_fields = ["case__reference", "text"]
    readonly_fields = ["author", "created_at"]
    autocomplete_fields = ["case"]

    def save_model(self, request, obj, form, change):
        if obj.author_id is None:
            obj.author = request.user
        super().save_model(request, obj, form, change)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The audit log: searchable, filterable, never editable."""

    list_display = [
        "created_at",
        "kind",
        "target",
        "from_status",
        "to_status",
        "actor",
        "actor_role",
        "reason",
    ]
    list_filter = ["kind", "actor_role", "to_status", "created_at"]
    search_fields = ["complaint__tracking_number", "case__reference", "reason", "actor__username"]
    date_hierarchy = "created_at"
    list_select_related = ["complaint", "case", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("object"))
    def target(self, obj):
        return obj.complaint or obj.case or "-"


@admin.register(VerifiedEmail)
class VerifiedEmailAdmin(admin.ModelAdmin):
    """Addresses consumers proved by opening the link sent to them: a record, not a form."""

    list_display = ["user", "email", "verified_at"]
    search_fields = ["user__username", "email"]
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
