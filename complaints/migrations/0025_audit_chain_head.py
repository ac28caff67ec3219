"""The audit chain's sealed head (complaints/models/audit_chain.py): the table, and the head of
the chain as it stands, sealed under AUDIT_CHAIN_KEY. Events of a complaint or case now
PROTECT it: deleting one with history raises instead of cascading into the log.
"""

import django.db.models.deletion
from django.db import migrations, models

from complaints.models import audit_chain


def seal_current_head(apps, schema_editor):
    Event = apps.get_model("complaints", "Event")
    db = schema_editor.connection.alias
    last = Event.objects.using(db).order_by("-chain_seq").values_list("chain_seq", "row_hash")
    found = last.first()
    if found is not None:
        audit_chain.chain_head_store(db, audit_chain.ChainHead(*found), previous=found[0])


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0024_event_security_kind'),
    ]

    operations = [
        migrations.AlterField(
            model_name='event',
            name='case',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='complaints.case'),
        ),
        migrations.AlterField(
            model_name='event',
            name='complaint',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='complaints.complaint'),
        ),
        migrations.CreateModel(
            name='AuditChainHead',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('length', models.BigIntegerField(verbose_name='length')),
                ('last_hash', models.CharField(max_length=64, verbose_name='last hash')),
                ('broken_at', models.BigIntegerField(blank=True, null=True, verbose_name='broken at')),
                ('seal', models.CharField(max_length=64)),
            ],
            options={
                'verbose_name': 'audit chain head',
                'db_table': 'complaints_auditchainhead',
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='audit_chain_head_one_row')],
            },
        ),
        migrations.RunPython(seal_current_head, migrations.RunPython.noop),
    ]
