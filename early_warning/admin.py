"""Early warning in the admin: read-only (the platform writes clusters and alerts; regulators
dismiss them on their pages, where the reason goes to the audit log)."""

from django.contrib import admin

from complaints.admin.audit import ReadOnlyInline

from .models import (
    Alert,
    Cluster,
    ClusterMembership,
    Dismissal,
    MailedItem,
    MailSetting,
    ResponseQuality,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(ReadOnlyInline):
    model = ClusterMembership
    fields = ["complaint", "score", "joined_at"]
    readonly_fields = fields
    show_change_link = False


@admin.register(Cluster)
class ClusterAdmin(ReadOnlyAdmin):
    list_display = [
        "app",
        "kind",
        "sdk_id",
        "category",
        "size",
        "first_at",
        "last_at",
        "case",
        "dismissed_at",
    ]
    list_filter = ["kind", "category"]
    search_fields = ["app__name", "company__name", "sdk_id"]
    readonly_fields = ["why", *[f.name for f in Cluster._meta.fields]]
    inlines = [MembershipInline]


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["kind", "day_date", "app", "category", "company", "created_at", "dismissed_at"]
    list_filter = ["kind"]
    search_fields = ["app__name", "company__name", "key"]
    readonly_fields = ["why", *[f.name for f in Alert._meta.fields]]
    exclude = ["complaints"]


@admin.register(Dismissal)
class DismissalAdmin(ReadOnlyAdmin):
    list_display = ["dismissed_at", "dismissed_by", "alert", "cluster", "reason"]
    readonly_fields = [f.name for f in Dismissal._meta.fields]


@admin.register(ResponseQuality)
class ResponseQualityAdmin(ReadOnlyAdmin):
    list_display = [
        "company",
        "measured_date",
        "replies",
        "boilerplate_replies",
        "due",
        "zero_replies",
        "hollow_closes",
    ]
    readonly_fields = [f.name for f in ResponseQuality._meta.fields]


@admin.register(MailSetting)
class MailSettingAdmin(ReadOnlyAdmin):
    """Each regulator chooses on their own settings page."""

    list_display = ["user", "mode", "updated_at"]
    list_filter = ["mode"]
    search_fields = ["user__email", "user__username"]
    readonly_fields = [f.name for f in MailSetting._meta.fields]


@admin.register(MailedItem)
class MailedItemAdmin(ReadOnlyAdmin):
    list_display = ["sent_at", "user", "alert", "cluster"]
    search_fields = ["user__email", "cluster__app__name", "alert__app__name"]
    readonly_fields = [f.name for f in MailedItem._meta.fields]
