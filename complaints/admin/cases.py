"""Rectification cases in the admin: their notices, operator responses and notes, with the
case transitions as actions that go through the case services."""

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import workflow
from ..models import Case, CaseCategory, CaseNote, Complaint, Notice, OperatorResponse
from .actions import run_each
from .audit import EventInline, KeepsItsHistory, ReadOnlyInline


class CaseCategoryInline(ReadOnlyInline):
    model = CaseCategory
    fields = ["category", "is_open"]
    readonly_fields = fields


class NoticeInline(ReadOnlyInline):
    model = Notice
    fields = ["number", "issued_at", "deadline_date", "issued_by", "acknowledged_at"]
    readonly_fields = fields


class CaseNoteInline(ReadOnlyInline):
    """Notes are written on the case page (services.cases.case_note_add logs each one)."""

    model = CaseNote
    fields = ["text", "author", "created_at"]
    readonly_fields = fields


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
    # The case's place in the workflow changes only on the case page and through the actions
    # below, which call the services and write the audit events.
    WORKFLOW_FIELDS = ["app", "assignee", "deadline_date", "escalation"]
    readonly_fields = [
        "reference",
        "status",
        "case_link",
        *WORKFLOW_FIELDS,
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
        "assign_to_me",
        "issue_notice_default_deadline",
        "escalate_public_notice",
        "close_cases",
        "mark_overdue_now",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("case_categories__category")

    @admin.display(description=_("steps"))
    def case_link(self, obj):
        if obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("cases:detail", args=[obj.pk]),
            _("Work on the case page (assign, note, notice, verification, escalation, closing)"),
        )

    @admin.action(description=_("Assign to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        from ..services.cases import case_assign

        run_each(
            self,
            request,
            queryset,
            lambda case: case_assign(case=case, assignee=request.user, actor=request.user),
            ngettext("%(count)d case assigned.", "%(count)d cases assigned.", queryset.count()),
        )

    @admin.display(description=_("categories"))
    def category_list(self, obj):
        return ", ".join(cc.category.code for cc in obj.case_categories.all())

    @admin.display(description=_("overdue"), boolean=True)
    def overdue_flag(self, obj):
        return obj.status in workflow.CASE_LATE or obj.is_overdue(timezone.localdate())

    @admin.action(
        description=_("Issue a rectification notice with the default deadline"),
        permissions=["change"],
    )
    def issue_notice_default_deadline(self, request, queryset):
        from ..services.cases import notice_issue

        run_each(
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
        from ..services.cases import case_escalate

        run_each(
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
        from ..services.cases import case_close

        run_each(
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
        from ..services.cases import cases_mark_overdue

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

    def has_change_permission(self, request, obj=None):
        # An issued notice is a record sent to the operator: it is read, never rewritten.
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

    def has_change_permission(self, request, obj=None):
        # What the operator said stays as it was said.
        return False


@admin.register(CaseNote)
class CaseNoteAdmin(admin.ModelAdmin):
    list_display = ["case", "author", "created_at"]
    search_fields = ["case__reference", "text"]
    readonly_fields = ["case", "text", "author", "created_at"]

    # Notes are written on the case page, where each one is logged.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
