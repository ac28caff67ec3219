"""PostgreSQL only: the events table refuses DELETE, as it refuses UPDATE (0017), and
TRUNCATE unless the session says it may (appwatch.allow_truncate, which only the test
settings set on their connections: pytest-django empties every table between transactional
tests with TRUNCATE).

Nothing in the application deletes events: the ORM refuses (EventQuerySet.delete), a complaint
or case with events is PROTECTed (0025), erasure rewrites personal fields in place (0017's
redaction) and retention goes through erasure. So DELETE has no exception at all; a superuser
can still switch triggers off, which `audit_verify` then shows (the sealed head, 0025).
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION complaints_event_refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('appwatch.allow_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'Events are append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER complaints_event_refuse_delete BEFORE DELETE ON complaints_event
    FOR EACH ROW EXECUTE FUNCTION complaints_event_refuse_delete();
CREATE TRIGGER complaints_event_refuse_truncate BEFORE TRUNCATE ON complaints_event
    FOR EACH STATEMENT EXECUTE FUNCTION complaints_event_refuse_delete();
"""

DROP = """
DROP TRIGGER IF EXISTS complaints_event_refuse_truncate ON complaints_event;
DROP TRIGGER IF EXISTS complaints_event_refuse_delete ON complaints_event;
DROP FUNCTION IF EXISTS complaints_event_refuse_delete();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0025_audit_chain_head")]

    operations = [migrations.RunPython(forward, backward)]
