"""Rejected and duplicate complaints get the `closed_at` stamp that closed and withdrawn ones
always had (workflow.COMPLAINT_ENDED), so the retention job reaches them: backfilled from the
event that moved each one to its status (the latest, after an appeal), else its decision time.

The statuses are written out: a migration must not change with workflow.py.
"""

from django.db import migrations
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce

ENDED_BY_DECISION = ("rejected", "duplicate")


def stamp_closed_at(apps, schema_editor):
    Complaint = apps.get_model("complaints", "Complaint")
    Event = apps.get_model("complaints", "Event")
    db = schema_editor.connection.alias
    moved_at = (
        Event.objects.using(db)
        .filter(complaint=OuterRef("pk"), to_status=OuterRef("status"))
        .order_by("-chain_seq")
        .values("created_at")[:1]
    )
    Complaint.objects.using(db).filter(
        status__in=ENDED_BY_DECISION, closed_at__isnull=True
    ).update(closed_at=Coalesce(Subquery(moved_at), "decided_at", "updated_at"))


def unstamp_closed_at(apps, schema_editor):
    Complaint = apps.get_model("complaints", "Complaint")
    db = schema_editor.connection.alias
    Complaint.objects.using(db).filter(status__in=ENDED_BY_DECISION).update(closed_at=None)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0022_app_type")]

    operations = [migrations.RunPython(stamp_closed_at, unstamp_closed_at)]
