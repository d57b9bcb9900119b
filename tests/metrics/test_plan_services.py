import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from metrics.selectors import channel_catalogue
from plans.models import Plan, PlanChange
from plans.services import (
    ReasonRequired,
    month_parse,
    plan_set,
    plan_value_parse,
    plans_copy_previous,
)
from tests.factories import make_user

TODAY = dt.date(2026, 3, 16)
MARCH, APRIL, FEBRUARY = dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 2, 1)


@pytest.fixture
def active(db):
    return next(c for c in channel_catalogue() if c.code == "active")


def set_plan(manager, channel, head, *, month=APRIL, indicator="revenue", value="1000", **kw):
    return plan_set(
        month=month,
        manager=manager,
        channel=channel,
        indicator=indicator,
        raw_value=value,
        by=head,
        today=TODAY,
        **kw,
    )


def test_a_plan_for_a_month_not_started_changes_freely_without_history(manager_a, head1, active):
    set_plan(manager_a, active, head1, value="1000")
    set_plan(manager_a, active, head1, value="1 500,50")
    plan = Plan.objects.get()
    assert (plan.value, plan.updated_by) == (Decimal("1500.50"), head1)
    assert not PlanChange.objects.exists()


def test_a_draft_plan_can_be_cleared(manager_a, head1, active):
    set_plan(manager_a, active, head1, value="1000")
    result = set_plan(manager_a, active, head1, value="")
    assert result.plan is None
    assert not Plan.objects.exists()


def test_a_started_months_plan_needs_a_reason_and_nothing_is_written_without(
    manager_a, head1, active
):
    with pytest.raises(ReasonRequired):
        set_plan(manager_a, active, head1, month=MARCH, value="1000")
    assert not Plan.objects.exists()


def test_a_started_months_change_with_a_reason_is_recorded(manager_a, head1, active):
    Plan.objects.create(
        month=MARCH, channel=active, manager=manager_a, indicator="revenue", value=1000
    )
    set_plan(manager_a, active, head1, month=MARCH, value="1200", reason="Big client moved")
    change = PlanChange.objects.get()
    assert (change.old_value, change.new_value) == (Decimal("1000.00"), Decimal("1200.00"))
    assert (change.reason, change.changed_by) == ("Big client moved", head1)
    assert Plan.objects.get().value == Decimal("1200.00")


def test_the_first_day_of_the_month_already_freezes_it(manager_a, head1, active):
    with pytest.raises(ReasonRequired):
        plan_set(
            month=MARCH,
            manager=manager_a,
            channel=active,
            indicator="revenue",
            raw_value="5",
            by=head1,
            today=MARCH,
        )


def test_saving_the_same_value_in_a_started_month_needs_no_reason(manager_a, head1, active):
    Plan.objects.create(
        month=MARCH, channel=active, manager=manager_a, indicator="revenue", value=1000
    )
    result = set_plan(manager_a, active, head1, month=MARCH, value="1000.00")
    assert not result.changed
    assert not PlanChange.objects.exists()


def test_a_started_months_plan_cannot_be_removed(manager_a, head1, active):
    Plan.objects.create(
        month=MARCH, channel=active, manager=manager_a, indicator="revenue", value=1000
    )
    with pytest.raises(ValidationError, match="cannot be removed"):
        set_plan(manager_a, active, head1, month=MARCH, value="", reason="oops")
    assert Plan.objects.count() == 1


@pytest.mark.parametrize(
    ("indicator", "value", "message"),
    [
        ("revenue", "-5", "cannot be negative"),
        ("revenue", "abc", "Enter a number"),
        ("revenue", "1e400", "Enter a number"),  # no exponents: "1e9" is not a plan
        ("first_contacts", "1e9", "Enter a number"),
        ("revenue", "1000000000000", "too large"),
        ("revenue", "10000000000000", "too large"),
        ("revenue", "1.005", "2 decimal places"),
        ("first_contacts", "2.5", "whole number"),
        ("payments_count", "1.5", "whole number"),
        ("revenue", "NaN", "Enter a number"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(indicator, value, message):
    with pytest.raises(ValidationError, match=message):
        plan_value_parse(value, indicator=indicator)


def test_a_channel_the_manager_does_not_work_in_is_refused(head1, team1, active):
    inbound_only = make_user("inbound_only", team=team1, channels=("inbound",))
    with pytest.raises(ValidationError, match="does not work in the channel"):
        set_plan(inbound_only, active, head1)
    assert not Plan.objects.exists()


def test_an_indicator_of_another_channel_is_refused(manager_a, head1, active):
    with pytest.raises(ValidationError, match="is not an indicator of the channel"):
        set_plan(manager_a, active, head1, indicator="leads_received", value="10")


@pytest.mark.parametrize("raw", ["2026-13", "March", "2026-3-1", "26-03"])
def test_a_month_in_a_bad_format_is_refused(raw):
    with pytest.raises(ValidationError, match="YYYY-MM"):
        month_parse(raw, default=TODAY)


def test_copy_last_month_fills_only_empty_cells(manager_a, manager_a2, head1, active):
    for manager, indicator, value in (
        (manager_a, "revenue", 1000),
        (manager_a, "first_contacts", 100),
        (manager_a2, "revenue", 2000),
    ):
        Plan.objects.create(
            month=MARCH, channel=active, manager=manager, indicator=indicator, value=value
        )
    Plan.objects.create(
        month=APRIL, channel=active, manager=manager_a, indicator="revenue", value=1500
    )
    result = plans_copy_previous(
        month=APRIL, managers=[manager_a, manager_a2], by=head1, today=TODAY
    )
    assert (result.created, result.kept) == (2, 1)
    april = {(p.manager_id, p.indicator): p.value for p in Plan.objects.filter(month=APRIL)}
    assert april == {
        (manager_a.pk, "revenue"): Decimal("1500.00"),
        (manager_a.pk, "first_contacts"): Decimal("100.00"),
        (manager_a2.pk, "revenue"): Decimal("2000.00"),
    }
    assert not PlanChange.objects.exists()
    again = plans_copy_previous(
        month=APRIL, managers=[manager_a, manager_a2], by=head1, today=TODAY
    )
    assert (again.created, again.kept) == (0, 3)


def test_copy_skips_channels_the_manager_left(manager_a, head1, active):
    Plan.objects.create(
        month=MARCH, channel=active, manager=manager_a, indicator="revenue", value=1000
    )
    manager_a.channels.remove(active)
    result = plans_copy_previous(month=APRIL, managers=[manager_a], by=head1, today=TODAY)
    assert result.created == 0
    assert not Plan.objects.filter(month=APRIL).exists()


def test_copy_into_a_started_month_needs_a_reason_and_is_recorded(manager_a, head1, active):
    Plan.objects.create(
        month=FEBRUARY, channel=active, manager=manager_a, indicator="revenue", value=1000
    )
    with pytest.raises(ReasonRequired):
        plans_copy_previous(month=MARCH, managers=[manager_a], by=head1, today=TODAY)
    assert not Plan.objects.filter(month=MARCH).exists()
    plans_copy_previous(
        month=MARCH, managers=[manager_a], by=head1, today=TODAY, reason="Forgot to plan"
    )
    change = PlanChange.objects.get()
    assert (change.old_value, change.new_value, change.reason) == (
        None,
        Decimal("1000.00"),
        "Forgot to plan",
    )
