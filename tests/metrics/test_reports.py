"""build_report and its JSON on hand-worked examples, one per channel of the default setup."""

import datetime as dt
from decimal import Decimal

import pytest

from metrics.compute import MoneySums
from metrics.reports import build_report, report_as_dict, valuable_final_product_for
from metrics.selectors import Scope, money_sums
from plans.models import Holiday, MonthlyExpense, Plan
from teams.models import Team, User
from tests.factories import channel, make_user, write_fact

D = Decimal
MAR, FEB = dt.date(2026, 3, 1), dt.date(2026, 2, 1)
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
AFTER = dt.date(2026, 4, 15)  # as_of after the period: no forecast
MAR_5 = dt.date(2026, 3, 5)


def scope(*people, date_from=MARCH[0], date_to=MARCH[1], channels=None):
    managers = User.objects.filter(pk__in=[p.pk for p in people]) if people else None
    return Scope(date_from, date_to, channel_ids=channels, managers=managers)


@pytest.fixture
def march(manager_a, manager_a2, manager_b):
    """The hand-worked month: active by manager_a, inbound by manager_a2, the rest by manager_b."""
    write_fact(
        manager_a, "active", dt.date(2026, 3, 2),
        first_contacts=40, meetings_set=10, negotiations_held=6, proposals_sent=5,
        contracts_agreed=2, invoices_issued=2, prospects_added=25, contact_attempts=60,
        proposals_reviewed=3, invoiced_amount="150000.00", payments_count=1,
        revenue="100000.00", variable_costs="35000.00",
    )  # fmt: skip
    write_fact(
        manager_a, "active", dt.date(2026, 3, 3),
        first_contacts=20, meetings_set=5, negotiations_held=4, proposals_sent=5,
        contracts_agreed=3, invoices_issued=2, prospects_added=15, contact_attempts=40,
        proposals_reviewed=4, invoiced_amount="80000.50", payments_count=2,
        revenue="50000.01", variable_costs="20000.00",
    )  # fmt: skip
    write_fact(
        manager_a2, "inbound", dt.date(2026, 3, 4),
        leads_received=50, qualified_leads=30, consultations_held=12, contracts_agreed=6,
        invoices_issued=7, invoiced_amount="500.00", payments_count=3, revenue="100.00",
        variable_costs="130.00",
    )  # fmt: skip
    write_fact(
        manager_b, "repeat_vip", dt.date(2026, 3, 5),
        occasion_contacts=20, offers_made=0, orders_agreed=0, invoices_issued=1,
        payments_count=2, revenue="0.05",
    )  # fmt: skip
    write_fact(
        manager_b, "partner", dt.date(2026, 3, 6),
        partner_contacts=5, dm_meetings_set=2, negotiations_held=1, proposals_sent=1,
        contracts_agreed=0, invoices_issued=1, dm_attempts=12, proposals_reviewed=1,
        invoiced_amount="1000.00", variable_costs="12.34",
    )  # fmt: skip
    write_fact(
        manager_b, "partner", dt.date(2026, 3, 10),
        partner_contacts=4, dm_meetings_set=1, negotiations_held=1, proposals_sent=1,
        contracts_agreed=1, invoices_issued=0, dm_attempts=9, proposals_reviewed=1,
    )  # fmt: skip
    # Outside the period: must not count.
    write_fact(manager_a, "active", dt.date(2026, 2, 27), first_contacts=99, revenue="20000.00")
    write_fact(manager_b, "partner", dt.date(2026, 4, 1), partner_contacts=99)


def channel_dict(code, *, people=(), as_of=AFTER):
    data = report_as_dict(build_report(scope=scope(*people), as_of=as_of))
    return next(c for c in data["channels"] if c["channel"] == code)


