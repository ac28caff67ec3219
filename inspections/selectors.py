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


def case_panel(app: App) -> dict:
    """What the case page shows about the app's package: the latest inspection with its
    permissions and SDKs in the reader's language, and what changed since the inspection
    before it (both done)."""
    rows = list(inspections_for_app(app)[:20])
    latest = rows[0] if rows else None
    done = [row for row in rows if row.status == AppInspection.Status.DONE]
    comparison = None
    if latest is not None and latest.status == AppInspection.Status.DONE and len(done) > 1:
        comparison = {"older": done[1], **inspections_compare(done[1], done[0])}
    sdks = []
    if latest is not None:
        for sdk in latest.sdks:
            category = catalogue.sdk_categories().get(sdk["category"], {})
            sdks.append(
                {
                    **sdk,
                    "category_label": catalogue.in_language(category) if category else "",
                    "personal_data_labels": [catalogue.pi_label(c) for c in sdk["personal_data"]],
                }
            )
    return {
        "latest": latest,
        "permissions": inspection_permissions(latest) if latest else [],
        "sdks": sdks,
        "comparison": comparison,
        "count": len(rows),
    }


def scorecard_summary(app: App) -> dict:
    """The app's latest finished inspection for its public scorecard: version, what goes
    beyond its type's scope, and the SDKs embedded (no file details)."""
    latest = (
        AppInspection.objects.filter(app=app, status=AppInspection.Status.DONE)
        .only("app_id", "inspected_at", "version_name", "version_code", "beyond_scope", "sdks")
        .first()
    )
    return {"inspection": latest}
