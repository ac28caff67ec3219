"""manage.py inspect_apk PATH [--app ID] [--json]."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.inspections import apks

pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.aapt
def test_json_report_with_the_app_type(ride_app, ride_apk):
    out = StringIO()
    call_command("inspect_apk", str(ride_apk), "--app", str(ride_app.pk), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["package"] == "com.yuntu.ride"
    assert report["version_name"] == "3.0"
    assert report["version_code"] == 30
    assert {"name": "android.permission.READ_SMS", "protection_level": "dangerous"}.items() <= next(
        p for p in report["permissions"] if p["name"] == "android.permission.READ_SMS"
    ).items()
    assert sorted((s["name"], s["vendor"]) for s in report["sdks"]) == [
        ("Getui Push", "每日互动股份有限公司"),
        ("Umeng Analytics", "友盟同欣（北京）科技有限公司"),
    ]
    assert all(s["evidence"] for s in report["sdks"])
    assert [b["permission"] for b in report["beyond_scope"]] == [
        "android.permission.READ_CONTACTS",
        "android.permission.READ_SMS",
    ]


@pytest.mark.aapt
def test_text_report_without_an_app(db, ride_apk):
    out = StringIO()
    call_command("inspect_apk", str(ride_apk), stdout=out)
    text = out.getvalue()
    assert "com.yuntu.ride 3.0 (30)" in text
    assert "app type: (not declared)" in text
    assert "Getui Push (每日互动股份有限公司, push): manifest:com.igexin.sdk.PushService" in text


def test_refused_file(db, tmp_path):
    path = tmp_path / "bomb.apk"
    path.write_bytes(apks.zip_bomb(20))
    with pytest.raises(CommandError, match="zip bomb"):
        call_command("inspect_apk", str(path))


def test_unknown_app_and_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="No app with id 999"):
        call_command("inspect_apk", str(tmp_path / "x.apk"), "--app", "999")
    with pytest.raises(CommandError, match="No such file"):
        call_command("inspect_apk", str(tmp_path / "x.apk"))
