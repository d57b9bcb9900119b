import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

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
