"""Writes: a regulator uploads a package (checked, stored outside the web root, queued), the
worker inspects it, and a failure marks only the inspection."""

import hashlib
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.errors import DomainError
from complaints.models import App, Case, Event
from complaints.services.enqueue import enqueue_on_commit
from complaints.services.events import event_record
from complaints.services.guards import require_regulator

from .archive import Limits, archive_check
from .errors import InspectionRefused
from .models import AppInspection
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


def inspection_upload(*, app: App, actor, upload, case: Case | None = None) -> AppInspection:
    """Queue an inspection of `upload` for `app`. A file that is too large, not a zip, a zip
    bomb, or not an Android package is refused here (DomainError on field "apk") and nothing
    is stored."""
    require_regulator(actor)
    if case is not None and case.app_id != app.pk:
        raise DomainError(_("This case is about another app."), field="case")
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
    with transaction.atomic():
        inspection = AppInspection.objects.create(
            app=app,
            case=case,
            uploaded_by=actor,
            uploaded_at=timezone.now(),
            stored_name=name,
            file_sha256=sha256,
            file_size=size,
        )
        if case is not None:
            event_record(
                actor=actor,
                kind=Event.Kind.EVIDENCE,
                case=case,
                reason=_("App package uploaded for inspection."),
                data={"inspection": inspection.pk, "sha256": sha256},
                public=False,
            )
        enqueue_on_commit(RUN_TASK, inspection.pk, what=f"inspection {inspection.pk}")
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
    inspection.save()
    return inspection