def test_active_sales_six_stages_and_three_activities(march):
    # Stages 40+20, 10+5, 6+4, 5+5, 2+3, 2+2 = 60, 15, 10, 10, 5, 4:
    # conversions 15/60 = .25, 10/15 = .6667, 10/10 = 1, 5/10 = .5, 4/5 = .8; funnel 4/60 = .0667.
    # Money: invoiced 150 000.00 + 80 000.50; revenue 100 000.00 + 50 000.01 = 150 000.01 over
    # 3 payments = 50 000.0033 → 50 000.00; costs 55 000.00; margin 95 000.01;
    # profitability 95 000.01 / 150 000.01 = .63333 → .6333.
    assert channel_dict("active") == {
        "channel": "active",
        "stages": [
            {"code": "first_contacts", "count": 60, "conversion": None},
            {"code": "meetings_set", "count": 15, "conversion": 0.25},
            {"code": "negotiations_held", "count": 10, "conversion": 0.6667},
            {"code": "proposals_sent", "count": 10, "conversion": 1.0},
            {"code": "contracts_agreed", "count": 5, "conversion": 0.5},
            {"code": "invoices_issued", "count": 4, "conversion": 0.8},
        ],
        "activities": [
            {"code": "prospects_added", "count": 40},
            {"code": "contact_attempts", "count": 100},
            {"code": "proposals_reviewed", "count": 7},
        ],
        "funnel_conversion": 0.0667,
        "invoiced_amount": "230000.50",
        "payments_count": 3,
        "revenue": "150000.01",
        "average_check": "50000.00",
        "variable_costs": "55000.00",
        "margin": "95000.01",
        "profitability": 0.6333,
    }


def test_inbound_sales_five_stages_with_more_invoices_than_contracts_and_a_loss(march):
    # 30/50 = .6, 12/30 = .4, 6/12 = .5, 7/6 = 1.1667 (an invoice for last month's contract);
    # funnel 7/50 = .14. 100.00 / 3 payments = 33.33; margin 100 − 130 = −30.00, −30/100 = −.3.
    assert channel_dict("inbound") == {
        "channel": "inbound",
        "stages": [
            {"code": "leads_received", "count": 50, "conversion": None},
            {"code": "qualified_leads", "count": 30, "conversion": 0.6},
            {"code": "consultations_held", "count": 12, "conversion": 0.4},
            {"code": "contracts_agreed", "count": 6, "conversion": 0.5},
            {"code": "invoices_issued", "count": 7, "conversion": 1.1667},
        ],
        "activities": [],
        "funnel_conversion": 0.14,
        "invoiced_amount": "500.00",
        "payments_count": 3,
        "revenue": "100.00",
        "average_check": "33.33",
        "variable_costs": "130.00",
        "margin": "-30.00",
        "profitability": -0.3,
    }


def test_repeat_and_vip_four_stages_with_a_zero_stage_in_the_middle(march):
    # 0/20 = 0; the two stages after a zero stage have no conversion; funnel 1/20 = .05.
    # 0.05 over 2 payments = 0.025 → 0.03 (half-up); margin 0.05, profitability 1.
    assert channel_dict("repeat_vip") == {
        "channel": "repeat_vip",
        "stages": [
            {"code": "occasion_contacts", "count": 20, "conversion": None},
            {"code": "offers_made", "count": 0, "conversion": 0.0},
            {"code": "orders_agreed", "count": 0, "conversion": None},
            {"code": "invoices_issued", "count": 1, "conversion": None},
        ],
        "activities": [],
        "funnel_conversion": 0.05,
        "invoiced_amount": "0.00",
        "payments_count": 2,
        "revenue": "0.05",
        "average_check": "0.03",
        "variable_costs": "0.00",
        "margin": "0.05",
        "profitability": 1.0,
    }


def test_partner_sales_six_stages_two_activities_and_no_payment_yet(march):
    # 5+4, 2+1, 1+1, 1+1, 0+1, 1+0 = 9, 3, 2, 2, 1, 1: 3/9 = .3333, 2/3 = .6667, 1, .5, 1;
    # funnel 1/9 = .1111. No payment: no average check; no revenue: no profitability,
    # and the costs make the margin negative.
    assert channel_dict("partner") == {
        "channel": "partner",
        "stages": [
            {"code": "partner_contacts", "count": 9, "conversion": None},
            {"code": "dm_meetings_set", "count": 3, "conversion": 0.3333},
            {"code": "negotiations_held", "count": 2, "conversion": 0.6667},
            {"code": "proposals_sent", "count": 2, "conversion": 1.0},
            {"code": "contracts_agreed", "count": 1, "conversion": 0.5},
            {"code": "invoices_issued", "count": 1, "conversion": 1.0},
        ],
        "activities": [
            {"code": "dm_attempts", "count": 21},
            {"code": "proposals_reviewed", "count": 2},
        ],
        "funnel_conversion": 0.1111,
        "invoiced_amount": "1000.00",
        "payments_count": 0,
        "revenue": "0.00",
        "average_check": None,
        "variable_costs": "12.34",
        "margin": "-12.34",
        "profitability": None,
    }


