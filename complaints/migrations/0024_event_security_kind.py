"""Audit events of kind "security": staff log-in's second factor set up, used or removed."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0023_closed_at_for_rejected_and_duplicate'),
    ]

    operations = [
        migrations.AlterField(
            model_name='event',
            name='kind',
            field=models.CharField(choices=[('transition', 'status change'), ('created', 'created'), ('labels', 'labels changed'), ('note', 'note'), ('message', 'message'), ('evidence', 'evidence added'), ('erasure', 'personal data erased'), ('assignment', 'assignment'), ('alert', 'alert'), ('security', 'account security')], default='transition', max_length=12, verbose_name='kind'),
        ),
    ]
