"""What inspecting one large Android package costs: a ~50 MB APK (manifest with permissions
and SDK components, a dex of 3,000 classes, the rest stored assets as real apps carry), built
with aapt and smali (make test-setup).

    .venv/bin/python -m benchmarks.inspection_bench

Times the checks before parsing (zip directory), the parse in the limited child process and
the whole report; memory is the child's peak resident size (it alone opens the package) and
the calling worker's own peak. Prints a Markdown table and writes var/bench/inspection.json.
"""

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

P = "android.permission."
SDK_CLASSES = [
    "com.umeng.analytics.MobclickAgent",
    "com.igexin.sdk.PushManager",
    "com.tencent.mm.opensdk.openapi.WXAPIFactory",
    "com.alipay.sdk.app.PayTask",
    "com.baidu.location.LocationClient",
    "com.bytedance.sdk.openadsdk.TTAdSdk",
]


def main() -> None:
    import django

    django.setup()
    from django.conf import settings

    from inspections.archive import Limits, archive_check
    from inspections.parsing import package_parse
    from inspections.reports import package_report
    from tests.inspections.apks import build_apk, tools_missing

    missing = tools_missing()
    if missing:
        print(f"skipped: {missing}")
        sys.exit(1)
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        classes = [f"com.example.big.p{i // 100}.C{i}" for i in range(3000)] + SDK_CLASSES
        path = build_apk(
            Path(scratch),
            package="com.example.big",
            permissions=tuple(P + name for name in ("ACCESS_FINE_LOCATION", "READ_CONTACTS",
                                                    "CAMERA", "READ_PHONE_STATE", "INTERNET")),
            components=(("service", "com.igexin.sdk.PushService", True),
                        ("receiver", "cn.jpush.android.service.PushReceiver", True)),
            classes=tuple(classes),
            padding_bytes=50 * 1024 * 1024,
        )  # fmt: skip
        build_s = time.perf_counter() - started
        size_mb = path.stat().st_size / 1024 / 1024

        started = time.perf_counter()
        archive_check(path, Limits.from_settings())
        check_s = time.perf_counter() - started

        parses = []
        for _ in range(3):
            started = time.perf_counter()
            facts = package_parse(
                path,
                timeout=settings.INSPECTION_TIME_LIMIT_SECONDS,
                memory_mb=settings.INSPECTION_MEMORY_LIMIT_MB,
            )
            parses.append((time.perf_counter() - started, facts["peak_rss_kb"]))

        started = time.perf_counter()
        report = package_report(path, app_type="ride_hailing")
        report_s = time.perf_counter() - started
    parse_s = sorted(p[0] for p in parses)[1]
    child_mb = max(p[1] for p in parses) / 1024
    worker_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "apk_mb": round(size_mb, 1),
        "dex_classes": len(classes),
        "build_s": round(build_s, 1),
        "zip_check_s": round(check_s, 4),
        "parse_median_s": round(parse_s, 2),
        "report_s": round(report_s, 2),
        "child_peak_rss_mb": round(child_mb),
        "worker_peak_rss_mb": round(worker_mb),
        "sdks_found": sorted(s["name"] for s in report["sdks"]),
    }
    print(
        "| APK | dex classes | zip checks | parse (child, median of 3) | whole report | child peak RSS | worker peak RSS |"
    )
    print("|---|---|---|---|---|---|---|")
    print(f"| {figures['apk_mb']} MB | {len(classes)} | {check_s * 1000:.1f} ms | {parse_s:.2f} s | "
          f"{report_s:.2f} s | {child_mb:.0f} MB | {worker_mb:.0f} MB |")  # fmt: skip
    print("SDKs found:", ", ".join(figures["sdks_found"]))
    out = Path(settings.VAR_DIR) / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "inspection.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
