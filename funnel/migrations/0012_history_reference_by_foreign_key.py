# A history row points at its fact by a real foreign key again: measured on PostgreSQL
# (docs/benchmarks.md), the key costs an import of 100,000 rows less than 10 % more than
# the triggers of 0010, so the triggers go.

import importlib

import django.db.models.deletion
from django.db import migrations, models

# Only to put the triggers back when this migration is reversed.
TRIGGERS = importlib.import_module("funnel.migrations.0010_history_reference_by_triggers")


class Migration(migrations.Migration):

    dependencies = [
        ('funnel', '0011_facts_by_team_on_the_day'),
    ]

    operations = [
        migrations.RunPython(TRIGGERS.drop_triggers, TRIGGERS.create_triggers),
        migrations.AlterField(
            model_name='factchange',
            name='fact',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='changes', to='funnel.dailyfact', verbose_name='fact'),
        ),
    ]
