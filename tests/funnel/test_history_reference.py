"""History rows point at existing facts by a foreign key (migration 0012 replaced the
triggers of 0010: on PostgreSQL the key costs an import under 10 % more than they did)."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from funnel.models import DailyFact, FactChange
from tests.factories import write_fact

DAY = dt.date(2026, 11, 2)
TRIGGERS = {
    "funnel_factchange_fact_exists_insert",
    "funnel_factchange_fact_exists_update",
    "funnel_dailyfact_keeps_history",
}
HISTORY = FactChange._meta.db_table


def triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()}


def test_the_reference_is_a_foreign_key_and_the_triggers_are_gone(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, HISTORY)
    assert any(
        c["foreign_key"] == (DailyFact._meta.db_table, "id") and c["columns"] == ["fact_id"]
        for c in constraints.values()
    )
    assert not triggers() & TRIGGERS


def assert_refused(write) -> None:
    """`write` breaks the key: checked at commit (DEFERRABLE INITIALLY DEFERRED), checked
    here at once, then rolled back."""
    with transaction.atomic():
        write()
        with pytest.raises(IntegrityError):
            connection.check_constraints(table_names=[HISTORY])
        transaction.set_rollback(True)


def test_a_history_row_of_a_missing_fact_is_refused(manager_a):
    write_fact(manager_a, "active", DAY, first_contacts=1)
    change = FactChange.objects.get()
    missing = change.fact_id + 1000
    assert_refused(
        lambda: FactChange.objects.create(fact_id=missing, code="x", new_value=1, source="form")
    )
    assert_refused(lambda: FactChange.objects.filter(pk=change.pk).update(fact_id=missing))
    assert FactChange.objects.get().fact_id == change.fact_id


def test_a_fact_with_history_is_not_deleted_behind_the_orms_back(manager_a):
    write_fact(manager_a, "active", DAY, first_contacts=1)
    fact = DailyFact.objects.get()
    table = connection.ops.quote_name(DailyFact._meta.db_table)

    def delete():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [fact.pk])

    assert_refused(delete)
    assert DailyFact.objects.filter(pk=fact.pk).exists()
    # The ORM deletes the history first, as the foreign key's CASCADE says.
    fact.delete()
    assert not FactChange.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL storage option")
def test_rewritten_tables_leave_room_for_in_place_updates(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname LIKE 'funnel_%%' "
            "AND 'fillfactor=70' = ANY(reloptions)"
        )
        roomy = {name for (name,) in cursor.fetchall()}
    assert {
        "funnel_dailycount",
        "funnel_dailyfact",
        "funnel_dailytotal",
        "funnel_monthtotal",
        "funnel_managertotal",
    } <= roomy
