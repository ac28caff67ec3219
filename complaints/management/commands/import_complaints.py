"""`import_complaints PATH`: bulk intake from CSV or JSON Lines (hotline transcripts, other
channels).

Every row is checked; valid rows go in by batches, each row whole or not at all; invalid rows
are listed with their line, field and reason in an error report (CSV). Re-running the same
file imports nothing twice: rows are known by (source, external_id).

Columns / keys: external_id and description (required); app (registry id), package_name or
app_name; app_version, category (taxonomy code), submitted_at (ISO 8601), occurred_date,
amount, contact_name, contact_phone, contact_email, channel, language.
"""

import csv
import json
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ...models import Complaint
from ...services.intake import (
    IMPORT_CHANNELS,
    ImportLookups,
    ImportRowError,
    complaints_enqueue_classification,
    complaints_import_batch,
    import_row_clean,
)


def _rows(path: Path, kind: str) -> Iterator[tuple[int, object]]:
    """(line number, raw row) for every data row; a row that cannot be parsed is an
    ImportRowError in place of the row."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        if kind == "csv":
            reader = csv.DictReader(handle)
            if not reader.fieldnames:
                return
            start = reader.line_num + 1
            for row in reader:
                if None in row:  # more cells than headers
                    yield start, ImportRowError("row", _("More cells than column headers."))
                else:
                    yield start, {key.strip(): value for key, value in row.items() if key}
                start = reader.line_num + 1
            return
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except ValueError as error:
                yield (
                    number,
                    ImportRowError("row", _("Not valid JSON: %(error)s") % {"error": error}),
                )


class Command(BaseCommand):
    help = "Import complaints from a CSV or JSON Lines file, with a per-row error report."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--source",
            help="Where the rows come from (default: the file name); with external_id it identifies a row.",
        )
        parser.add_argument(
            "--format", choices=["csv", "jsonl"], help="Default: from the file extension."
        )
        parser.add_argument("--channel", default=Complaint.Channel.IMPORT, choices=IMPORT_CHANNELS)
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument(
            "--report", type=Path, help="Error report path (default: PATH.errors.csv)."
        )
        parser.add_argument(
            "--no-classify", action="store_true", help="Leave classification to the periodic sweep."
        )

    def handle(
        self,
        *args,
        path: Path,
        source: str | None,
        format: str | None,
        channel: str,
        batch_size: int,
        report: Path | None,
        no_classify: bool,
        **options,
    ):
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        kind = format or (
            "csv"
            if path.suffix.lower() == ".csv"
            else "jsonl"
            if path.suffix.lower() in (".jsonl", ".ndjson", ".json")
            else ""
        )
        if not kind:
            raise CommandError(
                "Say --format csv or --format jsonl: the file extension does not tell."
            )
        source = (source or path.stem)[:40]
        report = report or path.with_name(path.name + ".errors.csv")
        started = time.perf_counter()
        lookups = ImportLookups()
        counts = {"rows": 0, "imported": 0, "known": 0}
        errors: list[tuple[int, str, str, str]] = []
        # Reading and checking rows (pure Python) runs in a second thread while this one waits
        # for PostgreSQL to take the previous batch: the two overlap instead of taking turns.
        batches: queue.Queue = queue.Queue(maxsize=3)
        reader = threading.Thread(
            target=self._read,
            kwargs={
                "path": path,
                "kind": kind,
                "channel": channel,
                "lookups": lookups,
                "batch_size": batch_size,
                "errors": errors,
                "counts": counts,
                "out": batches,
                "language": translation.get_language(),
            },
            daemon=True,
        )
        reader.start()
        while (batch := batches.get()) is not None:
            if isinstance(batch, BaseException):
                raise batch
            created = self._import(source, batch, lookups)
            counts["imported"] += len(created)
            counts["known"] += len(batch) - len(created)
            if not no_classify and created:
                complaints_enqueue_classification(complaint_ids=created)
        reader.join()
        elapsed = time.perf_counter() - started

        if errors:
            with report.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["line", "external_id", "field", "error"])
                writer.writerows(errors)
        elif report.exists():
            report.unlink()  # a clean re-run leaves no stale report behind
        rate = counts["rows"] / elapsed if elapsed else 0.0
        self.stdout.write(
            f"{counts['rows']} rows from {path} (source “{source}”): {counts['imported']} imported, "
            f"{counts['known']} already imported, {len(errors)} invalid. {elapsed:.2f} s, {rate:,.0f} rows/s."
        )
        if errors:
            self.stdout.write(f"Errors by row: {report}")

    def _read(
        self,
        *,
        path,
        kind,
        channel,
        lookups,
        batch_size,
        errors,
        counts,
        out: queue.Queue,
        language,
    ) -> None:
        """Parse and check every row; put batches of clean rows on `out`, then None."""
        try:
            translation.activate(language)  # the messages in the report, in the command's language
            now = timezone.now()
            seen: dict[str, int] = {}
            batch: list[dict] = []
            for line, raw in _rows(path, kind):
                counts["rows"] += 1
                external_id = str(raw.get("external_id", "")) if isinstance(raw, dict) else ""
                try:
                    if isinstance(raw, ImportRowError):
                        raise raw
                    row = import_row_clean(raw, lookups=lookups, channel=channel, now=now)
                    if row["external_id"] in seen:
                        raise ImportRowError(
                            "external_id",
                            _("Same external_id as line %(line)s.")
                            % {"line": seen[row["external_id"]]},
                        )
                except ImportRowError as error:
                    errors.append((line, external_id, error.field, str(error.message)))
                    continue
                seen[row["external_id"]] = line
                batch.append(row)
                if len(batch) >= batch_size:
                    out.put(batch)
                    batch = []
            if batch:
                out.put(batch)
            out.put(None)
        except BaseException as error:  # noqa: BLE001 — handed to the main thread, which raises it
            out.put(error)

    def _import(self, source: str, rows: list[dict], lookups: ImportLookups) -> list[int]:
        try:
            return complaints_import_batch(source=source, rows=rows, lookups=lookups)
        except IntegrityError:
            # Another import of the same file ran at the same time and won some rows: the
            # batch rolled back whole; once more, skipping what is now known.
            with transaction.atomic():
                return complaints_import_batch(source=source, rows=rows, lookups=lookups)
