import datetime as dt
from decimal import Decimal

import pytest

from dashboards.norms import (
    Funnel,
    channel_norms,
    days_left,
    history_is_enough,
    norms_read,
    stage_needs,
)
from metrics.compute import MoneySums
from plans.models import Plan
from tests.factories import channel, make_user, write_fact

ACTIVE = (
    "first_contacts",
    "meetings_set",
    "negotiations_held",
    "proposals_sent",
    "contracts_agreed",
    "invoices_issued",
)
# 90 days of an active-sales manager: 400 contacts ... 30 invoices, 20 payments of 20 000.
HISTORY = Funnel(
    stage_counts=tuple(zip(ACTIVE, (400, 100, 80, 60, 40, 30), strict=True)),
    payments_count=20,
    revenue=Decimal("400000.00"),
    variable_costs=Decimal("100000.00"),
)
THIN = Funnel(stage_counts=tuple((code, 1) for code in ACTIVE))


def test_stages_are_worked_backwards_from_payments_rounding_up_at_each_step():
    # 15 payments need ceil(15*30/20)=23 invoices, ceil(23*40/30)=31 contracts, ...
    assert stage_needs(HISTORY, 15) == [316, 79, 63, 47, 31, 23]


def test_revenue_plan_becomes_payments_stages_and_a_daily_norm():
    norms = channel_norms(
        plans={"revenue": Decimal("300000")},
        own=HISTORY,
        team=None,
        done={"first_contacts": 100, "meetings_set": 79},
        done_money=MoneySums(payments_count=3, revenue=Decimal("60000.00")),
        left_days=12,
    )
    assert norms.basis == "revenue"
    assert norms.average_check == Decimal("20000.00")
    assert norms.money_remaining == Decimal("240000.00")
    # 240 000 left / 20 000 average check = 12 more payments, 15 in the month.
    assert (norms.payments.needed, norms.payments.remaining, norms.payments.daily) == (15, 12, 1)
    first, meetings = norms.stages[0], norms.stages[1]
    assert (first.needed, first.done, first.remaining, first.daily) == (316, 100, 216, 18)
    # Done already: never a negative norm.
    assert (meetings.remaining, meetings.daily) == (0, 0)
    assert not norms.uses_team


def test_a_plan_already_met_gives_zero_everywhere():
    norms = channel_norms(
        plans={"revenue": Decimal("100000")},
        own=HISTORY,
        team=None,
        done=dict.fromkeys(ACTIVE, 1000),
        done_money=MoneySums(payments_count=6, revenue=Decimal("120000.00")),
        left_days=5,
    )
    assert norms.money_remaining == 0
    assert all(n.daily == 0 for n in norms.rows)
    assert norms.today == []


def test_no_working_day_left_means_no_daily_norm():
    norms = channel_norms(
        plans={"revenue": Decimal("300000")},
        own=HISTORY,
        team=None,
        done={},
        done_money=MoneySums(),
        left_days=0,
    )
    assert norms.stages[0].remaining == 316
    assert all(n.daily is None for n in norms.rows)


def test_a_manager_with_no_history_gets_the_teams_figures_and_the_flag():
    team = HISTORY + THIN
    norms = channel_norms(
        plans={"revenue": Decimal("100000")},
        own=THIN,
        team=team,
        done={},
        done_money=MoneySums(),
        left_days=10,
    )
    assert norms.uses_team
    assert not norms.no_history
    # Team: 400 000 over 20 payments -> 20 000; 100 000 needs 5 payments.
    assert norms.payments.needed == 5
    # 5 payments need ceil(5*31/20)=8 invoices from the team's funnel.
    assert norms.stages[-1].needed == 8


def test_no_usable_history_anywhere_says_so_and_keeps_explicit_stage_plans():
    norms = channel_norms(
        plans={"revenue": Decimal("100000"), "first_contacts": Decimal("200")},
        own=THIN,
        team=None,
        done={"first_contacts": 50},
        done_money=MoneySums(),
        left_days=10,
    )
    assert norms.no_history
    assert norms.basis == "none"
    assert [(n.code, n.remaining, n.daily) for n in norms.stages] == [("first_contacts", 150, 15)]


def test_margin_plan_is_turned_into_revenue_through_profitability():
    # Profitability 300 000 / 400 000 = 75 %: 150 000 of margin needs 200 000 revenue.
    norms = channel_norms(
        plans={"margin": Decimal("150000")},
        own=HISTORY,
        team=None,
        done={},
        done_money=MoneySums(),
        left_days=20,
    )
    assert norms.basis == "margin"
    assert norms.payments.needed == 10


