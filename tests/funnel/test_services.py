import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from funnel.models import DailyCount, DailyFact, FactChange
from funnel.services import ValueWrite, facts_write
from tests.factories import channel, write_fact

DAY = dt.date(2026, 11, 2)


def test_writing_a_day_creates_one_fact_with_counts_and_money(manager_a):
    write_fact(manager_a, "active", DAY, first_contacts=10, meetings_set=3, revenue="1500.50")
    fact = DailyFact.objects.get()
    assert fact.revenue == Decimal("1500.50")
    counts = {c.indicator.code: c.value for c in DailyCount.objects.select_related("indicator")}
    assert counts == {"first_contacts": 10, "meetings_set": 3}


def test_saving_again_overwrites_and_keeps_untouched_values(manager_a):
    write_fact(manager_a, "active", DAY, first_contacts=10, revenue="100")
    write_fact(manager_a, "active", DAY, first_contacts=12)
    assert DailyFact.objects.count() == 1
    fact = DailyFact.objects.get()
    assert fact.revenue == Decimal("100.00")
    assert fact.counts.get().value == 12


def test_every_change_is_recorded_with_old_and_new_value(manager_a, head1):
    write_fact(manager_a, "active", DAY, first_contacts=10)
    write_fact(manager_a, "active", DAY, first_contacts=12, by=head1)
    latest, first = FactChange.objects.order_by("-id")[:2]
    assert (first.old_value, first.new_value, first.changed_by) == (None, 10, manager_a)
    assert (latest.old_value, latest.new_value, latest.changed_by) == (10, 12, head1)


def test_writing_the_same_value_again_changes_nothing(manager_a):
    write_fact(manager_a, "active", DAY, first_contacts=10, revenue="5.00")
    result = write_fact(manager_a, "active", DAY, first_contacts=10, revenue="5")
    assert (result.changed, result.unchanged) == (0, 2)
    assert FactChange.objects.count() == 2


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        ("first_contacts", "-1", "negative"),
        ("first_contacts", "1.5", "whole number"),
        ("revenue", "1.005", "2 decimal places"),
        ("leads_received", "1", "Unknown indicator"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(manager_a, code, value, message):
    writes = [
        ValueWrite(DAY, manager_a.pk, channel("active").pk, "meetings_set", Decimal(1)),
        ValueWrite(DAY, manager_a.pk, channel("active").pk, code, Decimal(value)),
    ]
    with pytest.raises(ValidationError, match=message):
        facts_write(writes=writes, by=manager_a, source="form")
    assert not DailyFact.objects.exists()
    assert not FactChange.objects.exists()


def test_a_count_written_as_int_and_money_written_as_int_are_stored_exactly(manager_a):
    ch = channel("active").pk
    writes = [
        ValueWrite(DAY, manager_a.pk, ch, "first_contacts", 3),
        ValueWrite(DAY, manager_a.pk, ch, "revenue", 1500),
        ValueWrite(DAY, manager_a.pk, ch, "payments_count", Decimal("2.00")),
    ]
    result = facts_write(writes=writes, by=manager_a, source="form")
    fact = DailyFact.objects.get()
    assert (fact.revenue, fact.payments_count) == (Decimal("1500.00"), 2)
    assert fact.counts.get().value == 3
    # Daily and monthly totals: 3 codes × (team, everyone) each; the per-manager pivot: its
    # day, half-week, week and month rows.
    assert (result.changed, result.unchanged, result.totals) == (3, 0, 6 + 6 + 4)


def test_the_last_of_two_writes_of_one_value_wins(manager_a):
    ch = channel("active").pk
    writes = [
        ValueWrite(DAY, manager_a.pk, ch, "first_contacts", 3),
        ValueWrite(DAY, manager_a.pk, ch, "first_contacts", 5),
    ]
    facts_write(writes=writes, by=manager_a, source="import")
    assert DailyCount.objects.get().value == 5
    assert FactChange.objects.get().new_value == 5


def test_history_of_money_starts_from_zero_and_of_counts_from_nothing(manager_a):
    write_fact(manager_a, "active", DAY, first_contacts=0, revenue="0.10")
    changes = {c.code: (c.old_value, c.new_value) for c in FactChange.objects.all()}
    assert changes == {"first_contacts": (None, 0), "revenue": (0, Decimal("0.10"))}


def test_the_saved_fact_records_who_changed_it_last(manager_a, head1):
    write_fact(manager_a, "active", DAY, first_contacts=1)
    write_fact(manager_a, "active", DAY, meetings_set=1, by=head1)
    fact = DailyFact.objects.get()
    assert fact.updated_by == head1
    assert fact.updated_at >= fact.created_at


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        ("revenue", "1000000000000", "too large"),
        ("first_contacts", "2147483648", "too large"),
        ("first_contacts", "abc", "Enter a number"),
        ("revenue", "NaN", "Enter a number"),
    ],
)
def test_values_out_of_the_columns_range_or_not_numbers_are_refused(
    manager_a, code, value, message
):
    write = ValueWrite(DAY, manager_a.pk, channel("active").pk, code, value)
    with pytest.raises(ValidationError, match=message):
        facts_write(writes=[write], by=manager_a, source="import")
    assert not DailyFact.objects.exists()


