"""Reading real packages built with aapt and smali, in the limited child process."""

import pytest

from inspections.errors import InspectionRefused
from inspections.parsing import package_parse
from tests.inspections import apks

pytestmark = pytest.mark.aapt

FINE = "android.permission.ACCESS_FINE_LOCATION"
CONTACTS = "android.permission.READ_CONTACTS"


def test_manifest_facts(tmp_path):
    path = apks.build_apk(
        tmp_path,
        package="com.yuntu.ride",
        version_code=42,
        version_name="3.1.4",
        permissions=(FINE, CONTACTS, "android.permission.INTERNET"),
        components=(
            ("activity", ".Main", False),
            ("service", "com.igexin.sdk.PushService", True),
            ("receiver", "com.yuntu.ride.Boot", None),
            ("activity", "com.yuntu.ride.Deeplink", "intent"),
        ),
        debuggable=True,
        cleartext=True,
    )
    facts = package_parse(path, timeout=60, memory_mb=1024)
    assert facts["package"] == "com.yuntu.ride"
    assert facts["version_code"] == 42
    assert facts["version_name"] == "3.1.4"
    assert (facts["min_sdk"], facts["target_sdk"]) == (21, 30)
    assert facts["debuggable"] is True
    assert facts["cleartext"] is True
    assert facts["permissions"] == [FINE, "android.permission.INTERNET", CONTACTS]
    assert facts["components"] == [
        {"kind": "activity", "name": "com.yuntu.ride.Main", "exported": False},
        {"kind": "service", "name": "com.igexin.sdk.PushService", "exported": True},
        {"kind": "receiver", "name": "com.yuntu.ride.Boot", "exported": False},
        # Not written, with an intent filter: exported (the default before Android 12).
        {"kind": "activity", "name": "com.yuntu.ride.Deeplink", "exported": True},
    ]
    assert facts["cert_sha256"] == ""  # aapt does not sign


def test_flags_off_by_default(tmp_path):
    path = apks.build_apk(tmp_path, cleartext=False)
    facts = package_parse(path, timeout=60, memory_mb=1024)
    assert facts["debuggable"] is False
    assert facts["cleartext"] is False


def test_dex_class_names(tmp_path):
    path = apks.build_apk(
        tmp_path, classes=("com.umeng.analytics.MobclickAgent", "com.example.app.Main")
    )
    facts = package_parse(path, timeout=60, memory_mb=1024)
    assert "com.umeng.analytics" in facts["class_packages"]
    assert "com.example.app.Main" in facts["class_packages"]


def test_zip_with_garbage_manifest_is_unparsable(tmp_path):
    path = tmp_path / "fake.apk"
    path.write_bytes(apks.zip_bytes({"AndroidManifest.xml": b"\x03\x00garbage" * 50}))
    with pytest.raises(InspectionRefused) as refused:
        package_parse(path, timeout=60, memory_mb=1024)
    assert refused.value.code == "unparsable"


def test_time_limit(tmp_path):
    path = apks.build_apk(tmp_path)
    with pytest.raises(InspectionRefused) as refused:
        package_parse(path, timeout=0.05, memory_mb=1024)
    assert refused.value.code == "timeout"


def test_memory_limit(tmp_path):
    # The interpreter alone needs more address space than 40 MB once androguard is imported.
    path = apks.build_apk(tmp_path)
    with pytest.raises(InspectionRefused) as refused:
        package_parse(path, timeout=60, memory_mb=40)
    assert refused.value.code == "out_of_memory"
