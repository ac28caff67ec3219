"""Contact details encrypted at rest, and the blind index of the address (complaints/encryption.py).

The columns become text first (a Fernet token is longer than the values it hides), the rows
that hold a contact detail are encrypted in batches, and only then does the model read them
through the encrypting field.
"""

from django.db import migrations, models
from django.db.models import Q

import complaints.encryption

FIELDS = ("contact_name", "contact_phone", "contact_email")
BATCH = 2000


def _with_contact(Complaint):
    return Complaint.objects.filter(
        ~Q(contact_name="") | ~Q(contact_phone="") | ~Q(contact_email="")
    ).only("id", *FIELDS)


def encrypt_rows(apps, schema_editor):
    from complaints.encryption import email_index, encrypt

    Complaint = apps.get_model("complaints", "Complaint")
    batch = []
    for complaint in _with_contact(Complaint).iterator(chunk_size=BATCH):
        complaint.contact_email_index = email_index(complaint.contact_email)
        for field in FIELDS:
            setattr(complaint, field, encrypt(getattr(complaint, field)))
        batch.append(complaint)
        if len(batch) == BATCH:
            Complaint.objects.bulk_update(batch, [*FIELDS, "contact_email_index"])
            batch = []
    Complaint.objects.bulk_update(batch, [*FIELDS, "contact_email_index"])


def decrypt_rows(apps, schema_editor):
    from complaints.encryption import decrypt

    Complaint = apps.get_model("complaints", "Complaint")
    batch = []
    for complaint in _with_contact(Complaint).iterator(chunk_size=BATCH):
        for field in FIELDS:
            setattr(complaint, field, decrypt(getattr(complaint, field)))
        batch.append(complaint)
    Complaint.objects.bulk_update(batch, FIELDS, batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0019_event_hash_chain"),
    ]

    operations = [
        migrations.AddField(
            model_name="complaint",
            name="contact_email_index",
            field=models.CharField(
                blank=True, editable=False, max_length=64, verbose_name="contact email index"
            ),
        ),
        migrations.AlterField(
            model_name="complaint",
            name="contact_name",
            field=models.TextField(blank=True, verbose_name="contact name"),
        ),
        migrations.AlterField(
            model_name="complaint",
            name="contact_phone",
            field=models.TextField(blank=True, verbose_name="contact phone"),
        ),
        migrations.AlterField(
            model_name="complaint",
            name="contact_email",
            field=models.TextField(blank=True, verbose_name="contact email"),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows),
        migrations.AlterField(
            model_name="complaint",
            name="contact_name",
            field=complaints.encryption.EncryptedTextField(
                blank=True, max_length=100, verbose_name="contact name"
            ),
        ),
        migrations.AlterField(
            model_name="complaint",
            name="contact_phone",
            field=complaints.encryption.EncryptedTextField(
                blank=True, max_length=32, verbose_name="contact phone"
            ),
        ),
        migrations.AlterField(
            model_name="complaint",
            name="contact_email",
            field=complaints.encryption.EncryptedTextField(
                blank=True, max_length=254, verbose_name="contact email"
            ),
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(
                condition=Q(submitter__isnull=True) & ~Q(contact_email_index=""),
                fields=["contact_email_index"],
                name="complaint_claim_by_email",
            ),
        ),
    ]
