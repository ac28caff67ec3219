"""Inserting one new row with a statement made once per model and process: the filing's two
INSERTs (issue 16) without the ORM compiling some fifty columns on every save().

Each field still prepares its own value (`pre_save`, `get_db_prep_save`: encryption, JSON,
dates, `auto_now`), as save() does; only the SQL text is kept, and the values those methods
would hand back unchanged (a str for a CharField, None for most fields) skip the calls. With `skip_conflict` a row that
a unique constraint refuses is left out (ON CONFLICT DO NOTHING) instead of raising, so the
caller can try again without a savepoint around the insert.

On PostgreSQL the statement goes with its values bound on the server and is prepared once per
connection (complaints.prepared): the complaint's fifty-odd values then travel as parameters of
a statement PostgreSQL has already parsed and planned, instead of being quoted into fresh SQL
text in Python that PostgreSQL parses and plans again for every filing.
"""

import datetime
import functools

from django.db import DEFAULT_DB_ALIAS, connections, models

from ..prepared import prepared_cursor

# For each of Django's field classes (exactly these: a subclass such as EncryptedTextField
# converts its own way), the types of value its pre_save/get_db_prep_save give back as they
# are on PostgreSQL. Anything else (an int, which goes out typed, a datetime, a lazy string)
# takes the field's own path.
_KEPT_AS_IS: dict[type[models.Field], frozenset[type]] = {
    models.CharField: frozenset({str, type(None)}),
    models.TextField: frozenset({str, type(None)}),
    models.BooleanField: frozenset({bool, type(None)}),
    models.DateField: frozenset({datetime.date, type(None)}),
    models.DecimalField: frozenset({type(None)}),
    models.FloatField: frozenset({type(None)}),
    models.IntegerField: frozenset({type(None)}),
    models.PositiveSmallIntegerField: frozenset({type(None)}),
    models.BigIntegerField: frozenset({type(None)}),
    models.ForeignKey: frozenset({type(None)}),
}
_NOTHING_KEPT: frozenset[type] = frozenset()


@functools.cache
def _statement(
    model: type[models.Model], alias: str, skip_conflict: bool
) -> tuple[str, tuple[tuple[models.Field, str | None, frozenset[type]], ...]]:
    """The INSERT of a new row of `model` with its database-made id, and the fields whose
    values it takes, in order: each with its attname when its pre_save only reads it (None
    when it does more: auto_now) and the types of value it stores as they are."""
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
    plan = tuple(
        (
            field,
            field.attname if type(field).pre_save is models.Field.pre_save else None,
            _KEPT_AS_IS.get(type(field), _NOTHING_KEPT),
        )
        for field in fields
    )
    return f"{sql} RETURNING {quote(meta.pk.column)}", plan


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
    sql, plan = _statement(type(obj), alias, skip_conflict)
    params = []
    for field, attname, kept_as_is in plan:
        value = getattr(obj, attname) if attname else field.pre_save(obj, True)
        if type(value) not in kept_as_is:
            value = field.get_db_prep_save(value, connection)
        params.append(value)
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = alias
    return True
