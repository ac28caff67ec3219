"""Writes: a regulator uploads a package, or the operator sends one with its rectification
report (checked, stored outside the web root, queued); the worker inspects it, and a failure
marks only the inspection. A regulator attributes a case or a complaint to an SDK the app
embeds."""

import hashlib
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import workflow
from complaints.errors import DomainError
from complaints.models import App, Case, Complaint, Event, OperatorResponse
from complaints.models.event_messages import message
from complaints.services.enqueue import enqueue_on_commit
from complaints.services.events import event_record
from complaints.services.guards import require_case_operator, require_regulator

from .archive import Limits, archive_check
from .errors import InspectionRefused
from .models import AppInspection, EmbeddedSdk, SdkAttribution
from .reports import package_report

RUN_TASK = "inspections.tasks.inspection_run"
REPORT_FIELDS = (
    "package",
    "version_name",
    "version_code",
    "cert_sha256",
    "min_sdk",
    "target_sdk",
    "debuggable",
    "cleartext",
    "app_type",
    "permissions",
    "exported_components",
    "sdks",
    "beyond_scope",
)


def stored_path(inspection: AppInspection) -> Path:
    return Path(settings.INSPECTION_DIR) / inspection.stored_name


def _store(upload) -> tuple[str, str, int]:
    """Copy the upload under INSPECTION_DIR; its stored name, SHA-256 and size. The name is
    ours (the hash), never the uploader's."""
    directory = Path(settings.INSPECTION_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    partial = directory / f"upload-{uuid.uuid4().hex}.part"
    digest = hashlib.sha256()
    size = 0
    with open(partial, "wb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    name = f"{digest.hexdigest()}.apk"
    os.replace(partial, directory / name)
    return name, digest.hexdigest(), size


def _package_accept(upload) -> tuple[str, str, int]:
    """Store `upload` once it passes the checks that need no parsing; its stored name, SHA-256
    and size. A file that is too large, not a zip, a zip bomb, or not an Android package is
    refused (DomainError on field "apk") and nothing is kept."""
    if upload.size > settings.INSPECTION_MAX_BYTES:
        raise DomainError(str(InspectionRefused("too_large").message), field="apk")
    name, sha256, size = _store(upload)
    path = Path(settings.INSPECTION_DIR) / name
    try:
        archive_check(path, Limits.from_settings())
    except InspectionRefused as refused:
        if not AppInspection.objects.filter(stored_name=name).exists():
            path.unlink(missing_ok=True)
        raise DomainError(refused.message, field="apk") from None
    return name, sha256, size


def _inspection_queue(
    *, app: App, actor, stored: tuple[str, str, int], case=None, response=None
) -> AppInspection:
    name, sha256, size = stored
    inspection = AppInspection.objects.create(
        app=app,
        case=case,
        response=response,
        uploaded_by=actor,
        uploaded_at=timezone.now(),
        stored_name=name,
        file_sha256=sha256,
        file_size=size,
    )
    enqueue_on_commit(RUN_TASK, inspection.pk, what=f"inspection {inspection.pk}")
    return inspection


def inspection_upload(*, app: App, actor, upload, case: Case | None = None) -> AppInspection:
    """A regulator queues an inspection of `upload` for `app`, as evidence on `case` if given.
    A refused file raises DomainError on field "apk" and nothing is stored."""
    require_regulator(actor)
    if case is not None and case.app_id != app.pk:
        raise DomainError(_("This case is about another app."), field="case")
    stored = _package_accept(upload)
    with transaction.atomic():
        inspection = _inspection_queue(app=app, actor=actor, stored=stored, case=case)
        if case is not None:
            event_record(
                actor=actor,
                kind=Event.Kind.EVIDENCE,
                case=case,
                message=message("package_uploaded"),
                data={"inspection": inspection.pk, "sha256": stored[1]},
                public=False,
            )
    return inspection


def package_submit(*, case: Case, actor, upload) -> AppInspection:
    """The operator sends the app's package: attached to its latest rectification report when
    one awaits verification, and to the case (answering a trigger rule's request). A refused
    file raises DomainError on field "apk"; nothing is stored and the case is unchanged."""
    require_case_operator(actor, case)
    if not workflow.can_submit_package(case):
        raise DomainError(
            _("Send the app's package with your rectification report: submit the report first."),
            field="apk",
        )
    stored = _package_accept(upload)
    with transaction.atomic():
        report = None
        if workflow.package_goes_with_report(case):
            report = (
                OperatorResponse.objects.filter(
                    case=case, kind=OperatorResponse.Kind.RECTIFICATION_REPORT
                )
                .order_by("-created_at", "-id")
                .first()
            )
        inspection = _inspection_queue(
            app=case.app, actor=actor, stored=stored, case=case, response=report
        )
        event_record(
            actor=actor,
            kind=Event.Kind.EVIDENCE,
            case=case,
            message=message("package_submitted" if report else "package_sent_on_request"),
            data={
                "inspection": inspection.pk,
                "sha256": stored[1],
                "response_id": report.pk if report else None,
            },
            public=False,
        )
    return inspection


def inspection_fail(*, inspection: AppInspection, code: str) -> None:
    inspection.status = AppInspection.Status.FAILED
    inspection.error_code = code
    inspection.inspected_at = timezone.now()
    inspection.save(update_fields=["status", "error_code", "inspected_at"])


def inspection_run(*, inspection_id: int) -> AppInspection | None:
    """Inspect a queued package (in the worker). Safe to run twice: only a queued row runs."""
    inspection = AppInspection.objects.select_related("app").filter(pk=inspection_id).first()
    if inspection is None or inspection.status != AppInspection.Status.QUEUED:
        return inspection
    path = stored_path(inspection)
    if not path.exists():
        inspection_fail(inspection=inspection, code="missing_file")
        return inspection
    try:
        report = package_report(path, app_type=inspection.app.app_type)
    except InspectionRefused as refused:
        inspection_fail(inspection=inspection, code=refused.code)
        return inspection
    for field in REPORT_FIELDS:
        setattr(inspection, field, report[field])
    inspection.status = AppInspection.Status.DONE
    inspection.error_code = ""
    inspection.inspected_at = timezone.now()
    with transaction.atomic():
        inspection.save()
        embedded_sdks_refresh(app_id=inspection.app_id)
    return inspection


def embedded_sdks_refresh(*, app_id: int) -> None:
    """Rewrite the app's EmbeddedSdk rows from its newest finished inspection (by upload
    time: an older package that finishes later does not displace a newer one)."""
    # Two workers finishing packages of one app take turns here, so the rows never mix.
    App.objects.select_for_update().filter(pk=app_id).first()
    latest = (
        AppInspection.objects.filter(app_id=app_id, status=AppInspection.Status.DONE)
        .order_by("-uploaded_at", "-id")
        .only("pk", "sdks")
        .first()
    )
    EmbeddedSdk.objects.filter(app_id=app_id).delete()
    if latest is not None:
        ids = sorted({sdk["id"] for sdk in latest.sdks})
        EmbeddedSdk.objects.bulk_create(
            EmbeddedSdk(app_id=app_id, inspection=latest, sdk_id=sdk_id) for sdk_id in ids
        )


def _inspection_with_sdk(app: App, sdk_id: str) -> tuple[AppInspection, dict] | None:
    """The app's newest finished inspection that found `sdk_id`, with the SDK's entry."""
    done = AppInspection.objects.filter(app=app, status=AppInspection.Status.DONE)
    for inspection in done.only("sdks", "app_id", "uploaded_at"):
        for sdk in inspection.sdks:
            if sdk["id"] == sdk_id:
                return inspection, sdk
    return None


@transaction.atomic
def sdk_attribute(
    *, actor, sdk_id: str, case: Case | None = None, complaint: Complaint | None = None
) -> SdkAttribution | None:
    """Attribute a case or a complaint (exactly one) to an SDK an inspection of its app found,
    instead of the host app; an empty `sdk_id` gives it back to the host app (None)."""
    require_regulator(actor)
    if (case is None) == (complaint is None):
        raise ValueError("attribute a case or a complaint")
    target = {"case": case} if case is not None else {"complaint": complaint}
    app = (case or complaint).app
    existing = SdkAttribution.objects.select_for_update().filter(**target).first()
    sdk_id = (sdk_id or "").strip()
    if not sdk_id:
        if existing is None:
            return None
        existing.delete()
        event_record(
            actor=actor,
            kind=Event.Kind.NOTE,
            **target,
            message=message("sdk_attribution_cleared"),
            data={"sdk": ""},
            public=False,
        )
        return None
    found = _inspection_with_sdk(app, sdk_id) if app is not None else None
    if found is None:
        raise DomainError(
            _("Choose an SDK that an inspection of this app found in its package."), field="sdk"
        )
    inspection, sdk = found
    if existing is not None and existing.sdk_id == sdk_id:
        return existing
    attribution, _created = SdkAttribution.objects.update_or_create(
        **target,
        defaults={
            "inspection": inspection,
            "sdk_id": sdk_id,
            "sdk_name": sdk["name"],
            "vendor": sdk["vendor"],
            "attributed_by": actor,
            "attributed_at": timezone.now(),
        },
    )
    event_record(
        actor=actor,
        kind=Event.Kind.NOTE,
        **target,
        message=message("sdk_attributed", sdk=sdk["name"], vendor=sdk["vendor"]),
        data={"sdk": sdk_id, "inspection": inspection.pk},
        public=False,
    )
    return attribution