def test_an_unknown_manager_or_channel_is_refused(manager_a):
    ch = channel("active").pk
    with pytest.raises(ValidationError, match="Unknown manager"):
        facts_write(writes=[ValueWrite(DAY, 99999, ch, "revenue", 1)], by=None, source="import")
    with pytest.raises(ValidationError, match="Unknown channel"):
        facts_write(
            writes=[ValueWrite(DAY, manager_a.pk, 99999, "revenue", 1)], by=None, source="import"
        )
    assert not DailyFact.objects.exists()


def test_nothing_to_write_writes_nothing(manager_a, django_assert_num_queries):
    with django_assert_num_queries(2):  # the savepoint and its release
        result = facts_write(writes=[], by=manager_a, source="form")
    assert (result.changed, result.unchanged, result.facts) == (0, 0, {})


def test_saving_one_cell_costs_a_fixed_number_of_queries(manager_a, django_assert_num_queries):
    ch = channel("active").pk
    write_fact(manager_a, "active", DAY, first_contacts=1)
    write = ValueWrite(DAY, manager_a.pk, ch, "first_contacts", 2)
    # savepoint, the catalogue's token (indicators and daily maxima: funnel.catalogue), lock
    # manager, lock fact (it exists: no insert), read counts, upsert count, update fact,
    # history, daily and monthly totals, the pivot (the catalogue's token again for the stage
    # order, upsert; PostgreSQL first takes its table lock against a concurrent reorder),
    # release savepoint (the plausibility check: 1 is below the floor, so no history)
    pivot_lock = 1 if connection.vendor == "postgresql" else 0
    with django_assert_num_queries(13 + pivot_lock):
        facts_write(writes=[write], by=manager_a, source="grid")
    # The same value again: nothing is written after the reads.
    with django_assert_num_queries(6):
        facts_write(writes=[write], by=manager_a, source="grid")


def test_a_large_write_costs_few_queries(manager_a, manager_a2, django_assert_max_num_queries):
    ch = channel("active").pk
    writes = [
        ValueWrite(DAY - dt.timedelta(days=day), manager.pk, ch, code, day + 1)
        for day in range(60)
        for manager in (manager_a, manager_a2)
        for code in ("first_contacts", "meetings_set", "revenue")
    ]
    # 20, and the plausibility check: the maxima per day, the history of the values above
    # the floor (their facts, their counts), the marked history rows.
    with django_assert_max_num_queries(24):
        result = facts_write(writes=writes, by=manager_a, source="import", confirm=True)
    assert result.changed == 360
