"""History rows point at existing facts: triggers (migration 0010) stand in for the foreign
key, whose per-row check at commit cost 15 % of a large import."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from funnel.models import DailyFact, FactChange
from tests.factories import write_fact

DAY = dt.date(2026, 11, 2)
TRIGGERS = {"funnel_factchange_fact_exists_insert", "funnel_factchange_fact_exists_update"}


def triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()}


def test_the_triggers_exist(db):
    # On SQLite a migration that rebuilds either table drops its triggers: recreate them.
    expected = TRIGGERS | (
        {"funnel_dailyfact_keeps_history"} if connection.vendor == "postgresql" else set()
    )
    assert triggers() >= expected


def test_a_history_row_of_a_missing_fact_is_refused(manager_a):
    write_fact(manager_a, "active", DAY, first_contacts=1)
    change = FactChange.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        FactChange.objects.create(
            fact_id=change.fact_id + 1000, code="x", new_value=1, source="form"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        FactChange.objects.filter(pk=change.pk).update(fact_id=change.fact_id + 1000)
    assert FactChange.objects.get().fact_id == change.fact_id


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no guard on deletion (flush empties tables one by one)",
)
def test_a_fact_with_history_is_not_deleted_behind_the_orms_back(manager_a):
    write_fact(manager_a, "active", DAY, first_contacts=1)
    fact = DailyFact.objects.get()
    table = connection.ops.quote_name(DailyFact._meta.db_table)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [fact.pk])
    assert DailyFact.objects.filter(pk=fact.pk).exists()
    # The ORM deletes the history first, as the foreign key's CASCADE says.
    fact.delete()
    assert not FactChange.objects.exists()
