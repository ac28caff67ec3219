"""PostgreSQL COPY, the fast way to write many rows: values as COPY text, a model's column
layout, ids drawn ahead from a table's sequence, and one writer that streams the lines.

Used by bulk intake and the statistics summary; callers fall back to bulk_create elsewhere.
"""

import datetime
import functools
import itertools
import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def copy_str(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def copy_text(value: Any) -> str:
    """One value in COPY's text format (PostgreSQL docs, COPY, "Text Format")."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return copy_str(value)
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, dict | list):
        return copy_str(json.dumps(value, ensure_ascii=False))
    if isinstance(value, datetime.date):  # datetimes too
        return value.isoformat()
    return str(value)  # numbers


class CopyLayout:
    """A model's columns for COPY: the leading ones the writer fills in, then the rest, whose
    text the reader makes from a dict of values (defaults where the dict is silent)."""

    def __init__(self, model: type[models.Model], leading: tuple[str, ...]):
        fields = {field.attname: field for field in model._meta.concrete_fields}
        rest = [field for name, field in fields.items() if name not in leading]
        self.table = model._meta.db_table
        self.columns = [fields[name].column for name in leading] + [f.column for f in rest]
        self.positions = {field.attname: index for index, field in enumerate(rest)}
        # Callable defaults are taken once: the import's start, an empty dict.
        self.defaults = [copy_text(field.get_default()) for field in rest]

    def row(self, values: dict, base: list[str] | None = None) -> list[str]:
        """The row's texts: `base` (default: the defaults) with `values` written over it."""
        row = (self.defaults if base is None else base).copy()
        positions = self.positions
        for name, value in values.items():
            # The common cases inline: this runs for every value of every imported row.
            if value is None:
                text = "\\N"
            elif value.__class__ is str:
                text = copy_str(value) if value else ""
            else:
                text = copy_text(value)
            row[positions[name]] = text
        return row


def copy_line(values: Sequence[Any]) -> str:
    """One row of values as a line of COPY text."""
    return "\t".join(copy_text(value) for value in values) + "\n"


@functools.cache
def _id_sequence(table: str) -> str:
    """The sequence behind a table's id, looked up once (a per-row look-up costs more than the
    nextval it names)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        return cursor.fetchone()[0]


def ids_draw(cursor, table: str, count: int) -> list[int]:
    """`count` fresh ids from the table's sequence, so rows written together can point at
    each other before any is written."""
    cursor.execute(
        "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [_id_sequence(table), count]
    )
    return [pk for (pk,) in cursor.fetchall()]


def copy_write(cursor, *, table: str, columns: Sequence[str], lines: Iterable[str]) -> None:
    """COPY `lines` (COPY text, one row each, newline-terminated) into `columns` of `table`.
    A refused row raises Django's IntegrityError, as INSERT would."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    lines = iter(lines)
    with (
        connection.wrap_database_errors,
        cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy,
    ):  # noqa: S608
        # In slices, so PostgreSQL inserts the first rows while the rest are joined.
        while chunk := "".join(itertools.islice(lines, 250)):
            copy.write(chunk)
