"""The data tables and the necessary-scope verdicts, with expectations written out by hand."""

import pytest
from django.utils import translation

from complaints.models import App
from inspections import catalogue
from inspections.reports import report_build

P = "android.permission."


@pytest.mark.parametrize(
    ("app_type", "permission", "verdict"),
    [
        ("ride_hailing", "ACCESS_FINE_LOCATION", "necessary"),
        ("ride_hailing", "CALL_PHONE", "optional"),
        ("ride_hailing", "READ_CONTACTS", "beyond_scope"),
        ("ride_hailing", "READ_SMS", "beyond_scope"),
        ("maps_navigation", "ACCESS_COARSE_LOCATION", "necessary"),
        ("food_delivery", "ACCESS_FINE_LOCATION", "optional"),
        ("online_shopping", "CAMERA", "optional"),
        ("online_shopping", "READ_CALL_LOG", "beyond_scope"),
        ("online_shopping", "READ_PHONE_STATE", "beyond_scope"),
        ("instant_messaging", "READ_CONTACTS", "optional"),
        ("news", "ACCESS_FINE_LOCATION", "optional"),
        ("news", "RECORD_AUDIO", "beyond_scope"),
        ("browser", "INTERNET", "not_personal"),
        ("ride_hailing", "POST_NOTIFICATIONS", "not_personal"),
        ("", "READ_CONTACTS", "type_not_declared"),
        ("ride_hailing", "com.vendor.permission.CUSTOM", "not_personal"),
    ],
)
def test_scope(app_type, permission, verdict):
    name = permission if "." in permission else P + permission
    assert catalogue.permission_scope(name, app_type) == verdict


def test_every_declared_app_type_has_a_row_and_back():
    assert set(App.AppType.values) == set(catalogue.app_types())


def test_every_personal_information_kind_is_defined():
    known = set(catalogue.pi_types())
    used = {pi for facts in catalogue.permissions().values() for pi in facts["pi"]}
    used |= {pi for sdk in catalogue.sdks() for pi in sdk["personal_data"]}
    for row in catalogue.app_types().values():
        used |= set(row["necessary"]) | set(row["optional"])
    assert used <= known, used - known


def test_sdk_table():
    sdks = catalogue.sdks()
    assert len(sdks) >= 25
    assert len({sdk["id"] for sdk in sdks}) == len(sdks)
    prefixes = [prefix for sdk in sdks for prefix in sdk["prefixes"]]
    assert len(set(prefixes)) == len(prefixes)
    assert {sdk["category"] for sdk in sdks} == set(catalogue.sdk_categories())
    assert all(sdk["vendor"] and sdk["personal_data"] for sdk in sdks)


def test_every_dangerous_permission_is_explained_in_both_languages():
    for name, facts in catalogue.permissions().items():
        if facts["protection_level"] == "dangerous":
            assert facts["en"] and facts["zh"], name


def test_sdk_prefix_matches_whole_segments_only():
    found = catalogue.sdks_detect(["com.umengx.tool", "com.umeng.analyticsextra"], [])
    assert found == []
    found = catalogue.sdks_detect(
        ["com.umeng.analytics.pro"], ["cn.jpush.android.service.PushService"]
    )
    assert [(s["id"], s["evidence"]) for s in found] == [
        ("umeng_analytics", ["dex:com.umeng.analytics.pro"]),
        ("jpush", ["manifest:cn.jpush.android.service.PushService"]),
    ]


def test_explanation_follows_the_reader_language():
    with translation.override("zh-hans"):
        assert (
            catalogue.permission_explanation(P + "READ_SMS") == "读取设备上的所有短信，包括验证码。"
        )
    with translation.override("en"):
        assert catalogue.permission_explanation(P + "READ_SMS").startswith(
            "Reads every text message"
        )
    assert catalogue.permission_explanation(P + "INTERNET") == ""


def test_report_lists_beyond_scope_and_levels():
    facts = {
        "package": "com.yuntu.ride", "version_name": "1", "version_code": 1, "min_sdk": 21,
        "target_sdk": 30, "debuggable": False, "cleartext": False, "cert_sha256": "",
        "permissions": [P + "ACCESS_FINE_LOCATION", P + "READ_CONTACTS", P + "INTERNET"],
        "components": [{"kind": "service", "name": "com.igexin.sdk.PushService", "exported": True},
                       {"kind": "activity", "name": "com.yuntu.ride.Main", "exported": False}],
        "class_packages": ["com.baidu.location"],
    }  # fmt: skip
    report = report_build(facts, app_type="ride_hailing")
    assert [(p["name"], p["protection_level"], p["scope"]) for p in report["permissions"]] == [
        (P + "ACCESS_FINE_LOCATION", "dangerous", "necessary"),
        (P + "READ_CONTACTS", "dangerous", "beyond_scope"),
        (P + "INTERNET", "normal", "not_personal"),
    ]
    assert report["beyond_scope"] == [{"permission": P + "READ_CONTACTS", "pi": ["contacts"]}]
    assert [s["id"] for s in report["sdks"]] == ["getui", "baidu_location"]
    assert report["exported_components"] == [
        {"kind": "service", "name": "com.igexin.sdk.PushService", "exported": True}
    ]
