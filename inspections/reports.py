"""From a package's raw facts (parsing.py) to the stored report: protection levels, SDKs found,
and the necessary-scope verdict for the app's declared type."""

from . import catalogue


def report_build(facts: dict, *, app_type: str) -> dict:
    permissions = []
    beyond_scope = []
    for name in facts["permissions"]:
        level = catalogue.permission_protection_level(name)
        scope = catalogue.permission_scope(name, app_type)
        pi = catalogue.permissions().get(name, {}).get("pi", [])
        permissions.append(
            {
                "name": name,
                "protection_level": level,
                "pi": pi,
                "scope": scope,
                # The key of the zh-Hans/English explanation in permissions.json.
                "explanation_key": name if catalogue.permission_explanation(name) else "",
            }
        )
        if scope == catalogue.BEYOND_SCOPE:
            beyond_scope.append({"permission": name, "pi": pi})
    components = facts.get("components", [])
    return {
        "package": facts["package"],
        "version_name": facts["version_name"],
        "version_code": facts["version_code"],
        "min_sdk": facts["min_sdk"],
        "target_sdk": facts["target_sdk"],
        "debuggable": facts["debuggable"],
        "cleartext": facts["cleartext"],
        "cert_sha256": facts["cert_sha256"],
        "app_type": app_type,
        "permissions": permissions,
        "exported_components": [c for c in components if c["exported"]],
        "sdks": catalogue.sdks_detect(
            facts.get("class_packages", []), [c["name"] for c in components]
        ),
        "beyond_scope": beyond_scope,
    }


def package_report(path, *, app_type: str) -> dict:
    """Check, parse (in a limited child process) and report on one package file; raises
    InspectionRefused with the reason when the file is refused or cannot be read."""
    from django.conf import settings

    from .archive import Limits, archive_check
    from .parsing import package_parse

    archive_check(path, Limits.from_settings())
    facts = package_parse(
        path,
        timeout=settings.INSPECTION_TIME_LIMIT_SECONDS,
        memory_mb=settings.INSPECTION_MEMORY_LIMIT_MB,
    )
    report = report_build(facts, app_type=app_type)
    report["peak_rss_kb"] = facts.get("peak_rss_kb")
    return report
