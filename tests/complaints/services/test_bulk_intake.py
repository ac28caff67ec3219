"""Bulk intake: `import_complaints PATH` for CSV and JSON Lines."""

import csv
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.models import Complaint, Event
from complaints.services.bulk_intake import ImportLookups, complaints_import_batch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def run(path, *args) -> str:
    out = StringIO()
    call_command("import_complaints", str(path), *args, stdout=out)
    return out.getvalue()


def write_csv(path, rows, header=None):
    header = header or list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_jsonl(path, rows):
    path.write_text(
        "\n".join(
            row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows
        )
        + "\n",
        encoding="utf-8",
    )
    return path


def report_rows(path):
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # for Excel on Chinese Windows
    with path.open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_csv_import_with_app_lookup_and_masking(tmp_path, app):
    path = write_csv(
        tmp_path / "hotline-may.csv",
        [
            {
                "external_id": "H-1",
                "package_name": "com.kuaisong.food",
                "description": "来电：不给通讯录就闪退，回拨13812345678",
                "submitted_at": "2024-05-01T09:30:00+08:00",
                "category": "over_permission",
                "contact_phone": "13812345678",
            },
            {
                "external_id": "H-2",
                "app_name": "kuaisong",
                "description": "自动续费扣了30元",
                "amount": "30",
                "occurred_date": "2024-04-30",
            },
            {"external_id": "H-3", "app_name": "没见过的应用", "description": "弹窗关不掉"},
        ],
    )
    output = run(path, "--channel", "hotline")
    assert "3 rows" in output and "3 imported, 0 already imported, 0 invalid" in output
    first = Complaint.objects.get(external_id="H-1")
    assert (first.app, first.source, first.channel, first.status) == (
        app,
        "hotline-may",
        "hotline",
        "submitted",
    )
    assert first.description_masked == "来电：不给通讯录就闪退，回拨138****5678"
    assert first.contact_phone == "+8613812345678" and first.category_hint.code == "over_permission"
    assert first.submitted_at.isoformat() == "2024-05-01T01:30:00+00:00"
    assert (
        first.decision_due_date.isoformat() == "2024-05-13"
    )  # seven working days around the May holiday
    second = Complaint.objects.get(external_id="H-2")
    assert (
        second.app == app
        and str(second.amount) == "30.00"
        and str(second.occurred_date) == "2024-04-30"
    )
    assert Complaint.objects.get(external_id="H-3").app is None
    created = Event.objects.get(complaint=first)
    assert (created.kind, created.to_status, created.created_at) == (
        "created",
        "submitted",
        first.submitted_at,
    )
    assert not (tmp_path / "hotline-may.csv.errors.csv").exists()


def test_jsonl_import_and_error_report(tmp_path, app):
    path = write_jsonl(
        tmp_path / "mail.jsonl",
        [
            {"external_id": "E-1", "app": app.pk, "description": "ok"},
            {"external_id": "E-2", "app": 999999, "description": "x"},
            {"external_id": "E-3", "app_name": "A", "description": ""},
            {"app_name": "A", "description": "no id"},
            {"external_id": "E-5", "app_name": "A", "description": "x", "contact_phone": "12"},
            {
                "external_id": "E-6",
                "app_name": "A",
                "description": "x",
                "submitted_at": "yesterday",
            },
            {"external_id": "E-7", "app_name": "A", "description": "x", "amount": "-3"},
            {"external_id": "E-8", "app_name": "A", "description": "x", "category": "nope"},
            "{broken json",
            {"external_id": "E-1", "app_name": "A", "description": "again"},
            [1, 2],
            {"external_id": "E-12", "app_name": "A", "description": "x", "channel": "fax"},
            {
                "external_id": "E-13",
                "app_name": "A",
                "description": "x",
                "submitted_at": "2999-01-01T00:00:00+08:00",
            },
        ],
    )
    output = run(path)
    assert "13 rows" in output and "1 imported, 0 already imported, 12 invalid" in output
    rows = report_rows(tmp_path / "mail.jsonl.errors.csv")
    assert [(r["line"], r["external_id"], r["field"], r["error"]) for r in rows] == [
        ("2", "E-2", "app", "No app with id 999999."),
        ("3", "E-3", "description", "Describe what happened."),
        ("4", "", "external_id", "Every row needs an external_id."),
        ("5", "E-5", "contact_phone", "Enter a valid phone number, for example 138 1234 5678."),
        (
            "6",
            "E-6",
            "submitted_at",
            "Not a date and time (use ISO 8601, e.g. 2024-05-01T14:30:00+08:00).",
        ),
        ("7", "E-7", "amount", "Not an amount."),
        ("8", "E-8", "category", "Unknown category: nope."),
        ("9", "", "row", rows[7]["error"]),
        ("10", "E-1", "external_id", "Same external_id as line 1."),
        ("11", "", "row", "A row must be an object with named fields."),
        ("12", "E-12", "channel", "Unknown channel fax."),
        ("13", "E-13", "submitted_at", "Lies in the future."),
    ]
    assert rows[7]["error"].startswith("Not valid JSON")
    assert list(Complaint.objects.values_list("external_id", flat=True)) == ["E-1"]


