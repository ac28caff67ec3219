"""A complaint's masked text is NULL when masking found no personal data (Complaint.masked_text
then reads the text itself), so most complaints store their text once instead of twice.

Existing copies are cleared; going back restores them.
"""

from django.db import migrations, models
from django.db.models import F


def clear_copies(apps, schema_editor):
    Complaint = apps.get_model("complaints", "Complaint")
    Complaint.objects.filter(description_masked=F("description")).update(description_masked=None)


def restore_copies(apps, schema_editor):
    Complaint = apps.get_model("complaints", "Complaint")
    Complaint.objects.filter(description_masked=None).update(description_masked=F("description"))


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0013_code_columns_c_collation"),
    ]

    operations = [
        migrations.AlterField(
            model_name="complaint",
            name="description_masked",
            field=models.TextField(
                blank=True, null=True, verbose_name="what happened (personal data masked)"
            ),
        ),
        migrations.RunPython(clear_copies, restore_copies),
    ]