def test_activities_get_a_norm_from_their_own_plan():
    norms = channel_norms(
        plans={"contact_attempts": Decimal("300")},
        own=HISTORY,
        team=None,
        done={"contact_attempts": 100},
        done_money=MoneySums(),
        left_days=8,
        activity_codes=("prospects_added", "contact_attempts"),
    )
    assert norms.basis == "plans"
    assert [(n.code, n.daily) for n in norms.activities] == [("contact_attempts", 25)]


@pytest.mark.parametrize(
    ("funnel", "enough"),
    [
        (HISTORY, True),
        (THIN, False),  # fewer than 20 first contacts
        (Funnel(stage_counts=HISTORY.stage_counts), False),  # no payments
        (
            Funnel(
                stage_counts=(*HISTORY.stage_counts[:-1], ("invoices_issued", 0)),
                payments_count=5,
                revenue=Decimal(1000),
            ),
            False,  # a zero stage breaks the chain
        ),
    ],
)
def test_history_is_enough_only_with_volume_a_full_chain_and_payments(funnel, enough):
    assert history_is_enough(funnel) is enough


def test_days_left_counts_today_and_skips_weekends_and_holidays():
    # May 2026: Fri 1 and Mon 11 are holidays; from Thu 7: 7, 8, 12-15, 18-22, 25-29 = 16.
    overrides = {dt.date(2026, 5, 1): False, dt.date(2026, 5, 11): False}
    assert days_left(dt.date(2026, 5, 7), overrides) == 16
    assert days_left(dt.date(2026, 5, 30), overrides) == 0


def test_a_month_with_holidays_spreads_the_rest_over_fewer_days():
    def first_stage_daily(overrides) -> int:
        norms = channel_norms(
            plans={"revenue": Decimal("300000")},
            own=HISTORY,
            team=None,
            done={},
            done_money=MoneySums(),
            left_days=days_left(dt.date(2026, 5, 7), overrides),
        )
        return norms.stages[0].daily

    assert first_stage_daily({}) == 19  # ceil(316 / 17)
    assert first_stage_daily({dt.date(2026, 5, 11): False}) == 20  # ceil(316 / 16)
    # A transferred working Saturday adds a day back.
    both = {dt.date(2026, 5, 11): False, dt.date(2026, 5, 16): True}
    assert first_stage_daily(both) == 19


def test_reader_uses_the_managers_own_history_and_this_months_plan(manager_a, team1):
    today = dt.date(2026, 3, 16)
    for offset, contacts in ((40, 30), (20, 30)):
        write_fact(
            manager_a,
            "inbound",
            today - dt.timedelta(days=offset),
            leads_received=contacts,
            qualified_leads=20,
            consultations_held=10,
            contracts_agreed=5,
            invoices_issued=4,
            payments_count=2,
            revenue="20000",
        )
    write_fact(manager_a, "inbound", dt.date(2026, 3, 2), leads_received=10)
    Plan.objects.create(
        month=dt.date(2026, 3, 1),
        channel=channel("inbound"),
        manager=manager_a,
        indicator="revenue",
        value=Decimal("50000"),
    )
    result = norms_read(managers=[manager_a], today=today)[manager_a.pk]
    inbound = {c.code: n for c, n in result.channels}["inbound"]
    # 90 days: 70 leads, 40 qualified, 20 consultations, 10 contracts, 8 invoices, 4 payments
    # of 40 000. Check 10 000 -> 5 payments -> ceil(5*8/4)=10 invoices -> ceil(10*10/8)=13
    # contracts -> 26 consultations -> 52 qualified -> ceil(52*70/40)=91 leads.
    assert result.days_left == 12
    assert inbound.payments.needed == 5
    assert [n.needed for n in inbound.stages] == [91, 52, 26, 13, 10]
    assert (inbound.stages[0].done, inbound.stages[0].daily) == (10, 7)  # ceil(81 / 12)
    assert inbound.stages[0].label == "Leads received"


def test_reader_falls_back_to_the_team_for_a_new_manager(manager_a, manager_a2):
    today = dt.date(2026, 3, 16)
    write_fact(
        manager_a2,
        "inbound",
        dt.date(2026, 2, 10),
        leads_received=40,
        qualified_leads=20,
        consultations_held=10,
        contracts_agreed=5,
        invoices_issued=4,
        payments_count=4,
        revenue="40000",
    )
    Plan.objects.create(
        month=dt.date(2026, 3, 1),
        channel=channel("inbound"),
        manager=manager_a,
        indicator="revenue",
        value=Decimal("20000"),
    )
    result = norms_read(managers=[manager_a], today=today)[manager_a.pk]
    inbound = {c.code: n for c, n in result.channels}["inbound"]
    assert inbound.uses_team
    assert inbound.payments.needed == 2


def test_reader_costs_a_fixed_number_of_queries(django_assert_num_queries, team1):
    managers = [make_user(team=team1) for _ in range(3)]
    with django_assert_num_queries(9):
        norms_read(managers=managers, today=dt.date(2026, 3, 16))
