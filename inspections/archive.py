"""Checks on an uploaded package before anything parses it: size, zip directory (entry count,
declared unpacked size and compression ratio, names that climb out, encryption) and the
presence of a manifest. Reads only the zip's central directory; nothing is unpacked."""

import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from .errors import InspectionRefused


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_entries: int
    max_uncompressed_bytes: int
    max_ratio: int

    @classmethod
    def from_settings(cls) -> "Limits":
        from django.conf import settings

        return cls(
            max_bytes=settings.INSPECTION_MAX_BYTES,
            max_entries=settings.INSPECTION_MAX_ENTRIES,
            max_uncompressed_bytes=settings.INSPECTION_MAX_UNCOMPRESSED_BYTES,
            max_ratio=settings.INSPECTION_MAX_RATIO,
        )


def _unsafe(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts or (len(name) > 1 and name[1] == ":")


def archive_check(path: str | os.PathLike, limits: Limits) -> None:
    """Raise InspectionRefused unless the file looks like a package that is safe to parse."""
    size = os.path.getsize(path)
    if size == 0:
        raise InspectionRefused("empty")
    if size > limits.max_bytes:
        raise InspectionRefused("too_large")
    if not zipfile.is_zipfile(path):
        raise InspectionRefused("not_zip")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise InspectionRefused("not_zip") from None
    if len(entries) > limits.max_entries:
        raise InspectionRefused("too_many_entries")
    unpacked = 0
    for entry in entries:
        if _unsafe(entry.filename) or stat.S_ISLNK(entry.external_attr >> 16):
            raise InspectionRefused("unsafe_name")
        if entry.flag_bits & 0x1:
            raise InspectionRefused("encrypted")
        unpacked += entry.file_size
        # A single entry that inflates a hundredfold is a bomb whatever the total says.
        if entry.file_size > 1024 * 1024 and entry.file_size > limits.max_ratio * max(
            entry.compress_size, 1
        ):
            raise InspectionRefused("zip_bomb")
    if unpacked > limits.max_uncompressed_bytes or unpacked > limits.max_ratio * size:
        raise InspectionRefused("zip_bomb")
    if not any(entry.filename == "AndroidManifest.xml" for entry in entries):
        raise InspectionRefused("no_manifest")
