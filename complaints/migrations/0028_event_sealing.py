"""Events written unchained and sealed later (complaints/models/audit_chain.py, "Sealing"): the
chain fields may be NULL until the sealer sets them, a content seal per row, an index of the
rows waiting, and on PostgreSQL the UPDATE trigger (0017) rewritten to let exactly the sealer's
change through: the three chain fields from NULL to set, once, every other column unchanged.

The redaction exception is narrowed on the way to what redaction writes (the reason, the
actor, the salt), and the account deletion's (the actor set to NULL) stays.
"""

from django.db import migrations, models
from django.db.models import Q

FUNCTION = "complaints_event_refuse_update"

CHAIN = "'chain_seq' - 'prev_hash' - 'row_hash'"

SEALING = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('appwatch.redaction', true) = 'on'
       AND (to_jsonb(NEW) - 'reason' - 'actor_id' - 'personal_salt')
           = (to_jsonb(OLD) - 'reason' - 'actor_id' - 'personal_salt') THEN
        RETURN NEW;
    END IF;
    IF NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    IF OLD.chain_seq IS NULL AND OLD.prev_hash IS NULL AND OLD.row_hash IS NULL
       AND NEW.chain_seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.row_hash IS NOT NULL
       AND (to_jsonb(NEW) - {CHAIN}) = (to_jsonb(OLD) - {CHAIN}) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'Events are append-only: UPDATE on % is refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""

# 0017's function, for the way back.
APPEND_ONLY = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('appwatch.redaction', true) = 'on' THEN
        RETURN NEW;
    END IF;
    IF NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'Events are append-only: UPDATE on % is refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEALING, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY, params=None)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0027_trigger_rule_inspection_request")]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="chain_seq",
            field=models.BigIntegerField(
                blank=True, editable=False, null=True, unique=True, verbose_name="chain position"
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="prev_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True),
        ),
        migrations.AlterField(
            model_name="event",
            name="row_hash",
            field=models.CharField(
                blank=True, editable=False, max_length=64, null=True, verbose_name="hash"
            ),
        ),
        migrations.AddField(
            model_name="event",
            name="content_seal",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=64
            ),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                condition=Q(chain_seq__isnull=True), fields=["id"], name="event_unsealed"
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
