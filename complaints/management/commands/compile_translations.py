"""Compile locale/*/LC_MESSAGES/django.po (plus any locale/parts/*.po) into .mo files.

Pure Python (polib), so translations work on a fresh machine without GNU gettext.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile the translation catalogues into .mo files."

    def handle(self, *args, **options):
        locale_dir = Path(settings.LOCALE_PATHS[0])
        parts = sorted((locale_dir / "parts").glob("*.po"))
        for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/django.po")):
            catalogue = polib.pofile(str(po_path))
            known = {(entry.msgctxt, entry.msgid) for entry in catalogue}
            # Parts are translations written alongside a feature, before they are merged into
            # the main catalogue; the main catalogue wins where both have an entry.
            for part in parts:
                for entry in polib.pofile(str(part)):
                    key = (entry.msgctxt, entry.msgid)
                    if key in known or not entry.translated():
                        continue
                    catalogue.append(entry)
                    known.add(key)
            catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
            self.stdout.write(
                f"compiled {po_path.parent.parent.name}: {len(catalogue.translated_entries())} messages"
            )
