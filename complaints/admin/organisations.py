"""Who is regulated and for what: companies, their members and apps, the complaint categories
and the rules that open a case when complaints pile up."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from ..models import App, Case, Category, Company, CompanyMembership, TriggerRule


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
    list_filter = ["platform", "app_type", ("operator", admin.RelatedOnlyFieldListFilter)]
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
    list_display = [
        "category", "threshold", "window_days", "is_active", "request_inspection", "created_at",
    ]  # fmt: skip
    list_filter = ["is_active", "request_inspection", "category"]
    list_editable = ["threshold", "window_days", "is_active"]
