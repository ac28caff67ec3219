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
import multiprocessing
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ...csv_cells import csv_row
from ...models import Complaint
from ...services.bulk_intake import (
    IMPORT_CHANNELS,
    ImportLookups,
    ImportRowError,
    complaints_enqueue_classification,
    complaints_import_write,
    import_batch_prepare,
    import_row_clean,
)


def _rows(path: Path, kind: str) -> Iterator[tuple[int, object]]:
    """(line number, raw row) for every data row; a row that cannot be parsed is an
    ImportRowError in place of the row."""
    # Bytes that are not UTF-8 become lone surrogates, which the row check refuses: one bad
    # row is reported, the rest of the file still imports.
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
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


def _read(
    *,
    path: Path,
    kind: str,
    source: str,
    channel: str,
    lookups: ImportLookups,
    batch_size: int,
    language: str,
    out,
) -> None:
    """Parse and check every row. Puts ("batch", rows) and ("errors", [(line, external_id,
    field, message)]) on `out`, then ("done", row count) — or ("failed", message). Batches
    go ready to write (import_batch_prepare)."""

    def batch_of(rows: list[dict]) -> list:
        return import_batch_prepare(rows, source=source, lookups=lookups)

    try:
        translation.activate(language)  # the report's messages, in the command's language
        now = timezone.now()
        seen: dict[str, int] = {}
        batch: list[dict] = []
        errors: list[tuple[int, str, str, str]] = []
        rows = 0
        for line, raw in _rows(path, kind):
            rows += 1
            external_id = str(raw.get("external_id", "")) if isinstance(raw, dict) else ""
            try:
                if isinstance(raw, ImportRowError):
                    raise raw
                row = import_row_clean(raw, lookups=lookups, channel=channel, now=now)
                if row["external_id"] in seen:
                    message = _("Same external_id as line %(line)s.") % {
                        "line": seen[row["external_id"]]
                    }
                    raise ImportRowError("external_id", message)
            except ImportRowError as error:
                errors.append((line, external_id, error.field, str(error.message)))
                continue
            seen[row["external_id"]] = line
            batch.append(row)
            if len(batch) >= batch_size:
                out.put(("batch", batch_of(batch)))
                batch = []
        if batch:
            out.put(("batch", batch_of(batch)))
        out.put(("errors", errors))
        out.put(("done", rows))
    except Exception as error:  # noqa: BLE001 — reported by the main process
        out.put(("failed", f"{type(error).__name__}: {error}"))


def _start_reader(**kwargs):
    """Checking rows is pure Python: in a forked process it runs on another core while this
    process streams the previous batch into PostgreSQL. Where fork is missing, a thread
    still overlaps it with the database's share of the work."""
    if "fork" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("fork")
        out = context.Queue(maxsize=4)
        worker = context.Process(target=_read, kwargs={**kwargs, "out": out}, daemon=True)
    else:
        out = queue.Queue(maxsize=4)
        worker = threading.Thread(target=_read, kwargs={**kwargs, "out": out}, daemon=True)
    worker.start()
    return worker, out


class _Writers:
    """Writes batches in `count` threads with a database connection each, so that one batch's
    COPY and commit overlap the next's; with a count of 1 (or SQLite, which writes one
    transaction at a time) in the calling thread. The first failure stops the writing and is
    raised in the calling thread."""

    def __init__(self, count: int, write: Callable[[list], None]):
        self.write = write
        self.failures: list[BaseException] = []
        parallel = count > 1 and connection.vendor == "postgresql"
        self.jobs: queue.Queue = queue.Queue(maxsize=count)
        self.threads = [
            threading.Thread(target=self._run, daemon=True) for _ in range(count if parallel else 0)
        ]
        for thread in self.threads:
            thread.start()

    def _run(self) -> None:
        try:
            while (batch := self.jobs.get()) is not None:
                if self.failures:
                    continue  # keep taking batches, so the caller never waits on a full queue
                try:
                    self.write(batch)
                except BaseException as error:  # noqa: BLE001 — raised in the calling thread
                    self.failures.append(error)
        finally:
            connection.close()

    def submit(self, batch: list) -> None:
        if self.failures:
            raise self.failures[0]
        if self.threads:
            self.jobs.put(batch)
        else:
            self.write(batch)

    def finish(self) -> None:
        for _thread in self.threads:
            self.jobs.put(None)
        for thread in self.threads:
            thread.join()
        if self.failures:
            raise self.failures[0]


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
            "--writers",
            type=int,
            default=2,
            help="Batches written at once on PostgreSQL, each on its own connection (default 2).",
        )
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
        source,
        format,
        channel: str,
        batch_size: int,
        writers: int,
        report,
        no_classify: bool,
        **options,
    ):
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        suffix = path.suffix.lower()
        kind = format or (
            "csv"
            if suffix == ".csv"
            else "jsonl"
            if suffix in (".jsonl", ".ndjson", ".json")
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
        worker, out = _start_reader(
            path=path, kind=kind, source=source, channel=str(channel), lookups=lookups,
            batch_size=batch_size, language=translation.get_language(),
        )  # fmt: skip
        errors: list[tuple[int, str, str, str]] = []
        counts = {"imported": 0, "known": 0}
        counted = threading.Lock()

        def write(batch: list) -> None:
            created = self._import(source, batch, lookups)
            with counted:
                counts["imported"] += len(created)
                counts["known"] += len(batch) - len(created)
            if not no_classify and created:
                complaints_enqueue_classification(complaint_ids=created)

        # Parallel writers commit on their own connections: not inside a caller's transaction,
        # whose rows they could not see and whose rollback they would escape.
        writers = _Writers(1 if transaction.get_connection().in_atomic_block else writers, write)
        try:
            while True:
                kind_of, payload = out.get()
                if kind_of == "batch":
                    writers.submit(payload)
                elif kind_of == "errors":
                    errors = payload
                elif kind_of == "done":
                    rows = payload
                    break
                else:
                    raise CommandError(f"Reading {path} failed: {payload}")
        finally:
            writers.finish()
        imported, known = counts["imported"], counts["known"]
        worker.join()
        elapsed = time.perf_counter() - started

        if errors:
            # backslashreplace: an external id that was not UTF-8 is shown escaped.
            # utf-8-sig: a byte-order mark, so Excel on Chinese Windows reads it as UTF-8.
            with report.open(
                "w", encoding="utf-8-sig", errors="backslashreplace", newline=""
            ) as handle:
                writer = csv.writer(handle)
                writer.writerow(["line", "external_id", "field", "error"])
                # External ids and messages quote the imported file: defused like any export.
                writer.writerows(csv_row(error) for error in errors)
        elif report.exists():
            report.unlink()  # a clean re-run leaves no stale report behind
        rate = rows / elapsed if elapsed else 0.0
        self.stdout.write(
            f"{rows} rows from {path} (source “{source}”): {imported} imported, {known} already imported, "
            f"{len(errors)} invalid. {elapsed:.2f} s, {rate:,.0f} rows/s."
        )
        if errors:
            self.stdout.write(f"Errors by row: {report}")

    def _import(self, source: str, batch: list, lookups: ImportLookups) -> list[int]:
        try:
            return complaints_import_write(source=source, batch=batch, lookups=lookups)
        except IntegrityError:
            # Another import of the same file ran at the same time and won some rows: the
            # batch rolled back whole; once more, skipping what is now known.
            with transaction.atomic():
                return complaints_import_write(source=source, batch=batch, lookups=lookups)
