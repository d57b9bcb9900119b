"""Fill the monthly totals and the per-manager pivot of a database that already has facts.

Both tables are derived from the facts; a database upgraded from before they existed gets
them computed once here (on a fresh database there is nothing to do).
"""

from django.db import migrations


def fill(apps, schema_editor):
    if not apps.get_model("funnel", "DailyFact").objects.exists():
        return
    from funnel.totals import totals_rebuild

    totals_rebuild()


class Migration(migrations.Migration):
    dependencies = [("funnel", "0006_month_totals")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
