"""Real Android packages for the tests, built with Debian's aapt against android-framework-res
(manifest) and smali (a dex with chosen class names), plus hostile files: a corrupt zip, a zip
bomb, a zip that climbs out of its directory, a zip that is not an APK."""

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

FRAMEWORK = Path("/usr/share/android-framework-res/framework-res.apk")


def tools_missing() -> str | None:
    if not shutil.which("aapt"):
        return "needs aapt: make test-setup (apt-get install aapt)"
    if not FRAMEWORK.exists():
        return "needs android-framework-res: make test-setup"
    if not shutil.which("smali"):
        return "needs smali: make test-setup (apt-get install libsmali-java)"
    return None


def _manifest(package, version_code, version_name, permissions, components, debuggable, cleartext):
    uses = "\n".join(f'  <uses-permission android:name="{name}"/>' for name in permissions)
    parts = []
    for kind, name, exported in components:
        if exported == "intent":  # no exported attribute, an intent filter
            parts.append(
                f'    <{kind} android:name="{name}"><intent-filter>'
                f'<action android:name="android.intent.action.VIEW"/></intent-filter></{kind}>'
            )
            continue
        written = "" if exported is None else f' android:exported="{str(exported).lower()}"'
        parts.append(f'    <{kind} android:name="{name}"{written}/>')
    flags = ""
    if debuggable:
        flags += ' android:debuggable="true"'
    if cleartext is not None:
        flags += f' android:usesCleartextTraffic="{str(cleartext).lower()}"'
    body = "\n".join(parts)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="{package}"
    android:versionCode="{version_code}" android:versionName="{version_name}">
  <uses-sdk android:minSdkVersion="21" android:targetSdkVersion="30"/>
{uses}
  <application{flags}>
{body}
  </application>
</manifest>
"""


def build_apk(
    directory: Path,
    *,
    package: str = "com.example.app",
    version_code: int = 1,
    version_name: str = "1.0",
    permissions: tuple[str, ...] = (),
    components: tuple[tuple[str, str, bool | str | None], ...] = (),
    classes: tuple[str, ...] = (),
    debuggable: bool = False,
    cleartext: bool | None = False,
    padding_bytes: int = 0,
    name: str = "app.apk",
) -> Path:
    """An unsigned APK; components are (tag, name, exported) with exported True, False, None
    (not written) or "intent" (not written, with an intent filter); `classes` are dotted Java
    class names put in classes.dex;
    `padding_bytes` of stored (uncompressed) asset for size tests."""
    work = directory / f"build-{name}"
    work.mkdir(parents=True)
    (work / "AndroidManifest.xml").write_text(
        _manifest(
            package, version_code, version_name, permissions, components, debuggable, cleartext
        )
    )
    out = directory / name
    subprocess.run(
        ["aapt", "package", "-M", str(work / "AndroidManifest.xml"), "-I", str(FRAMEWORK),
         "-F", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    if classes:
        sources = work / "smali"
        for dotted in classes:
            path = sources / (dotted.replace(".", "/") + ".smali")
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = "L" + dotted.replace(".", "/") + ";"
            path.write_text(f".class public {descriptor}\n.super Ljava/lang/Object;\n")
        subprocess.run(
            ["smali", "a", str(sources), "-o", str(work / "classes.dex")],
            check=True, capture_output=True,
        )  # fmt: skip
        with zipfile.ZipFile(out, "a") as archive:
            archive.write(work / "classes.dex", "classes.dex")
    if padding_bytes:
        with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_STORED) as archive:
            chunk = bytes(range(256)) * 4096
            with archive.open("assets/padding.bin", "w", force_zip64=True) as entry:
                left = padding_bytes
                while left > 0:
                    entry.write(chunk[: min(left, len(chunk))])
                    left -= len(chunk)
    return out


def zip_bytes(entries: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_bomb(megabytes: int = 50) -> bytes:
    """A manifest-bearing zip whose one entry inflates from ~50 KB to `megabytes` MB."""
    return zip_bytes(
        {"AndroidManifest.xml": b"x", "assets/bomb.bin": b"\0" * (megabytes * 1024 * 1024)},
        compression=zipfile.ZIP_DEFLATED,
    )


def traversal_zip() -> bytes:
    return zip_bytes({"AndroidManifest.xml": b"x", "../../etc/cron.d/evil": b"* * * * * root x"})


def not_an_apk_zip() -> bytes:
    return zip_bytes({"readme.txt": b"hello"})


def corrupt_zip() -> bytes:
    """Starts like a zip (local header), then garbage: no central directory."""
    return b"PK\x03\x04" + bytes(range(256)) * 8
