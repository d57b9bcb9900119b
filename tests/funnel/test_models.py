import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from funnel.models import DailyCount, DailyFact, Indicator
from plans.models import MonthlyExpense, Plan
from tests.factories import channel

DAY = dt.date(2026, 11, 2)
MONTH = dt.date(2026, 11, 1)


def refused(make) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def fact(manager, **fields) -> DailyFact:
    return DailyFact.objects.create(date=DAY, manager=manager, channel=channel("active"), **fields)


def test_one_fact_per_manager_channel_and_day(manager_a):
    fact(manager_a)
    refused(lambda: fact(manager_a))
    assert DailyFact.objects.count() == 1


@pytest.mark.parametrize("field", ["invoiced_amount", "revenue", "variable_costs"])
def test_money_cannot_be_negative(manager_a, field):
    refused(lambda: fact(manager_a, **{field: Decimal("-0.01")}))


def test_payments_count_cannot_be_negative(manager_a):
    refused(lambda: fact(manager_a, payments_count=-1))


def test_a_count_cannot_be_negative_nor_doubled(manager_a):
    day = fact(manager_a)
    stage = Indicator.objects.get(channel__code="active", code="first_contacts")
    refused(lambda: DailyCount.objects.create(fact=day, indicator=stage, value=-1))
    DailyCount.objects.create(fact=day, indicator=stage, value=3)
    refused(lambda: DailyCount.objects.create(fact=day, indicator=stage, value=4))


def test_an_indicator_code_is_unique_within_its_channel(db):
    refused(
        lambda: Indicator.objects.create(
            channel=channel("active"), code="first_contacts", name_en="x", name_ru="x"
        )
    )
    Indicator.objects.create(channel=channel("inbound"), code="first_contacts", order=9)


def plan(**fields) -> Plan:
    values = {"month": MONTH, "channel": channel("active"), "indicator": "revenue", "value": 1}
    return Plan.objects.create(**(values | fields))


def test_a_plan_is_for_a_manager_or_a_team_never_both_nor_neither(manager_a, team1):
    refused(lambda: plan(manager=manager_a, team=team1))
    refused(lambda: plan())
    plan(manager=manager_a)
    plan(team=team1)
    assert Plan.objects.count() == 2


def test_a_plan_is_unique_per_month_channel_indicator_and_owner(manager_a, team1):
    plan(manager=manager_a)
    refused(lambda: plan(manager=manager_a, value=2))
    plan(team=team1)
    refused(lambda: plan(team=team1, value=2))


def test_a_plan_month_is_the_first_day_and_the_value_not_negative(manager_a):
    refused(lambda: plan(manager=manager_a, month=dt.date(2026, 11, 2)))
    refused(lambda: plan(manager=manager_a, value=-1))


def test_monthly_expenses_are_not_negative_and_one_per_month(db):
    refused(lambda: MonthlyExpense.objects.create(month=MONTH, expenses=-1))
    MonthlyExpense.objects.create(month=MONTH, expenses=10)
    refused(lambda: MonthlyExpense.objects.create(month=MONTH, reserves=1))