def test_the_total_carries_money_over_every_channel_and_no_funnel(march):
    # Revenue 150 000.01 + 100.00 + 0.05 = 150 100.06 over 3+3+2 = 8 payments = 18 762.5075
    # → 18 762.51; costs 55 000 + 130 + 12.34 = 55 142.34; margin 94 957.72;
    # 94 957.72 / 150 100.06 = .63263 → .6326.
    data = report_as_dict(build_report(scope=scope(), as_of=AFTER))
    assert data["from"] == "2026-03-01"
    assert data["to"] == "2026-03-31"
    assert [c["channel"] for c in data["channels"]] == [
        "active",
        "inbound",
        "repeat_vip",
        "partner",
    ]
    assert data["total"] == {
        "invoiced_amount": "231500.50",
        "payments_count": 8,
        "revenue": "150100.06",
        "average_check": "18762.51",
        "variable_costs": "55142.34",
        "margin": "94957.72",
        "profitability": 0.6326,
    }


def test_a_report_of_nothing_has_zeros_and_every_ratio_undefined(db):
    data = report_as_dict(build_report(scope=scope(), as_of=AFTER))
    inbound = data["channels"][1]
    assert [s["count"] for s in inbound["stages"]] == [0, 0, 0, 0, 0]
    assert [s["conversion"] for s in inbound["stages"]] == [None] * 5
    assert inbound["funnel_conversion"] is None
    assert data["total"] == {
        "invoiced_amount": "0.00",
        "payments_count": 0,
        "revenue": "0.00",
        "average_check": None,
        "variable_costs": "0.00",
        "margin": "0.00",
        "profitability": None,
    }


def test_a_manager_scope_holds_only_that_managers_facts(march, manager_b):
    data = report_as_dict(build_report(scope=scope(manager_b), as_of=AFTER))
    assert data["channels"][0]["stages"][0]["count"] == 0
    assert data["total"]["revenue"] == "0.05"
    assert data["total"]["invoiced_amount"] == "1000.00"


def test_a_switched_off_channel_stays_in_reports_while_it_has_facts(march):
    partner = channel("partner")
    partner.is_active = False
    partner.save()
    codes = [
        c["channel"] for c in report_as_dict(build_report(scope=scope(), as_of=AFTER))["channels"]
    ]
    assert codes == ["active", "inbound", "repeat_vip", "partner"]
    april = scope(date_from=dt.date(2026, 4, 2), date_to=dt.date(2026, 4, 30))
    codes = [
        c["channel"] for c in report_as_dict(build_report(scope=april, as_of=AFTER))["channels"]
    ]
    assert codes == ["active", "inbound", "repeat_vip"]


# --- plans and forecasts ------------------------------------------------------------------


@pytest.fixture
def march_plans(march, manager_a):
    for indicator, value in (
        ("first_contacts", "100"),
        ("revenue", "300000.00"),
        ("margin", "200000.00"),
        ("payments_count", "10"),
    ):
        Plan.objects.create(
            month=MAR,
            channel=channel("active"),
            manager=manager_a,
            indicator=indicator,
            value=value,
        )
    # Monday the 9th a holiday, Saturday the 7th worked: March keeps 22 working days.
    Holiday.objects.create(date=dt.date(2026, 3, 9), name="Moved holiday")
    Holiday.objects.create(date=dt.date(2026, 3, 7), is_working_day=True)


