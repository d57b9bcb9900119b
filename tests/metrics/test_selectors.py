"""Sums in the database; the suite runs this file on SQLite and on PostgreSQL."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnel.models import ValueLimit
from metrics.compute import MoneySums
from metrics.plan_selectors import monthly_expenses, plan_sums
from metrics.selectors import (
    Scope,
    channel_catalogue,
    count_sums,
    counts_by_code,
    facts_in,
    money_sums,
    working_day_overrides,
)
from plans.models import MonthlyExpense, Plan
from teams.models import Team, User
from tests.factories import channel, make_user, write_fact

D = Decimal
MAR = dt.date(2026, 3, 1)
FEB = dt.date(2026, 2, 1)
MARCH = Scope(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
HYPOTHESIS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def users(*people):
    return User.objects.filter(pk__in=[p.pk for p in people])


@pytest.fixture
def large_money(db):
    """Sums are exact whatever their size: the active channel takes money far above the
    default daily maximum (an administrator sets such limits per channel and code)."""
    for code in ("invoiced_amount", "revenue", "variable_costs"):
        ValueLimit.objects.create(
            channel=channel("active"), code=code, max_per_day=D("999999999999.99")
        )


def test_counts_are_summed_per_channel_and_indicator(manager_a, manager_b):
    write_fact(manager_a, "active", dt.date(2026, 3, 2), first_contacts=10, meetings_set=2)
    write_fact(manager_a, "active", dt.date(2026, 3, 3), first_contacts=5)
    write_fact(manager_b, "active", dt.date(2026, 3, 3), first_contacts=1)
    write_fact(manager_b, "inbound", dt.date(2026, 3, 3), leads_received=7)
    write_fact(manager_b, "active", dt.date(2026, 4, 1), first_contacts=100)

    active = channel_catalogue((channel("active").pk,))[0]
    sums = count_sums(MARCH)
    assert counts_by_code(sums, active)["first_contacts"] == 16
    assert counts_by_code(sums, active)["meetings_set"] == 2
    assert counts_by_code(sums, active)["invoices_issued"] == 0
    only_b = count_sums(Scope(MARCH.date_from, MARCH.date_to, managers=users(manager_b)))
    assert counts_by_code(only_b, active)["first_contacts"] == 1


def test_money_is_summed_per_channel_exactly(large_money, manager_a, manager_a2):
    write_fact(manager_a, "active", dt.date(2026, 3, 2), revenue="0.10", payments_count=1)
    write_fact(manager_a2, "active", dt.date(2026, 3, 2), revenue="0.20", variable_costs="0.07")
    write_fact(manager_a, "active", dt.date(2026, 3, 3), revenue="12345678901.23")
    sums = money_sums(MARCH)
    assert sums == {
        (channel("active").pk,): MoneySums(
            invoiced_amount=D("0.00"),
            payments_count=1,
            revenue=D("12345678901.53"),
            variable_costs=D("0.07"),
        )
    }


def test_money_of_the_whole_scope_is_one_group_keyed_by_nothing(manager_a):
    assert money_sums(MARCH, group_by=()) == {}
    write_fact(manager_a, "active", dt.date(2026, 3, 2), revenue="1.10")
    write_fact(manager_a, "inbound", dt.date(2026, 3, 2), revenue="2.20", payments_count=2)
    assert money_sums(MARCH, group_by=()) == {(): MoneySums(D("0.00"), 2, D("3.30"), D("0.00"))}


def test_grouping_by_day_week_and_month_returns_dates_on_every_database(manager_a):
    # Monday 2 March and Sunday 8 March fall in one week; 1 March (Sunday) in the week before.
    for day, revenue in ((1, "1.00"), (2, "2.00"), (8, "4.00"), (31, "8.00")):
        write_fact(manager_a, "active", dt.date(2026, 3, day), revenue=revenue, first_contacts=1)
    write_fact(manager_a, "active", dt.date(2026, 2, 28), revenue="16.00")
    scope = Scope(dt.date(2026, 2, 1), dt.date(2026, 3, 31))
    by_week = {k: v.revenue for k, v in money_sums(scope, group_by=("week",)).items()}
    assert by_week == {
        (dt.date(2026, 2, 23),): D("17.00"),
        (dt.date(2026, 3, 2),): D("6.00"),
        (dt.date(2026, 3, 30),): D("8.00"),
    }
    by_month = {k: v.revenue for k, v in money_sums(scope, group_by=("month",)).items()}
    assert by_month == {(FEB,): D("16.00"), (MAR,): D("15.00")}
    first = channel("active").indicators.get(code="first_contacts").pk
    assert count_sums(scope, group_by=("month", "channel")) == {
        (MAR, channel("active").pk, first): 4,
    }
    by_day = count_sums(scope, group_by=("day",))
    assert by_day[(dt.date(2026, 3, 8), first)] == 1
    assert all(type(key[0]) is dt.date for key in by_day)


def test_facts_in_a_scope_include_both_ends_of_the_period(manager_a):
    for day in (dt.date(2026, 2, 28), MARCH.date_from, MARCH.date_to, dt.date(2026, 4, 1)):
        write_fact(manager_a, "active", day, first_contacts=1)
    assert sorted(f.date for f in facts_in(MARCH)) == [MARCH.date_from, MARCH.date_to]


def test_scope_sums_cost_one_query_each_whatever_the_number_of_managers_and_days(
    manager_a, manager_a2, manager_b, django_assert_num_queries
):
    for person in (manager_a, manager_a2, manager_b):
        for day in range(2, 12):
            write_fact(person, "active", dt.date(2026, 3, day), first_contacts=day, revenue="1.00")
    with django_assert_num_queries(1):
        count_sums(MARCH, group_by=("manager", "week", "channel"))
    with django_assert_num_queries(1):
        money_sums(Scope(MARCH.date_from, MARCH.date_to, managers=users(manager_a, manager_b)))
    with django_assert_num_queries(1):  # the catalogue's token (funnel.catalogue)
        channel_catalogue()


def test_the_catalogue_lists_active_channels_in_order_with_stages_and_activities(db):
    partner = channel("partner")
    partner.is_active = False
    partner.save()
    catalogue = channel_catalogue()
    assert [c.code for c in catalogue] == ["active", "inbound", "repeat_vip"]
    assert [i.code for i in catalogue[0].stage_list] == [
        "first_contacts",
        "meetings_set",
        "negotiations_held",
        "proposals_sent",
        "contracts_agreed",
        "invoices_issued",
    ]
    assert [i.code for i in catalogue[0].activity_list] == [
        "prospects_added",
        "contact_attempts",
        "proposals_reviewed",
    ]
    assert [c.code for c in channel_catalogue(include_inactive=True)][-1] == "partner"


def test_each_catalogue_is_the_callers_own_copy_and_follows_a_change(db):
    first = channel_catalogue()
    first[0].colour = "#000001"
    first[0].stage_list.clear()
    first[0].activity_list[0].order = 999
    again = channel_catalogue()
    # Nothing one request sets reaches the next (the catalogue is the process's).
    assert again[0] is not first[0]
    assert again[0].colour != "#000001"
    assert len(again[0].stage_list) == 6
    assert again[0].activity_list[0].order != 999
    # An indicator's channel is the copy it is listed under.
    assert all(i.channel is again[0] for i in (*again[0].stage_list, *again[0].activity_list))
    # A saved change is seen by the next call.
    inbound = channel("inbound")
    inbound.colour = "#123456"
    inbound.save()
    assert channel_catalogue((inbound.pk,))[0].colour == "#123456"


# --- plans ------------------------------------------------------------------------------


def plan(month, who, indicator, value, code="active"):
    owner = {"team": who} if who.__class__.__name__ == "Team" else {"manager": who}
    return Plan.objects.create(
        month=month, channel=channel(code), indicator=indicator, value=D(value), **owner
    )


@pytest.fixture
def plans(team1, team2, manager_a, manager_a2, manager_b):
    plan(MAR, team1, "revenue", "500.00")
    plan(MAR, manager_a, "revenue", "300.00")
    plan(MAR, manager_a2, "revenue", "150.00")
    plan(MAR, manager_a, "payments_count", "10")
    plan(MAR, manager_a2, "payments_count", "5")
    plan(MAR, manager_b, "revenue", "100.00")
    plan(FEB, manager_b, "revenue", "90.00")
    plan(MAR, manager_b, "leads_received", "40", code="inbound")


def active_plans(scope):
    active = channel("active").pk
    return {(m, ind): v for (m, ch, ind), v in plan_sums(scope=scope).items() if ch == active}


def march_for(managers):
    return Scope(MARCH.date_from, MARCH.date_to, managers=managers)


def test_a_manager_is_planned_by_own_plans(plans, manager_a):
    assert active_plans(march_for(users(manager_a))) == {
        (MAR, "revenue"): D("300.00"),
        (MAR, "payments_count"): D("10.00"),
    }


def team_march(*teams):
    return Scope(
        MARCH.date_from, MARCH.date_to, teams=Team.objects.filter(pk__in=[t.pk for t in teams])
    )


def test_a_team_is_planned_by_its_team_plan_else_by_the_sum_of_its_managers(
    plans, team1, manager_a, manager_a2
):
    assert active_plans(team_march(team1)) == {
        (MAR, "revenue"): D("500.00"),
        (MAR, "payments_count"): D("15.00"),
    }


def test_chosen_managers_are_planned_by_their_own_plans(plans, manager_a, manager_b):
    assert active_plans(march_for(users(manager_a, manager_b))) == {
        (MAR, "revenue"): D("400.00"),
        (MAR, "payments_count"): D("10.00"),
    }


def test_the_whole_department_is_the_sum_of_team_plans(plans, team1, team2):
    expected = {(MAR, "revenue"): D("600.00"), (MAR, "payments_count"): D("15.00")}
    assert active_plans(MARCH) == expected
    assert active_plans(team_march(team1, team2)) == expected


def test_people_who_left_keep_their_plans_in_their_team(plans, team1, manager_a2):
    manager_a2.is_active = False
    manager_a2.save()
    assert active_plans(team_march(team1))[(MAR, "payments_count")] == D("15.00")


def test_a_manager_who_moved_mid_month_plans_each_team_by_working_days(
    plans, team1, team2, manager_a
):
    # March 2026: 22 working days; from Monday 16 March on (12 of them) in team 2.
    manager_a.team = team2
    manager_a.team_since = dt.date(2026, 3, 16)
    manager_a.save()
    assert active_plans(team_march(team1)) == {
        (MAR, "revenue"): D("500.00"),  # the team plan stands
        (MAR, "payments_count"): D(10) * 10 / 22 + D(5),
    }
    # Team 2 has no team plan: manager_b's 100 and manager_a's 300 × 12/22.
    assert active_plans(team_march(team2))[(MAR, "revenue")] == D(100) + D(300) * 12 / 22
    # The person's own plan follows the person, whole.
    assert active_plans(march_for(users(manager_a)))[(MAR, "revenue")] == D("300.00")
    # Company = Σ teams.
    assert active_plans(MARCH)[(MAR, "revenue")] == D(500) + D(100) + D(300) * 12 / 22


def test_a_teamless_manager_brings_own_plans_to_the_department(plans):
    loner = make_user("loner")
    plan(MAR, loner, "revenue", "7.00")
    assert active_plans(MARCH)[(MAR, "revenue")] == D("607.00")


def test_plans_cover_the_months_of_the_period_and_its_channels(plans, manager_b):
    scope = Scope(dt.date(2026, 2, 15), dt.date(2026, 3, 10), managers=users(manager_b))
    assert plan_sums(scope=scope) == {
        (FEB, channel("active").pk, "revenue"): D("90.00"),
        (MAR, channel("active").pk, "revenue"): D("100.00"),
        (MAR, channel("inbound").pk, "leads_received"): D("40.00"),
    }
    inbound_only = Scope(MARCH.date_from, MARCH.date_to, channel_ids=(channel("inbound").pk,))
    assert plan_sums(scope=inbound_only) == {
        (MAR, channel("inbound").pk, "leads_received"): D("40.00")
    }
    assert plan_sums(scope=scope, months=[dt.date(2026, 1, 1)]) == {}


def test_plan_sums_cost_a_fixed_number_of_queries(plans, team1, django_assert_num_queries):
    # Plans, and the memberships of the managers with a plan.
    with django_assert_num_queries(2):
        plan_sums(scope=MARCH)
    # And the team's key.
    with django_assert_num_queries(3):
        plan_sums(scope=team_march(team1))


# --- company level ------------------------------------------------------------------------


def test_company_money_by_month_sums_every_fact(manager_a, manager_b):
    # As the company's sums per month are read: every fact, grouped by month.
    write_fact(manager_a, "active", dt.date(2026, 2, 27), revenue="100.00", variable_costs="1.00")
    write_fact(manager_b, "inbound", dt.date(2026, 3, 2), revenue="50.50")
    write_fact(manager_a, "active", dt.date(2026, 3, 31), revenue="0.50", variable_costs="0.25")
    sums = money_sums(Scope(FEB, dt.date(2026, 3, 31)), group_by=("month",))
    assert {m: (s.revenue, s.variable_costs) for (m,), s in sums.items()} == {
        FEB: (D("100.00"), D("1.00")),
        MAR: (D("51.00"), D("0.25")),
    }


def test_monthly_expenses_are_read_per_month(db):
    MonthlyExpense.objects.create(month=MAR, expenses=D("10.00"), reserves=D("2.50"))
    assert list(monthly_expenses(months=[FEB, MAR])) == [MAR]
    assert monthly_expenses(months=[MAR])[MAR].reserves == D("2.50")


def test_working_day_overrides_come_from_the_holiday_list(db):
    from plans.models import Holiday

    Holiday.objects.create(date=dt.date(2026, 3, 9), name="Women's day (moved)")
    Holiday.objects.create(date=dt.date(2026, 3, 7), is_working_day=True)
    Holiday.objects.create(date=dt.date(2026, 4, 1))
    assert working_day_overrides(MARCH.date_from, MARCH.date_to) == {
        dt.date(2026, 3, 7): True,
        dt.date(2026, 3, 9): False,
    }


# --- properties ---------------------------------------------------------------------------

money_values = st.integers(min_value=0, max_value=10**11).map(lambda k: D(k) / 100)
day_rows = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=1),  # which manager of team 1
        st.integers(min_value=0, max_value=20),  # day offset in March
        st.integers(min_value=0, max_value=500),  # first contacts
        money_values,  # revenue
        money_values,  # variable costs
    ),
    max_size=12,
    unique_by=lambda row: (row[0], row[1]),
)


@HYPOTHESIS
@given(rows=day_rows)
def test_the_sum_over_managers_equals_the_team_total(
    large_money, team1, manager_a, manager_a2, rows
):
    with transaction.atomic():
        people = (manager_a, manager_a2)
        for who, offset, contacts, revenue, costs in rows:
            write_fact(
                people[who],
                "active",
                MARCH.date_from + dt.timedelta(days=offset),
                first_contacts=contacts,
                revenue=revenue,
                variable_costs=costs,
            )
        team = march_for(User.objects.filter(team=team1))
        per_manager = [march_for(users(p)) for p in people]
        team_money = money_sums(team).get((channel("active").pk,), MoneySums())
        parts = [money_sums(s).get((channel("active").pk,), MoneySums()) for s in per_manager]
        assert team_money == sum(parts, MoneySums())
        by_manager = count_sums(team, group_by=("manager", "channel"))
        assert sum(by_manager.values()) == sum(sum(count_sums(s).values()) for s in per_manager)
        assert sum(count_sums(team).values()) == sum(row[2] for row in rows)
        transaction.set_rollback(True)


@HYPOTHESIS
@given(rows=day_rows, split=st.integers(min_value=0, max_value=19))
def test_splitting_a_period_in_two_and_adding_the_sums_gives_the_whole(
    large_money, manager_a, manager_a2, rows, split
):
    with transaction.atomic():
        for who, offset, contacts, revenue, costs in rows:
            write_fact(
                (manager_a, manager_a2)[who],
                "active",
                MARCH.date_from + dt.timedelta(days=offset),
                first_contacts=contacts,
                revenue=revenue,
                variable_costs=costs,
            )
        middle = MARCH.date_from + dt.timedelta(days=split)
        first = Scope(MARCH.date_from, middle)
        second = Scope(middle + dt.timedelta(days=1), MARCH.date_to)
        whole_counts, halves = count_sums(MARCH), [count_sums(first), count_sums(second)]
        for key, total in whole_counts.items():
            assert total == sum(half.get(key, 0) for half in halves)
        whole = money_sums(MARCH, group_by=()).get((), MoneySums())
        parts = [money_sums(s, group_by=()).get((), MoneySums()) for s in (first, second)]
        assert whole == sum(parts, MoneySums())
        transaction.set_rollback(True)


@HYPOTHESIS
@given(rows=st.lists(st.tuples(money_values, money_values), max_size=25))
def test_revenue_and_margin_are_exact_to_the_kopeck_whatever_the_number_of_rows(
    large_money, manager_a, rows
):
    with transaction.atomic():
        for offset, (revenue, costs) in enumerate(rows):
            write_fact(
                manager_a,
                "active",
                MARCH.date_from + dt.timedelta(days=offset),
                revenue=revenue,
                variable_costs=costs,
            )
        sums = money_sums(MARCH, group_by=()).get((), MoneySums())
        revenue = sum((r for r, _c in rows), D("0.00"))
        costs = sum((c for _r, c in rows), D("0.00"))
        assert sums.revenue == revenue
        assert sums.revenue - sums.variable_costs == revenue - costs
        transaction.set_rollback(True)
