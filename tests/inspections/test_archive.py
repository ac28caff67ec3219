"""The checks before any parsing: hostile files are refused from the zip directory alone."""

import random
import zipfile

import pytest

from inspections.archive import Limits, archive_check
from inspections.errors import InspectionRefused
from tests.inspections import apks

LIMITS = Limits(
    max_bytes=5 * 1024 * 1024,
    max_entries=50,
    max_uncompressed_bytes=20 * 1024 * 1024,
    max_ratio=100,
)


def _refusal(tmp_path, data: bytes, limits: Limits = LIMITS) -> str | None:
    path = tmp_path / "upload.apk"
    path.write_bytes(data)
    try:
        archive_check(path, limits)
    except InspectionRefused as refused:
        return refused.code
    return None


def test_plain_text_is_not_a_zip(tmp_path):
    assert _refusal(tmp_path, b"#!/bin/sh\nrm -rf /\n") == "not_zip"


def test_corrupt_zip_is_not_a_zip(tmp_path):
    assert _refusal(tmp_path, apks.corrupt_zip()) == "not_zip"


def test_empty_file(tmp_path):
    assert _refusal(tmp_path, b"") == "empty"


def test_zip_bomb_refused_before_unpacking(tmp_path):
    # 50 MB of zeros deflates to ~50 KB: far above the 100x ratio.
    assert _refusal(tmp_path, apks.zip_bomb(50)) == "zip_bomb"


def test_total_unpacked_size_over_the_limit(tmp_path):
    small = Limits(**{**LIMITS.__dict__, "max_uncompressed_bytes": 1000})
    data = apks.zip_bytes({"AndroidManifest.xml": b"m" * 600, "b": b"y" * 600})
    assert _refusal(tmp_path, data, small) == "zip_bomb"


def test_path_traversal_name(tmp_path):
    assert _refusal(tmp_path, apks.traversal_zip()) == "unsafe_name"


@pytest.mark.parametrize("name", ["/etc/passwd", "C:/Windows/x", "a/../../b", "..\\..\\b"])
def test_other_escaping_names(tmp_path, name):
    data = apks.zip_bytes({"AndroidManifest.xml": b"x", name: b"x"})
    assert _refusal(tmp_path, data) == "unsafe_name"


def test_too_many_entries(tmp_path):
    data = apks.zip_bytes({f"f{i}": b"" for i in range(51)})
    assert _refusal(tmp_path, data) == "too_many_entries"


def test_too_large(tmp_path):
    small = Limits(**{**LIMITS.__dict__, "max_bytes": 100})
    assert _refusal(tmp_path, apks.not_an_apk_zip() + b"\0" * 200, small) == "too_large"


def test_zip_without_manifest_is_not_an_apk(tmp_path):
    assert _refusal(tmp_path, apks.not_an_apk_zip()) == "no_manifest"


@pytest.mark.aapt
def test_real_apk_passes(tmp_path):
    path = apks.build_apk(tmp_path, permissions=("android.permission.CAMERA",))
    archive_check(path, LIMITS)


def test_one_bomb_entry_hidden_among_incompressible_data(tmp_path):
    """The whole archive's ratio looks ordinary (about 50x); one entry inflates a thousandfold."""
    roomy = Limits(
        **{**LIMITS.__dict__, "max_bytes": 100 * 1024 * 1024, "max_uncompressed_bytes": 1024**3}
    )
    data = apks.zip_bytes(
        {"AndroidManifest.xml": b"x", "assets/bomb.bin": b"\0" * (50 * 1024 * 1024)}
    )
    path = tmp_path / "mixed.apk"
    path.write_bytes(data)
    noise = random.Random(17).randbytes(1024 * 1024)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("assets/noise.bin", noise)
    with pytest.raises(InspectionRefused) as refused:
        archive_check(path, roomy)
    assert refused.value.code == "zip_bomb"
