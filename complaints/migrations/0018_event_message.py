"""Event.message: the system's sentences as a message id and parameters, put into words in the
reader's language (models/event_messages.py). Existing rows whose reason is one of those
sentences, in English or Chinese, are read back into a message and their reason emptied; any
other text (what people typed, sentences that no longer match) stays as it is.

On PostgreSQL the append-only trigger (0017) refuses UPDATE unless the transaction-local
setting appwatch.redaction is on; this one-time upgrade turns it on for its own transaction.
"""

from django.db import migrations, models
from django.utils import translation

from complaints.models import event_messages

BATCH = 2000


def _templates() -> list[dict[str, str]]:
    found = []
    for language in ("en", "zh-hans"):
        with translation.override(language):
            found.append(
                {key: translation.gettext(text) for key, text in event_messages.MESSAGES.items()}
            )
    return found


def _reject_labels() -> dict[str, str]:
    """Each reject reason's label, in both languages, to its code (before this migration a
    rejection without a note said only the label)."""
    from complaints.models import Complaint

    labels = {}
    for code, label in Complaint.RejectReason.choices:
        for language in ("en", "zh-hans"):
            with translation.override(language):
                labels[str(label)] = code
    return labels


def messages_from_reasons(apps, schema_editor):
    Event = apps.get_model("complaints", "Event")
    Category = apps.get_model("complaints", "Category")
    db = schema_editor.connection.alias
    categories = {}
    for code, name_en, name_zh in Category.objects.using(db).values_list(
        "code", "name_en", "name_zh"
    ):
        categories.update({code: code, name_en: code, name_zh: code})
    languages = _templates()
    reject_labels = _reject_labels()
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SELECT set_config('appwatch.redaction', 'on', true)", params=None)
    rows = Event.objects.using(db).exclude(reason="").order_by("pk")
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last)[:BATCH])
        if not batch:
            break
        last = batch[-1].pk
        changed = []
        for event in batch:
            if event.message:
                continue
            found = None
            code = reject_labels.get(event.reason.strip())
            if event.to_status == "rejected" and code and event.data.get("reject_reason") == code:
                found = {"id": "rejected", "params": {"reject_reason": code}}
            for templates in languages:
                found = found or event_messages.message_parse(event.reason, templates, categories)
            if found:
                event.message, event.reason = found, ""
                changed.append(event)
        Event.objects.using(db).bulk_update(changed, ["message", "reason"])
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SELECT set_config('appwatch.redaction', 'off', true)", params=None)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0017_event_update_trigger")]

    operations = [
        migrations.AddField(
            model_name="event",
            name="message",
            field=models.JSONField(blank=True, default=dict, verbose_name="message"),
        ),
        migrations.RunPython(messages_from_reasons, migrations.RunPython.noop),
    ]
