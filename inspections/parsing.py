"""Reading an Android package with androguard, only ever in a child process with a memory
limit (RLIMIT_AS) and a time limit, so a hostile package can exhaust neither the worker nor
the web process. `python -m inspections.parsing PATH MEMORY_MB` prints one JSON object of raw
facts; package_parse runs that child and maps its failures to InspectionRefused codes.

The child imports no Django: only the standard library and androguard.
"""

import hashlib
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

from .errors import InspectionRefused

ANDROID = "{http://schemas.android.com/apk/res/android}"
COMPONENT_TAGS = ("activity", "activity-alias", "service", "receiver", "provider")
# Distinct Java packages kept from the dex files; enough for any real app, bounded for a
# hostile one.
MAX_PACKAGES = 50_000
EXIT_UNPARSABLE = 3
EXIT_MEMORY = 4


def _full_name(name: str, package: str) -> str:
    if name.startswith("."):
        return package + name
    return name if "." in name else f"{package}.{name}"


def _components(manifest, package: str) -> list[dict]:
    """Every declared component with whether other apps may start it: `exported` as written,
    else (the default before Android 12) exported when it has an intent filter."""
    found = []
    application = manifest.find("application")
    if application is None:
        return found
    for element in application:
        if element.tag not in COMPONENT_TAGS:
            continue
        name = _full_name(element.get(ANDROID + "name", ""), package)
        written = element.get(ANDROID + "exported")
        exported = written == "true" if written else element.find("intent-filter") is not None
        found.append({"kind": element.tag, "name": name, "exported": exported})
    return found


def _class_packages(apk) -> list[str]:
    from androguard.core.dex import DEX

    packages: set[str] = set()
    for raw in apk.get_all_dex():
        for cls in DEX(raw).get_classes():
            descriptor = cls.get_name()  # "Lcom/umeng/analytics/MobclickAgent;"
            dotted = descriptor[1:-1].replace("/", ".")
            packages.add(dotted.rpartition(".")[0] or dotted)
            # The class itself too: some SDKs are known by a class at the package root.
            packages.add(dotted)
            if len(packages) >= MAX_PACKAGES:
                return sorted(packages)
    return sorted(packages)


def _cert_sha256(apk) -> str:
    try:
        certificates = apk.get_certificates()
    except Exception:  # noqa: BLE001 — a broken signature block is a finding, not a failure
        return ""
    return hashlib.sha256(certificates[0].dump()).hexdigest() if certificates else ""


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def facts_read(path: str) -> dict:
    """The raw facts of one package (runs in the child)."""
    from androguard.core.apk import APK

    apk = APK(path)
    if not apk.is_valid_APK():
        raise ValueError("not an APK")
    package = apk.get_package() or ""
    manifest = apk.get_android_manifest_xml()
    target_sdk = _int(apk.get_target_sdk_version())
    cleartext = apk.get_attribute_value("application", "usesCleartextTraffic")
    components = _components(manifest, package) if manifest is not None else []
    return {
        "package": package,
        "version_name": apk.get_androidversion_name() or "",
        "version_code": _int(apk.get_androidversion_code()),
        "min_sdk": _int(apk.get_min_sdk_version()),
        "target_sdk": target_sdk,
        "debuggable": apk.get_attribute_value("application", "debuggable") == "true",
        # Not written: allowed by default for apps targeting Android 8.1 or older.
        "cleartext": cleartext == "true" if cleartext else (target_sdk or 0) < 28,
        "cert_sha256": _cert_sha256(apk),
        "permissions": sorted(set(apk.get_permissions())),
        "components": components,
        "class_packages": _class_packages(apk),
    }


def _child_main(path: str, memory_mb: int) -> int:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        from loguru import logger

        logger.remove()  # androguard logs every step to stderr
        facts = facts_read(path)
    except MemoryError:
        return EXIT_MEMORY
    except Exception as exc:  # noqa: BLE001 — any parser error means "not a readable APK"
        print(type(exc).__name__, file=sys.stderr)
        return EXIT_UNPARSABLE
    facts["peak_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    json.dump(facts, sys.stdout)
    return 0


def package_parse(path: str | os.PathLike, *, timeout: float, memory_mb: int) -> dict:
    """Run the child on `path`; the facts, or InspectionRefused with the reason."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    try:
        done = subprocess.run(  # noqa: S603 — our interpreter and module; the path is ours
            [sys.executable, "-m", "inspections.parsing", str(path), str(memory_mb)],
            capture_output=True,
            timeout=timeout,
            cwd=root,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise InspectionRefused("timeout") from None
    if done.returncode == EXIT_MEMORY or b"MemoryError" in done.stderr:
        raise InspectionRefused("out_of_memory")
    if done.returncode != 0:
        raise InspectionRefused("unparsable")
    try:
        return json.loads(done.stdout)
    except ValueError:
        raise InspectionRefused("unparsable") from None


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1], int(sys.argv[2])))
