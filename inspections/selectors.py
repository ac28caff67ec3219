"""Reads: an app's inspections, one inspection's report with labels in the reader's language,
and the difference between two inspections of one app."""

from django.db.models import QuerySet

from complaints.models import App

from . import catalogue
from .models import AppInspection


def inspections_for_app(app: App) -> QuerySet[AppInspection]:
    return AppInspection.objects.filter(app=app).select_related("uploaded_by")


def inspection_latest(app: App) -> AppInspection | None:
    return inspections_for_app(app).first()


def inspection_permissions(inspection: AppInspection) -> list[dict]:
    """The permissions with their explanation and personal-information labels resolved now,
    in the active language."""
    return [
        {
            **permission,
            "explanation": catalogue.permission_explanation(permission.get("explanation_key", "")),
            "pi_labels": [catalogue.pi_label(code) for code in permission.get("pi", [])],
        }
        for permission in inspection.permissions
    ]


def inspections_compare(older: AppInspection, newer: AppInspection) -> dict:
    """Permissions and SDKs added and removed from `older` to `newer` (sorted names)."""
    old_permissions = {p["name"] for p in older.permissions}
    new_permissions = {p["name"] for p in newer.permissions}
    old_sdks = {s["id"]: s["name"] for s in older.sdks}
    new_sdks = {s["id"]: s["name"] for s in newer.sdks}
    return {
        "permissions_added": sorted(new_permissions - old_permissions),
        "permissions_removed": sorted(old_permissions - new_permissions),
        "sdks_added": sorted(new_sdks[key] for key in new_sdks.keys() - old_sdks.keys()),
        "sdks_removed": sorted(old_sdks[key] for key in old_sdks.keys() - new_sdks.keys()),
    }