def test_rerunning_the_same_file_imports_nothing_twice(tmp_path, app):
    path = write_csv(
        tmp_path / "a.csv",
        [{"external_id": f"R-{i}", "app_name": "A", "description": "x"} for i in range(25)],
    )
    run(path, "--batch-size", "10")
    output = run(path, "--batch-size", "7")
    assert "0 imported, 25 already imported" in output
    assert Complaint.objects.count() == 25 and Event.objects.count() == 25


def test_the_same_ids_from_another_source_are_other_rows(tmp_path):
    path = write_csv(
        tmp_path / "a.csv", [{"external_id": "1", "app_name": "A", "description": "x"}]
    )
    run(path, "--source", "hotline")
    run(path, "--source", "email")
    assert sorted(Complaint.objects.values_list("source", flat=True)) == ["email", "hotline"]


def test_csv_with_too_many_cells_and_a_bom(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text(
        "\ufeffexternal_id,app_name,description\nB-1,A,好\nB-2,A,x,extra\n", encoding="utf-8"
    )
    output = run(path)
    assert "1 imported" in output
    assert (
        report_rows(tmp_path / "b.csv.errors.csv")[0]["error"] == "More cells than column headers."
    )


def test_a_clean_rerun_removes_the_old_report(tmp_path):
    path = write_csv(
        tmp_path / "c.csv", [{"external_id": "C-1", "app_name": "A", "description": ""}]
    )
    run(path)
    assert (tmp_path / "c.csv.errors.csv").exists()
    write_csv(path, [{"external_id": "C-1", "app_name": "A", "description": "fixed"}])
    run(path)
    assert not (tmp_path / "c.csv.errors.csv").exists()


def test_bad_paths_and_formats(tmp_path):
    with pytest.raises(CommandError, match="No file at"):
        run(tmp_path / "missing.csv")
    (tmp_path / "x.txt").write_text("a")
    with pytest.raises(CommandError, match="--format"):
        run(tmp_path / "x.txt")


def test_a_failing_batch_leaves_no_half_rows():
    """The database refuses one row of a batch (a negative amount slipped past the checks):
    no complaint and no event of that batch is kept."""
    base = {
        "description": "x",
        "app_id": None,
        "app_name": "A",
        "app_version": "",
        "channel": "import",
        "category_hint_id": None,
        "submitted_at": timezone.now(),
        "occurred_date": None,
        "amount": None,
        "contact_name": "",
        "contact_phone": "",
        "contact_email": "",
        "language": "zh-hans",
    }
    rows = [{**base, "external_id": "ok"}, {**base, "external_id": "bad", "amount": Decimal("-1")}]
    with pytest.raises(IntegrityError), transaction.atomic():
        complaints_import_batch(source="s", rows=rows, lookups=ImportLookups())
    assert not Complaint.objects.exists() and not Event.objects.exists()


def test_queries_per_batch_do_not_grow_with_rows(tmp_path):
    path = write_csv(
        tmp_path / "q.csv",
        [{"external_id": f"Q-{i}", "app_name": "A", "description": "x"} for i in range(300)],
    )
    with CaptureQueriesContext(connection) as queries:
        run(path, "--no-classify", "--batch-size", "300")
    # Lookups, known ids, tracking numbers, the inserts (in chunks), the audit chain's head
    # (read with its last row, then rewritten sealed) and the events (in chunks: SQLite's parameter
    # limit over their columns): not 300.
    assert len(queries) < 31


def test_text_that_cannot_be_stored_is_a_row_error_not_a_crash(tmp_path):
    """A NUL, a lone surrogate from a JSON escape, or bytes that are not UTF-8: PostgreSQL
    stores none of them. The row is reported; the rest of the file imports."""
    jsonl = tmp_path / "hostile.jsonl"
    jsonl.write_text(
        '{"external_id": "H-1", "app_name": "A", "description": "nul \\u0000 inside"}\n'
        '{"external_id": "H-2", "app_name": "A", "description": "lone \\ud800 half"}\n'
        '{"external_id": "H-3", "app_name": "A\\u0000", "description": "fine"}\n'
        '{"external_id": "H-4", "app_name": "A", "description": "多行\\n文本\\t和\\\\反斜杠"}\n',
        encoding="utf-8",
    )
    output = run(jsonl, "--no-classify")
    assert "1 imported, 0 already imported, 3 invalid" in output
    rows = report_rows(tmp_path / "hostile.jsonl.errors.csv")
    assert [(r["external_id"], r["field"]) for r in rows] == [
        ("H-1", "description"),
        ("H-2", "description"),
        ("H-3", "app_name"),
    ]
    assert all("cannot be stored" in r["error"] for r in rows)
    # Tabs, newlines and backslashes are ordinary text and arrive intact.
    assert Complaint.objects.get(external_id="H-4").description == "多行\n文本\t和\\反斜杠"

    csv_path = tmp_path / "bytes.csv"
    csv_path.write_bytes(
        b"external_id,app_name,description\nB-\xff,A,bad \xfe\xff bytes\nB-2,A,good\n"
    )
    output = run(csv_path, "--no-classify")
    assert "1 imported, 0 already imported, 1 invalid" in output
    (bad,) = report_rows(tmp_path / "bytes.csv.errors.csv")
    assert bad["external_id"] == "B-\\udcff" and bad["field"] == "external_id"
    assert Complaint.objects.filter(external_id="B-2").exists()


@pytest.mark.postgres
def test_known_rows_are_found_through_the_unique_index():
    """The re-run check must not read the whole complaint table for every batch."""
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT external_id FROM complaints_complaint "
            "WHERE source = %s AND external_id <> '' AND external_id = ANY(%s)",
            ["hotline", ["A-1", "A-2"]],
        )
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "unique_import_source_id" in plan, plan
    with CaptureQueriesContext(connection) as queries:
        complaints_import_batch(
            source="hotline",
            rows=[
                {
                    "external_id": "A-1",
                    "description": "x",
                    "app_name": "A",
                    "channel": "hotline",
                    "submitted_at": timezone.now(),
                }
            ],
            lookups=ImportLookups(),
        )
    lookup = next(q["sql"] for q in queries if "external_id" in q["sql"].split("WHERE")[-1])
    assert "<> ''" in lookup


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_writers_import_every_row_once(tmp_path):
    path = write_jsonl(
        tmp_path / "many.jsonl",
        [
            {"external_id": f"P-{i}", "app_name": "A", "description": f"第 {i} 条投诉"}
            for i in range(1, 1001)
        ],
    )
    output = run(path, "--no-classify", "--batch-size", "90", "--writers", "3")
    assert "1000 imported, 0 already imported, 0 invalid" in output
    assert Complaint.objects.count() == 1000
    assert Event.objects.filter(kind=Event.Kind.CREATED).count() == 1000
    assert not Complaint.objects.filter(events__isnull=True).exists()
    assert len(set(Complaint.objects.values_list("tracking_number", flat=True))) == 1000
    output = run(path, "--no-classify", "--batch-size", "90", "--writers", "3")
    assert "0 imported, 1000 already imported" in output
    assert Complaint.objects.count() == 1000
