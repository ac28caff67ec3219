"""The audit log's hash chain (complaints/models/audit_chain.py): new columns, every existing
event sealed and chained in (created_at, id) order, then the columns made mandatory.

On PostgreSQL the append-only trigger (0017) refuses UPDATE unless the transaction-local
setting appwatch.redaction is on; this one-time upgrade turns it on for its own transaction.
"""

from django.db import migrations, models

from complaints.models import audit_chain

BATCH = 2000


def chain_existing(apps, schema_editor):
    Event = apps.get_model("complaints", "Event")
    db = schema_editor.connection.alias
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SELECT set_config('appwatch.redaction', 'on', true)", params=None)
    head = (0, audit_chain.GENESIS)
    pks = list(Event.objects.using(db).order_by("created_at", "id").values_list("pk", flat=True))
    fields = [
        "chain_seq",
        "prev_hash",
        "row_hash",
        "personal_salt",
        "reason_digest",
        "actor_digest",
    ]
    for start in range(0, len(pks), BATCH):
        chunk = pks[start : start + BATCH]
        rows = Event.objects.using(db).in_bulk(chunk)
        events = [rows[pk] for pk in chunk]
        head = audit_chain.chain_link(events, head)
        Event.objects.using(db).bulk_update(events, fields)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SELECT set_config('appwatch.redaction', 'off', true)", params=None)


def chain_field(**extra):
    return models.CharField(max_length=64, editable=False, **extra)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0018_event_message")]

    operations = [
        migrations.AddField(
            model_name="event",
            name="chain_seq",
            field=models.BigIntegerField(editable=False, null=True, verbose_name="chain position"),
        ),
        migrations.AddField(model_name="event", name="prev_hash", field=chain_field(default="")),
        migrations.AddField(
            model_name="event", name="row_hash", field=chain_field(default="", verbose_name="hash")
        ),
        migrations.AddField(
            model_name="event",
            name="personal_salt",
            field=models.CharField(blank=True, default="", editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name="event", name="reason_digest", field=chain_field(blank=True, default="")
        ),
        migrations.AddField(
            model_name="event", name="actor_digest", field=chain_field(blank=True, default="")
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="event",
            name="chain_seq",
            field=models.BigIntegerField(editable=False, unique=True, verbose_name="chain position"),
        ),
    ]
