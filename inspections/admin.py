"""Inspections and SDK attributions in the admin: read-only (the worker and the attribution
service write them, each with its audit event; the file is never offered)."""

from django.contrib import admin

from .models import AppInspection, SdkAttribution


@admin.register(AppInspection)
class AppInspectionAdmin(admin.ModelAdmin):
    list_display = ["app", "package", "version_name", "status", "uploaded_at"]
    list_filter = ["status"]
    search_fields = ["app__name", "package", "file_sha256"]
    readonly_fields = [field.name for field in AppInspection._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SdkAttribution)
class SdkAttributionAdmin(admin.ModelAdmin):
    list_display = ["sdk_name", "vendor", "case", "complaint", "attributed_by", "attributed_at"]
    list_filter = ["sdk_name"]
    readonly_fields = [field.name for field in SdkAttribution._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
