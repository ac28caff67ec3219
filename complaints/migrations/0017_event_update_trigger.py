"""PostgreSQL only: the events table refuses UPDATE unless the transaction says it is redacting.

Event.objects.redact() (the erasure of a consumer's personal data) turns the transaction-local
setting appwatch.redaction on for its one UPDATE. The other UPDATE let through is the one
Django sends when a user account is deleted: the actor column set to NULL (on_delete=SET_NULL),
every other column unchanged. DELETE is not affected (complaints and cases cascade).
"""

from django.db import migrations

FUNCTION = "complaints_event_refuse_update"
TRIGGER = "complaints_event_refuse_update"

CREATE = f"""
CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON complaints_event
    FOR EACH ROW EXECUTE FUNCTION {FUNCTION}();
"""

DROP = f"""
DROP TRIGGER IF EXISTS {TRIGGER} ON complaints_event;
DROP FUNCTION IF EXISTS {FUNCTION}();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0016_verified_email")]

    operations = [migrations.RunPython(forward, backward)]
