"""The audit log and other records the admin shows but never edits: events, verified
addresses, the read-only inline they share, and the rule that keeps history from deletion."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import Event, VerifiedEmail


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
    fields = ["created_at", "kind", "from_status", "to_status", "actor", "actor_role", "said"]
    readonly_fields = fields
    ordering = ["created_at", "id"]
    verbose_name_plural = _("history")

    @admin.display(description=_("reason"))
    def said(self, obj):
        return obj.text


class KeepsItsHistory:
    """Complaints and cases are never deleted from the admin: their audit events PROTECT them
    (and on PostgreSQL the events table refuses DELETE). Consumers' personal data is erased
    through the erasure service, which keeps the record and its history."""

    def has_delete_permission(self, request, obj=None):
        return False


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
        "said",
        "chain_seq",
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

    @admin.display(description=_("reason"))
    def said(self, obj):
        """The system's message in the admin's language, then what a person typed."""
        return obj.text

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