def test_plan_lines_carry_plan_fact_completion_and_a_run_rate_forecast(march_plans, manager_a):
    # As of the 11th (the end of the 10th), 7 of 22 working days have passed (2-6,
    # Saturday 7, 10). first contacts 60 of 100 = .6, forecast 60 × 22 / 7 = 188.571 → 188.57;
    # revenue 150 000.01 of 300 000 = .50000003 → .5, forecast × 22 / 7 = 471 428.60;
    # margin 95 000.01 of 200 000 = .475, forecast 298 571.46; payments 3 of 10, forecast 9.43.
    # Pace: the plan expects 7/22 of itself by now — 31.82 contacts (60 done: 188.57 %, on
    # track), 95 454.55 revenue (157.14 %), 63 636.36 margin (149.29 %), 3.18 payments (3 done:
    # 94.29 %, behind: between 90 and 100 %).
    data = report_as_dict(build_report(scope=scope(manager_a), as_of=dt.date(2026, 3, 11)))
    active = data["channels"][0]
    keys = (
        "indicator",
        "plan",
        "fact",
        "completion",
        "forecast",
        "expected_to_date",
        "fact_to_date",
        "pace",
        "pace_status",
    )
    assert active["plans"] == [
        dict(zip(keys, values, strict=True))
        for values in (
            ("first_contacts", 100, 60, 0.6, 188.57, 31.82, 60, 1.8857, "on_track"),
            (
                "revenue",
                "300000.00",
                "150000.01",
                0.5,
                "471428.60",
                "95454.55",
                "150000.01",
                1.5714,
                "on_track",
            ),
            (
                "margin",
                "200000.00",
                "95000.01",
                0.475,
                "298571.46",
                "63636.36",
                "95000.01",
                1.4929,
                "on_track",
            ),
            ("payments_count", 10, 3, 0.3, 9.43, 3.18, 3, 0.9429, "behind"),
        )
    ]
    assert data["total"]["plans"] == active["plans"][1:]
    assert all("plans" not in c for c in data["channels"][1:])


def test_a_period_of_several_months_sums_their_plans_and_forecasts_only_the_current_month(
    march_plans, manager_a
):
    Plan.objects.create(
        month=FEB,
        channel=channel("active"),
        manager=manager_a,
        indicator="revenue",
        value="1000.00",
    )
    report = build_report(
        scope=scope(manager_a, date_from=FEB, date_to=MARCH[1]), as_of=dt.date(2026, 3, 11)
    )
    revenue = next(line for line in report.channels[0].plans if line.indicator == "revenue")
    # February's 20 000.00 as it is, plus March's run rate 471 428.60.
    assert (revenue.plan, revenue.fact) == (D("301000.00"), D("170000.01"))
    assert revenue.forecast == D("491428.60")


def test_a_past_period_and_a_day_before_any_working_day_have_no_forecast(march_plans, manager_a):
    past = build_report(scope=scope(manager_a), as_of=AFTER)
    assert [line.forecast for line in past.channels[0].plans] == [None] * 4
    assert past.channels[0].plans[0].completion == D("0.6")
    sunday_first = build_report(scope=scope(manager_a), as_of=dt.date(2026, 3, 1))
    assert [line.forecast for line in sunday_first.channels[0].plans] == [None] * 4


def test_without_plans_there_is_no_plans_key(march_plans, manager_b):
    data = report_as_dict(build_report(scope=scope(manager_b), as_of=dt.date(2026, 3, 10)))
    assert all("plans" not in c for c in data["channels"])
    assert "plans" not in data["total"]


def test_a_team_report_uses_the_team_plan(march_plans, team1, manager_a):
    Plan.objects.create(
        month=MAR, channel=channel("active"), team=team1, indicator="revenue", value="400000.00"
    )
    team_scope = Scope(*MARCH, teams=Team.objects.filter(pk=team1.pk).values("pk"))
    report = build_report(scope=team_scope, as_of=AFTER)
    lines = {line.indicator: line.plan for line in report.total.plans}
    # The team plan for revenue; margin and payments from manager_a, manager_a2 has none.
    assert lines == {"revenue": D("400000.00"), "margin": D("200000.00"), "payments_count": D(10)}


def test_the_total_adds_up_channel_plans_against_the_facts_of_planned_channels(
    march, manager_a2, manager_b
):
    for code, value in (("inbound", "1000.00"), ("repeat_vip", "1.00")):
        Plan.objects.create(
            month=MAR, channel=channel(code), manager=manager_b, indicator="revenue", value=value
        )
    report = build_report(scope=scope(manager_a2, manager_b), as_of=AFTER)
    # Inbound 100.00 (manager_a2) + repeat 0.05 (manager_b) against 1000.00 + 1.00; the
    # partner channel has no revenue plan and stays out of the line.
    (line,) = report.total.plans
    assert (line.indicator, line.plan, line.fact) == ("revenue", D("1001.00"), D("100.05"))
    assert line.completion == D("100.05") / D("1001.00")


