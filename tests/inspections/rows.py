"""Inspection rows written directly, for reads (comparison, versions, ranking) that need the
report's data but no real package (the packages themselves are tested with aapt builds)."""

from django.utils import timezone

from inspections import catalogue
from inspections.models import AppInspection
from inspections.services import embedded_sdks_refresh


def found(app, *sdks, version="3.0", **fields) -> AppInspection:
    """An inspection row (finished unless `status` says otherwise) that found `sdks` (ids
    from sdks.json), for reads that need no real package."""
    table = {sdk["id"]: sdk for sdk in catalogue.sdks()}
    row = {
        "status": AppInspection.Status.DONE,
        "uploaded_at": timezone.now(),
        "stored_name": f"{version}.apk",
        "file_sha256": "0" * 64,
        "file_size": 1,
        "version_name": version,
        "sdks": [
            {
                **{key: table[i][key] for key in ("id", "name", "vendor", "category")},
                "personal_data": table[i]["personal_data"],
                "evidence": [f"dex:{table[i]['prefixes'][0]}"],
            }
            for i in sdks
        ],
    }
    inspection = AppInspection.objects.create(app=app, **{**row, **fields})
    embedded_sdks_refresh(app_id=app.pk)  # as the worker does when an inspection finishes
    return inspection
