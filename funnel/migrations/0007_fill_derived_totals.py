"""Formerly filled the monthly totals and the per-manager pivot of a database that already
had facts, by calling the application's rebuild. A migration must not run live code (it
changes under it), so the step is now a no-op: a database upgraded across this migration
runs `python manage.py totals_rebuild` after the deploy (README, "Upgrading"). A fresh
database has nothing to fill.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("funnel", "0006_month_totals")]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