def test_a_report_costs_a_fixed_number_of_queries(
    march_plans, manager_a, team1, django_assert_num_queries
):
    for n in range(6):
        person = make_user(f"extra{n}", team=team1)
        for day in range(2, 20):
            write_fact(person, "inbound", dt.date(2026, 3, day), leads_received=n, revenue="1.00")
    # catalogue 1 (its token) + counts 1 + money 1 + plans 1, or 3 for a team (its key, and the
    # memberships of the planned people) + holidays 1 (always: plans are prorated by working
    # days) + counts and money of the as-of month before as_of 2 (while the period holds it).
    with django_assert_num_queries(5):
        build_report(scope=scope(), as_of=AFTER)
    with django_assert_num_queries(9):
        build_report(
            scope=Scope(*MARCH, teams=Team.objects.filter(pk=team1.pk).values("pk")),
            as_of=dt.date(2026, 3, 10),
        )


def test_a_reversed_period_is_refused(db):
    with pytest.raises(ValueError, match="after"):
        build_report(scope=scope(date_from=MARCH[1], date_to=MARCH[0]), as_of=AFTER)


# --- valuable final product ---------------------------------------------------------------


def product_sums(dates):
    return money_sums(Scope(*dates), ()).get((), MoneySums())


def test_valuable_final_product_of_the_company_for_a_month(march, django_assert_num_queries):
    MonthlyExpense.objects.create(month=MAR, expenses=D("50000.00"), reserves=D("10000.00"))
    # Money of March and of February (the previous month), expenses, holidays.
    with django_assert_num_queries(4):
        product = valuable_final_product_for(date_from=MARCH[0], date_to=MARCH[1], as_of=AFTER)
    # Revenue 150 100.06 against February's 20 000.00: +650.5003 %; margin 94 957.72
    # − (50 000 + 10 000) = 34 957.72.
    assert product.revenue == D("150100.06")
    assert product.revenue_growth == (D("150100.06") - D("20000.00")) / D("20000.00")
    assert product.margin == D("94957.72")
    assert product.result == D("34957.72")
    with django_assert_num_queries(3):  # the caller's holiday list
        valuable_final_product_for(date_from=MARCH[0], date_to=MARCH[1], as_of=AFTER, overrides={})
    # The money the caller has read already is not read again.
    known = {
        (MARCH[0], MARCH[1]): product_sums(MARCH),
        (FEB, dt.date(2026, 2, 28)): product_sums((FEB, dt.date(2026, 2, 28))),
    }
    with django_assert_num_queries(1):  # expenses
        again = valuable_final_product_for(
            date_from=MARCH[0], date_to=MARCH[1], as_of=AFTER, overrides={}, known=known
        )
    assert again == product


def test_valuable_final_product_without_expenses_or_a_previous_month(march):
    product = valuable_final_product_for(date_from=FEB, date_to=dt.date(2026, 2, 28), as_of=AFTER)
    assert product.revenue == D("20000.00")
    assert product.revenue_growth is None
    assert (product.expenses, product.reserves, product.result) == (None, None, None)


def test_valuable_final_product_of_a_month_in_progress_compares_the_elapsed_part(march, manager_a):
    # As of Thursday 5 March 2026: 2-4 March are k = 3 working days; the compared part is
    # 1-4 March (active 150 000.01 and inbound 100.00 revenue; costs 55 130.00), against
    # 1-4 February (February's 27th is later). Expenses prorated: 3 of 22 working days.
    write_fact(manager_a, "active", dt.date(2026, 2, 3), revenue="1000.00")
    MonthlyExpense.objects.create(month=MAR, expenses=D("22000.00"), reserves=D("2200.00"))
    product = valuable_final_product_for(date_from=MARCH[0], date_to=MARCH[1], as_of=MAR_5)
    # The period's revenue includes the 5th (repeat 0.05) and later days.
    assert product.revenue == D("150100.06")
    assert product.result_range == (MAR, dt.date(2026, 3, 4))
    assert product.revenue_growth == (D("150100.01") - D("1000.00")) / D("1000.00")
    # 22 000 × 3 / 22 = 3 000, 2 200 × 3 / 22 = 300: margin 150 100.01 − 55 130.00.
    assert (product.expenses, product.reserves) == (D("3000.00"), D("300.00"))
    assert product.result_margin == D("94970.01")
    assert product.result == D("91670.01")


