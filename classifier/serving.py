"""The active model in this process: loaded once, reloaded when the active version changes.

Which version is active is checked against the database at most every
CLASSIFIER_ACTIVE_CHECK_SECONDS, with a query that reads one id, so a worker picks up a newly
activated version within seconds without paying a query per prediction.
"""

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from .models import ModelVersion
from .pipeline import ArtifactError, LabelModel

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServedModel:
    version_id: int
    version: str
    model: LabelModel


_lock = threading.Lock()
_served: ServedModel | None = None
_checked_at = float("-inf")


def artifact_load(version: ModelVersion) -> LabelModel:
    """The version's model, from the local file when it matches the registry's checksum,
    else from the database (then cached to the file). Nothing else is ever loaded."""
    path = Path(version.artifact_path) if version.artifact_path else None
    data = None
    if path is not None and path.is_file():
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != version.artifact_sha256:
            data = None
    if data is None:
        blob = ModelVersion.objects.filter(pk=version.pk).values_list("artifact", flat=True).first()
        if blob is None:
            raise ArtifactError(f"model version {version.version} has no artifact")
        data = bytes(blob)
        if hashlib.sha256(data).hexdigest() != version.artifact_sha256:
            raise ArtifactError(
                f"model version {version.version}: artifact does not match its checksum"
            )
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            except OSError:
                logger.warning("Could not cache artifact of %s at %s", version.version, path)
    return LabelModel.loads(data)


def active_model(
    *, expected_version_id: int | None = None, refresh: bool = False
) -> ServedModel | None:
    """The active version's model, or None when no version is active.

    `expected_version_id` (a version the caller knows was just activated) skips the
    few-seconds grace and checks the database at once when it differs from ours; `refresh`
    always checks.
    """
    global _served, _checked_at
    now = time.monotonic()
    served = _served
    fresh = now - _checked_at < settings.CLASSIFIER_ACTIVE_CHECK_SECONDS
    # "Nothing active" is not trusted for the grace period: a version activated since (the
    # first one, say, while a worker that started without one waits) serves at once.
    if (
        not refresh
        and fresh
        and served is not None
        and (expected_version_id is None or served.version_id == expected_version_id)
    ):
        return served
    with _lock:
        active_id = (
            ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE)
            .values_list("pk", flat=True)
            .first()
        )
        if active_id is None:
            _served = None
        elif _served is None or _served.version_id != active_id:
            version = ModelVersion.objects.defer("artifact").get(pk=active_id)
            started = time.perf_counter()
            _served = ServedModel(
                version_id=version.pk, version=version.version, model=artifact_load(version)
            )
            logger.info(
                "Loaded classifier %s in %.1fs", version.version, time.perf_counter() - started
            )
        _checked_at = time.monotonic()
        return _served


def served_model_forget() -> None:
    """Drop the loaded model (tests, and after deleting versions)."""
    global _served, _checked_at
    with _lock:
        _served = None
        _checked_at = float("-inf")
