"""Reads: an app's inspections, one inspection's report with labels in the reader's language,
the difference between two inspections of one app, complaints matched to a version, pending
inspection requests, a notice's technical evidence and the SDK ranking."""

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from complaints import workflow
from complaints.errors import DomainError
from complaints.models import App, Case, Complaint

from . import catalogue
from .models import AppInspection, EmbeddedSdk, SdkAttribution


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


# --- verification by version ----------------------------------------------------------------


def _done(app_id: int) -> QuerySet[AppInspection]:
    return AppInspection.objects.filter(app_id=app_id, status=AppInspection.Status.DONE)


def inspection_pair(app: App, from_id: int, to_id: int) -> tuple[AppInspection, AppInspection]:
    """Two finished inspections of `app` by id; DomainError (field "from" or "to") when an id
    names no finished inspection of this app."""
    rows = {row.pk: row for row in _done(app.pk).filter(pk__in=[from_id, to_id])}
    for field, pk in (("from", from_id), ("to", to_id)):
        if pk not in rows:
            raise DomainError(
                _("%(id)s is not a finished inspection of this app.") % {"id": pk}, field=field
            )
    return rows[from_id], rows[to_id]


def verification_comparison(case: Case) -> dict | None:
    """What "verify rectified" compares: the package the operator sent with its latest report
    (or else the newest finished inspection on the case) against the app's finished inspection
    before it. None until both exist."""
    on_case = list(_done(case.app_id).filter(case=case).select_related("response")[:50])
    if not on_case:
        return None
    newer = next((row for row in on_case if row.response_id), on_case[0])
    older = (
        _done(case.app_id).filter(uploaded_at__lt=newer.uploaded_at).exclude(pk=newer.pk).first()
    )
    if older is None:
        return None
    return {"older": older, "newer": newer, **inspections_compare(older, newer)}


def _version_key(text: str) -> str:
    text = (text or "").strip().lower()
    return text[1:] if text.startswith("v") else text


def _versions_inspected(app_id: int) -> dict[str, AppInspection]:
    """The app's finished inspections by version key (name and code), the newest kept."""
    index: dict[str, AppInspection] = {}
    rows = _done(app_id).only("pk", "app_id", "version_name", "version_code", "uploaded_at")
    for row in rows:
        for key in (_version_key(row.version_name), str(row.version_code)):
            if key and key != "none":
                index.setdefault(key, row)
    return index


def version_inspection(app_id: int | None, app_version: str) -> AppInspection | None:
    """The app's newest finished inspection whose version name or code is the version a
    complaint names ("v3.0", "3.0" and "30" for version 3.0, code 30)."""
    key = _version_key(app_version)
    if not key or app_id is None:
        return None
    return _versions_inspected(app_id).get(key)


def case_versions(case: Case) -> list[dict]:
    """The app versions the case's complaints name, each with its count and the inspection of
    that version if there is one; complaints that name no version are left out."""
    counts: dict[str, int] = {}
    for version in case.complaints.exclude(app_version="").values_list("app_version", flat=True):
        counts[version.strip()] = counts.get(version.strip(), 0) + 1
    if not counts:
        return []
    index = _versions_inspected(case.app_id)
    return [
        {"version": version, "count": count, "inspection": index.get(_version_key(version))}
        for version, count in sorted(counts.items())
    ]


# --- requests, notices, attribution --------------------------------------------------------


def inspection_requests_pending() -> QuerySet[Case]:
    """Cases a trigger rule asked an inspection for, still without a package attached to the
    case since the request, oldest request first (cases that ended are left out)."""
    answered = AppInspection.objects.filter(
        case=OuterRef("pk"), uploaded_at__gte=OuterRef("inspection_requested_at")
    )
    return (
        Case.objects.filter(inspection_requested_at__isnull=False)
        .exclude(status__in=workflow.CASE_ENDED)
        .exclude(Exists(answered))
        .select_related("app")
        .order_by("inspection_requested_at", "pk")
    )


def case_request_pending(case: Case) -> bool:
    return bool(
        case.inspection_requested_at
        and not AppInspection.objects.filter(
            case=case, uploaded_at__gte=case.inspection_requested_at
        ).exists()
    )


def notice_inspections(notice) -> list[AppInspection]:
    """The finished inspections on the notice's case uploaded before it was issued: the
    technical evidence the notice rests on, oldest first."""
    return list(
        _done(notice.case.app_id)
        .filter(case_id=notice.case_id, uploaded_at__lte=notice.issued_at)
        .order_by("uploaded_at", "pk")
    )


def sdk_choices(app: App) -> list[dict]:
    """The SDKs finished inspections of the app found (newest inspection first, each once),
    for attributing a case or complaint to one."""
    seen: dict[str, dict] = {}
    for inspection in _done(app.pk).only("sdks", "app_id", "uploaded_at"):
        for sdk in inspection.sdks:
            seen.setdefault(
                sdk["id"], {"id": sdk["id"], "name": sdk["name"], "vendor": sdk["vendor"]}
            )
    return sorted(seen.values(), key=lambda sdk: sdk["name"])


def sdk_ranking(limit: int = 20) -> list[dict]:
    """SDKs by complaints attributed to them (a complaint attributed itself, or else on a case
    that is), then by apps whose newest finished inspection embeds them. Three grouped
    queries, whatever the number of apps and inspections."""
    counts: dict[str, dict] = {}
    names: dict[str, tuple[str, str]] = {
        sdk["id"]: (sdk["name"], sdk["vendor"]) for sdk in catalogue.sdks()
    }

    def add(sdk_id: str, key: str, n: int) -> None:
        row = counts.setdefault(sdk_id, {"complaints": 0, "apps": 0})
        row[key] += n

    direct = (
        SdkAttribution.objects.filter(complaint__isnull=False)
        .values("sdk_id", "sdk_name", "vendor")
        .annotate(n=Count("pk"))
    )
    for row in direct:
        names.setdefault(row["sdk_id"], (row["sdk_name"], row["vendor"]))
        add(row["sdk_id"], "complaints", row["n"])
    through_case = (
        Complaint.objects.filter(case__sdk_attribution__isnull=False, sdk_attribution__isnull=True)
        .values("case__sdk_attribution__sdk_id", "case__sdk_attribution__sdk_name")
        .annotate(n=Count("pk"))
    )
    for row in through_case:
        sdk_id = row["case__sdk_attribution__sdk_id"]
        names.setdefault(sdk_id, (row["case__sdk_attribution__sdk_name"], ""))
        add(sdk_id, "complaints", row["n"])
    for row in EmbeddedSdk.objects.values("sdk_id").annotate(n=Count("app_id")):
        add(row["sdk_id"], "apps", row["n"])
    ranked = [
        {
            "id": sdk_id,
            "name": names.get(sdk_id, (sdk_id, ""))[0],
            "vendor": names.get(sdk_id, (sdk_id, ""))[1],
            **row,
        }
        for sdk_id, row in counts.items()
    ]
    ranked.sort(key=lambda entry: (-entry["complaints"], -entry["apps"], entry["name"]))
    return ranked[:limit]


def operator_packages(case: Case) -> QuerySet[AppInspection]:
    """The packages the operator sent on this case (the operator sees their own results)."""
    return AppInspection.objects.filter(
        case=case, uploaded_by__memberships__company_id=case.app.operator_id
    ).select_related("response")
