"""`manage.py inspect_apk PATH [--app ID] [--json]`: inspect one Android package and print the
report (with --app, the scope check uses that app's declared type). Stores nothing."""

import json

from django.core.management.base import BaseCommand, CommandError

from complaints.models import App
from inspections import catalogue
from inspections.errors import InspectionRefused
from inspections.reports import package_report


class Command(BaseCommand):
    help = "Inspect an Android package (APK) and print its report."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--app", type=int, help="Check scope against this app's type.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, path, app=None, json=False, **options):
        app_type = ""
        if app is not None:
            found = App.objects.filter(pk=app).first()
            if found is None:
                raise CommandError(f"No app with id {app}.")
            app_type = found.app_type
        try:
            report = package_report(path, app_type=app_type)
        except FileNotFoundError:
            raise CommandError(f"No such file: {path}") from None
        except InspectionRefused as refused:
            raise CommandError(refused.message) from None
        if json:
            self.stdout.write(_dumps(report))
        else:
            self._print(report)

    def _print(self, report: dict) -> None:
        out = self.stdout.write
        out(f"{report['package']} {report['version_name']} ({report['version_code']})")
        out(f"SDK min {report['min_sdk']} target {report['target_sdk']}; "
            f"debuggable {report['debuggable']}; cleartext {report['cleartext']}")  # fmt: skip
        out(f"certificate SHA-256 {report['cert_sha256'] or '(unsigned)'}")
        out(f"app type: {report['app_type'] or '(not declared)'}")
        out("permissions:")
        for permission in report["permissions"]:
            out(f"  {permission['name']}  [{permission['protection_level']}] {permission['scope']}")
        out("exported components:")
        for component in report["exported_components"]:
            out(f"  {component['kind']} {component['name']}")
        out("third-party SDKs:")
        for sdk in report["sdks"]:
            category = catalogue.in_language(catalogue.sdk_categories()[sdk["category"]])
            out(f"  {sdk['name']} ({sdk['vendor']}, {category}): {', '.join(sdk['evidence'])}")
        out("beyond scope:")
        for item in report["beyond_scope"]:
            out(f"  {item['permission']}")


def _dumps(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2)