# --- plans for any period -----------------------------------------------------------------


def test_a_plan_for_15_october_to_14_november_is_prorated_by_working_days(manager_a):
    for month, value in ((dt.date(2026, 10, 1), "220000.00"), (dt.date(2026, 11, 1), "210000.00")):
        Plan.objects.create(
            month=month, channel=channel("active"), manager=manager_a, indicator="revenue",
            value=value,
        )  # fmt: skip
        Plan.objects.create(
            month=month, channel=channel("active"), manager=manager_a, indicator="meetings_set",
            value=11,
        )  # fmt: skip
    write_fact(manager_a, "active", dt.date(2026, 10, 20), meetings_set=3, revenue="55000.00")
    report = build_report(
        scope=scope(manager_a, date_from=dt.date(2026, 10, 15), date_to=dt.date(2026, 11, 14)),
        as_of=dt.date(2026, 12, 6),
    )
    lines = {line.indicator: line for line in report.channels[0].plans}
    # October: 12 of 22 working days, November: 10 of 21.
    # Revenue 220 000 × 12/22 + 210 000 × 10/21 = 120 000 + 100 000 = 220 000.
    assert lines["revenue"].plan == D("220000.00")
    assert lines["revenue"].completion == D("0.25")
    # Meetings 11 × 12/22 + 11 × 10/21 = 6 + 5.238… = 11.24 in JSON.
    assert report_as_dict(report)["channels"][0]["plans"][0]["plan"] == 11.24
    # A whole month gets its whole plan.
    whole = build_report(
        scope=scope(manager_a, date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 30)),
        as_of=dt.date(2026, 12, 6),
    )
    assert whole.total.plans[0].plan == D("210000.00")


def test_a_months_plan_to_date_and_the_forecast_against_the_whole_month(march_plans, manager_a):
    # 1-10 March 2026 as of the 10th: the period's plan is March's × 7 of 22 working days
    # (2-6, Saturday 7, 10; the 9th a holiday); the forecast runs to the month's end on the
    # facts before the 10th and is compared with the whole month's plan.
    report = build_report(
        scope=scope(manager_a, date_to=dt.date(2026, 3, 10)), as_of=dt.date(2026, 3, 10)
    )
    revenue = next(line for line in report.total.plans if line.indicator == "revenue")
    # 300 000 × 7 / 22 = 95 454.545… → 95 454.55.
    assert revenue.plan == D("95454.55")
    assert revenue.forecast_plan == D("300000.00")
    # Facts before the 10th: 150 000.01 over 6 of 22 days (2-7 March) = 550 000.036… → .04.
    assert revenue.forecast == D("550000.04")


def test_the_total_forecast_is_computed_from_summed_facts(manager_a, manager_b):
    # Two channels with 0.02 of revenue each in 1-4 December 2026, as of Sunday the 6th:
    # each channel forecasts 0.02 × 23 / 4 = 0.115 → 0.12; the total 0.04 × 23 / 4 = 0.23.
    for code, person in (("inbound", manager_a), ("partner", manager_b)):
        write_fact(person, code, dt.date(2026, 12, 2), revenue="0.02")
        Plan.objects.create(
            month=dt.date(2026, 12, 1), channel=channel(code), manager=person,
            indicator="revenue", value="1.00",
        )  # fmt: skip
    report = build_report(
        scope=scope(date_from=dt.date(2026, 12, 1), date_to=dt.date(2026, 12, 31)),
        as_of=dt.date(2026, 12, 6),
    )
    assert [c.plans[0].forecast for c in report.channels if c.plans] == [D("0.12"), D("0.12")]
    assert report.total.plans[0].forecast == D("0.23")
