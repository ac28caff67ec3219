"""Why an inspection was refused or failed: a stable code stored on the row, and its message
translated when it is read (so one stored failure reads in English and in zh-Hans)."""

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "too_large": _("The file is larger than the limit for app packages."),
    "empty": _("The file is empty."),
    "not_zip": _("The file is not an Android package (APK): it is not a zip archive."),
    "too_many_entries": _("The package holds too many files to inspect safely."),
    "zip_bomb": _(
        "The package would unpack to far more than its size (a zip bomb); it was not opened."
    ),
    "unsafe_name": _("The package holds a file whose name points outside the package."),
    "encrypted": _("The package holds encrypted files; it cannot be inspected."),
    "no_manifest": _("The file is a zip archive but not an Android package (no manifest)."),
    "unparsable": _("The package could not be read as an Android package."),
    "timeout": _("Inspecting the package took longer than the time limit."),
    "out_of_memory": _("Inspecting the package needed more memory than the limit."),
    "missing_file": _("The uploaded package is no longer stored."),
}


class InspectionRefused(Exception):
    """The package is not inspected: `code` is a key of MESSAGES."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code])


def error_message(code: str) -> str:
    return str(MESSAGES.get(code, MESSAGES["unparsable"])) if code else ""
