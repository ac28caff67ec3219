"""Writing many rows at once, for the batch paths (classification).

Django's `bulk_update` builds one CASE expression per field per row, and its `bulk_create`
prepares every field of every row and sends one array per column, which psycopg writes in
Python, escaping every quote of every JSON value: for a batch of verdicts and their events,
a fifth of the worker's CPU time (RESULTS.md, issue 16, branch `wk`). On PostgreSQL the rows
travel instead as ONE JSON document, written by the json module in C and read back into rows
by `json_to_recordset`: `INSERT … SELECT … FROM json_to_recordset(…)` and `UPDATE … FROM
json_to_recordset(…)`. Elsewhere (SQLite, the embedded default) the ORM does the job.
"""

import datetime
import decimal
import functools
import json
from collections.abc import Sequence

from django.db import connection, models


def objects_update(objects: Sequence[models.Model], fields: Sequence[str]) -> int:
    """Save `fields` of these objects (all of one model) in one statement; returns the count."""
    if not objects:
        return 0
    model = type(objects[0])
    if connection.vendor != "postgresql":
        return model.objects.bulk_update(objects, list(fields))
    meta = model._meta
    pk = meta.pk
    columns = [pk] + [meta.get_field(name) for name in fields]
    rows = [
        {field.column: field.get_prep_value(getattr(obj, field.attname)) for field in columns}
        for obj in objects
    ]
    quote = connection.ops.quote_name
    names = [quote(field.column) for field in columns]
    types = ", ".join(
        f"{name} {field.db_type(connection)}" for name, field in zip(names, columns, strict=True)
    )
    # Names and types come from the model's own fields, never from input; values are bound.
    table, key = quote(meta.db_table), names[0]
    sets = ", ".join(f"{name} = v.{name}" for name in names[1:])
    sql = (
        f"UPDATE {table} AS t SET {sets} "  # noqa: S608
        f"FROM json_to_recordset(%s::json) AS v({types}) WHERE t.{key} = v.{key}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_document(rows)])
        return cursor.rowcount


@functools.cache
def _insert_statement(model: type[models.Model]) -> tuple[str, tuple[models.Field, ...]]:
    """The INSERT of `model`'s new rows from one JSON array of objects (one per row, keyed by
    column), returning their ids in order; and the fields it takes, in order."""
    meta = model._meta
    fields = tuple(
        field
        for field in meta.local_concrete_fields
        if field is not meta.auto_field and not field.generated
    )
    if any(getattr(field, "encoder", None) is not None for field in fields):
        raise TypeError(f"{model.__name__} has a JSON field with its own encoder: bulk_create it.")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    types = ", ".join(f"{quote(field.column)} {field.db_type(connection)}" for field in fields)
    # Names and types come from the model's own fields, never from input; values are bound.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) SELECT {columns} "  # noqa: S608
        f"FROM json_to_recordset(%s::json) AS r({types}) RETURNING {quote(meta.pk.column)}"
    )
    return sql, fields


def _json_scalar(value):
    """What json.dumps cannot write itself, as PostgreSQL reads it back from text (dates and
    times in ISO 8601 to the microsecond, decimals exactly)."""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot go into a row insert")


def _document(rows: list[dict]) -> str:
    return json.dumps(rows, ensure_ascii=False, allow_nan=False, default=_json_scalar)


def objects_insert(objects: Sequence[models.Model]) -> list[models.Model]:
    """Insert these new objects (all of one model, ids made by the database) in one statement,
    as save() would: the model's `before_write()` first where it has one, then each field's
    `pre_save` and `get_prep_value` (auto_now, encryption). Sets their ids and returns them.
    No signals (AppWatch connects none); JSON fields with their own encoder are refused."""
    if not objects:
        return []
    model = type(objects[0])
    if connection.vendor != "postgresql":
        for obj in objects:
            before_write = getattr(obj, "before_write", None)
            if before_write is not None:
                before_write()
        return model.objects.bulk_create(objects)
    sql, fields = _insert_statement(model)
    rows = []
    for obj in objects:
        if obj.pk is not None:
            raise ValueError(f"{obj} already has an id: objects_insert writes new rows only.")
        before_write = getattr(obj, "before_write", None)
        if before_write is not None:
            before_write()
        rows.append(
            {field.column: field.get_prep_value(field.pre_save(obj, True)) for field in fields}
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_document(rows)])
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(objects, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    return list(objects)
