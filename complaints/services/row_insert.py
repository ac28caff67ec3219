"""Inserting one new row with a statement made once per model and process: the filing's two
INSERTs (issue 16) without the ORM compiling some fifty columns on every save().

Each field still prepares its own value (`pre_save`, `get_db_prep_save`: encryption, JSON,
dates, `auto_now`), as save() does; only the SQL text is kept. With `skip_conflict` a row that
a unique constraint refuses is left out (ON CONFLICT DO NOTHING) instead of raising, so the
caller can try again without a savepoint around the insert.
"""

import functools

from django.db import DEFAULT_DB_ALIAS, connections, models


@functools.cache
def _statement(
    model: type[models.Model], alias: str, skip_conflict: bool
) -> tuple[str, tuple[models.Field, ...]]:
    """The INSERT of a new row of `model` with its database-made id, and the fields whose
    values it takes, in order."""
    meta = model._meta
    if meta.parents:
        raise TypeError(f"{model.__name__} inherits a table: save() it instead.")
    fields = tuple(
        field
        for field in meta.local_concrete_fields
        if field is not meta.auto_field and not field.generated
    )
    connection = connections[alias]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Names come from the model's own fields, never from input; values are bound.
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    if skip_conflict:
        # Unique constraints only: a CHECK or NOT NULL violation still raises.
        sql += " ON CONFLICT DO NOTHING"
    return f"{sql} RETURNING {quote(meta.pk.column)}", fields


def row_insert(obj: models.Model, *, skip_conflict: bool = False) -> bool:
    """Insert `obj`, a new row (its id made by the database), as save() would: the model's
    `before_write()` first where it has one (what its save() does before writing), then every
    field's value; no signals (AppWatch connects none). Sets the id and returns True; with
    `skip_conflict`, returns False and writes nothing when a unique constraint refuses the
    row. Plain values only: no expressions."""
    if obj.pk is not None:
        raise ValueError(f"{obj} already has an id: row_insert writes new rows only.")
    before_write = getattr(obj, "before_write", None)
    if before_write is not None:
        before_write()
    alias = obj._state.db or DEFAULT_DB_ALIAS
    connection = connections[alias]
    sql, fields = _statement(type(obj), alias, skip_conflict)
    params = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = alias
    return True
