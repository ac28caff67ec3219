"""PostgreSQL only: code-like text columns compare byte by byte (collation "C"), and the link
table loses an index its unique constraint already provides.

Status codes and tracking numbers are ASCII identifiers: ordering them by a language's rules
buys nothing and costs every index built or searched on them (PostgreSQL sorts "C" text with
abbreviated keys, other collations through strcoll). Django's model state does not carry the
collation: a later AlterField on these columns must keep COLLATE "C" in its SQL.

The many-to-many link table's own index on complaint_id duplicates the leading column of its
unique (complaint_id, category_id) constraint, which serves the same look-ups and cascades.
"""

from django.db import migrations

COLUMNS = [("status", 16), ("tracking_number", 24)]
LINKS = "complaints_complaint_categories"


def _collate(schema_editor, collation: str) -> None:
    for column, length in COLUMNS:
        schema_editor.execute(
            f'ALTER TABLE complaints_complaint ALTER COLUMN "{column}" '
            f'TYPE varchar({length}) COLLATE "{collation}"'
        )


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _collate(schema_editor, "C")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s "
            "AND indexdef LIKE '%%btree (complaint_id)'",
            [LINKS],
        )
        for (name,) in cursor.fetchall():
            schema_editor.execute(f'DROP INDEX "{name}"')


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _collate(schema_editor, "default")
    schema_editor.execute(f"CREATE INDEX {LINKS}_complaint_id ON {LINKS} (complaint_id)")


class Migration(migrations.Migration):
    dependencies = [("complaints", "0012_event_lean_indexes")]

    operations = [migrations.RunPython(forward, backward)]
