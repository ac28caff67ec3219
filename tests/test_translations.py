"""Every message the code and templates can show has a Chinese translation: the source is
scanned as `makemessages` does (in a scratch copy, so the repository is left alone), and
each message id must be translated in locale/zh_Hans (the catalogue plus locale/parts/).
English is the source language, so the English side needs no catalogue."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("complaints", "classifier", "inspections", "early_warning", "config", "templates")

pytestmark = pytest.mark.slow


def _translated(locale: Path) -> set[tuple[str | None, str]]:
    catalogues = [
        locale / "zh_Hans" / "LC_MESSAGES" / "django.po",
        *sorted((locale / "parts").glob("*.po")),
    ]
    known = set()
    for path in catalogues:
        for entry in polib.pofile(str(path)):
            if entry.translated() and not entry.obsolete:
                known.add((entry.msgctxt, entry.msgid))
    return known


def test_every_message_has_a_chinese_translation(tmp_path):
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext is needed to scan the sources: apt-get install gettext")
    for name in SCANNED:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "manage.py", tmp_path)
    (tmp_path / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete",
         "--ignore", "*/migrations/*"],
        cwd=tmp_path, check=True, capture_output=True,
        env={"DJANGO_SETTINGS_MODULE": "config.settings_test", "PATH": "/usr/bin:/bin",
             "APPWATCH_VAR_DIR": str(tmp_path / "var")},
    )  # fmt: skip
    found = polib.pofile(str(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    known = _translated(ROOT / "locale")
    missing = sorted(
        f"{entry.msgid!r} ({entry.occurrences[0][0] if entry.occurrences else '?'})"
        for entry in found
        if (entry.msgctxt, entry.msgid) not in known
    )
    assert missing == [], f"{len(missing)} untranslated:\n" + "\n".join(missing)
