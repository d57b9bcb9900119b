import datetime as dt
from decimal import Decimal

import pytest
from django.http import QueryDict

from dashboards import dashboard
from dashboards.dashboard import Dashboard
from dashboards.forms import DashboardFilterForm, auto_granularity, preset_range
from metrics.reports import build_report, report_as_dict
from plans.models import Holiday, Plan
from teams.models import User
from tests.factories import channel, make_user, write_fact
from tests.metrics.conftest import MARCH

TODAY = dt.date(2025, 3, 11)  # a Tuesday
APRIL_2 = dt.date(2025, 4, 2)


def make_dashboard(
    user: User, *, mine: bool = False, today=TODAY, show_all=(), **params
) -> Dashboard:
    data = QueryDict(mutable=True)
    data.update({**MARCH, **params})
    form = DashboardFilterForm(data, user=user, mine=mine, today=today)
    assert form.is_valid(), form.errors
    filters = dashboard.filters_for(cleaned=form.cleaned_data, viewer=user, mine=mine, today=today)
    return Dashboard(filters, show_all=show_all)


# --- filters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("today", (dt.date(2025, 3, 11), dt.date(2025, 3, 11))),
        ("yesterday", (dt.date(2025, 3, 10), dt.date(2025, 3, 10))),
        ("this_week", (dt.date(2025, 3, 10), dt.date(2025, 3, 11))),
        ("last_week", (dt.date(2025, 3, 3), dt.date(2025, 3, 9))),
        ("this_month", (dt.date(2025, 3, 1), dt.date(2025, 3, 11))),
        ("last_month", (dt.date(2025, 2, 1), dt.date(2025, 2, 28))),
        ("this_quarter", (dt.date(2025, 1, 1), dt.date(2025, 3, 11))),
        ("this_year", (dt.date(2025, 1, 1), dt.date(2025, 3, 11))),
    ],
)
def test_presets_cover_the_expected_days(preset, expected):
    assert preset_range(preset, TODAY) == expected


@pytest.mark.parametrize(
    ("days", "granularity"), [(1, "day"), (31, "day"), (32, "week"), (120, "week"), (121, "month")]
)
def test_granularity_follows_the_length_of_the_range(days, granularity):
    start = dt.date(2025, 1, 1)
    assert auto_granularity(start, start + dt.timedelta(days=days - 1)) == granularity


def test_a_preset_shows_its_dates_in_the_form(director):
    data = QueryDict("period=last_month")
    form = DashboardFilterForm(data, user=director, mine=False, today=TODAY)
    assert form.is_valid()
    assert form["date_from"].value() == "2025-02-01"
    assert form["date_to"].value() == "2025-02-28"


# --- headline cards ---------------------------------------------------------------------


def test_cards_sum_money_and_compare_with_the_previous_period(director, march_facts):
    # March seen in April: a whole past month against the whole of February.
    dash = make_dashboard(director, today=APRIL_2)
    assert dash.compared_label == "Compared: March 2025 with February 2025"
    cards = {card.key: card for card in dash.cards}
    assert cards["revenue"].value == Decimal("4500.00")
    # February had 2000.00: +125 %.
    assert cards["revenue"].change == Decimal("1.25")
    assert cards["revenue"].direction == "up"
    assert cards["margin"].value == Decimal("3100.00")
    assert cards["profitability"].value == Decimal("3100") / Decimal("4500")
    # February: revenue 2000, no costs → profitability 1; the change is in points.
    assert cards["profitability"].change_shown == Decimal("-31.1")
    assert cards["average_check"].value == Decimal("1125.00")


def test_cards_of_a_month_in_progress_compare_its_first_working_days(
    director, manager_a, march_facts
):
    # As of Tuesday 11 March 2025: 3-7 and 10 March are k = 6 working days; the first 6 of
    # February run from the 3rd to Monday the 10th. The 20 February fact is later: out.
    write_fact(manager_a, "inbound", dt.date(2025, 2, 10), revenue="1000.00", payments_count=1)
    write_fact(manager_a, "inbound", dt.date(2025, 3, 11), revenue="99.00", payments_count=1)
    dash = make_dashboard(director)
    assert (dash.previous_range.current, dash.previous_range.previous) == (
        (dt.date(2025, 3, 1), dt.date(2025, 3, 10)),
        (dt.date(2025, 2, 1), dt.date(2025, 2, 10)),
    )
    assert dash.compared_label == "Compared: 1–10 Mar with 1–10 Feb"
    revenue = dash.cards[0]
    # The card shows the period (today's 99.00 included); the change compares 1-10 March's
    # 4 500.00 with 1-10 February's 1 000.00: +350 %.
    assert revenue.value == Decimal("4599.00")
    assert revenue.change == Decimal("3.5")
    assert revenue.previous == Decimal("1000.00")


def test_cards_on_the_first_working_day_of_a_month_have_nothing_to_compare(director, march_facts):
    dash = make_dashboard(director, today=dt.date(2025, 3, 3))
    assert dash.previous_range is None
    assert dash.compared_label == ""
    assert [card.change for card in dash.cards] == [None, None, None, None]


def test_cards_without_an_earlier_period_have_no_change(director, manager_a):
    write_fact(manager_a, "active", dt.date(2025, 3, 3), revenue="100.00", payments_count=1)
    cards = make_dashboard(director).cards
    assert [card.change for card in cards] == [None, None, None, None]


# --- funnels and conversions ------------------------------------------------------------


def test_funnel_counts_and_stage_conversions_per_channel(director, march_facts):
    funnels = {f.channel.code: f for f in make_dashboard(director).funnels}
    active = funnels["active"]
    assert [s.count for s in active.stages] == [30, 10, 9, 6, 4, 4]
    assert [s.conversion for s in active.stages][:3] == [
        None,
        Decimal(10) / Decimal(30),
        Decimal("0.9"),
    ]
    assert active.funnel_conversion == Decimal(4) / Decimal(30)
    assert funnels["partner"].is_empty
    assert funnels["inbound"].money.revenue == Decimal("500.00")


def test_conversion_table_colours_a_manager_against_the_channel(director, march_facts, manager_a):
    write_fact(manager_a, "active", dt.date(2025, 3, 5), first_contacts=10, meetings_set=5)
    blocks = {b.channel.code: b for b in make_dashboard(director).conversion_blocks}
    active = blocks["active"]
    # Funnel conversion: Anna 1 of 20, Artem 3 of 20: the worst first.
    assert [row.manager.username for row in active.rows] == ["manager_a", "manager_a2"]
    anna = active.rows[0]
    # Anna: 10 of 20 first contacts got a meeting (50 %), the channel 15 of 40 (37.5 %):
    # 4/3 of it, towards green (hue 100), and said in words.
    assert anna.cells[1].conversion == Decimal("0.5")
    assert anna.cells[1].previous == 20
    assert anna.cells[1].style == "background-color: hsl(100 65% 86%)"
    assert anna.cells[1].signal == "above"
    # Her 4 negotiations of 10 meetings: too few to compare, greyed and not coloured.
    assert anna.cells[2].previous == 10
    assert anna.cells[2].small_sample
    assert (anna.cells[2].style, anna.cells[2].signal) == ("", "")
    artem = active.rows[1]
    # Artem: 5 of 20 (25 %), 2/3 of the channel's: towards red (hue 20).
    assert artem.cells[1].style == "background-color: hsl(20 65% 86%)"
    assert artem.cells[1].signal == "below"
    assert [c.count for c in active.total.cells] == [40, 15, 9, 6, 4, 4]
    assert [c.share_of_first for c in active.total.cells][1:3] == [
        Decimal("0.375"),
        Decimal("0.225"),
    ]
    assert blocks["partner"].rows == []


# --- trend ------------------------------------------------------------------------------


def test_trend_by_week_keeps_partial_weeks_inside_the_range(director, march_facts):
    trend = make_dashboard(director, granularity="week", stage="first_contacts").trend
    assert [(b.start, b.end) for b in trend.buckets][:3] == [
        (dt.date(2025, 3, 1), dt.date(2025, 3, 2)),
        (dt.date(2025, 3, 3), dt.date(2025, 3, 9)),
        (dt.date(2025, 3, 10), dt.date(2025, 3, 16)),
    ]
    active = next(s for s in trend.series if s.channel.code == "active")
    assert active.stage[:3] == [0, 30, 0]
    assert active.revenue[:3] == [Decimal(0), Decimal("4000.00"), Decimal(0)]
    assert trend.stage_code == "first_contacts"


def test_trend_by_month_and_default_stage(director, march_facts):
    trend = make_dashboard(
        director, date_from="2025-01-15", date_to="2025-03-31", granularity="month"
    ).trend
    assert [b.start for b in trend.buckets] == [
        dt.date(2025, 1, 15),
        dt.date(2025, 2, 1),
        dt.date(2025, 3, 1),
    ]
    assert trend.stage_code == "invoices_issued"
    active = next(s for s in trend.series if s.channel.code == "active")
    assert active.revenue == [Decimal(0), Decimal("2000.00"), Decimal("4000.00")]
    assert active.stage == [0, 0, 4]


# --- leaderboard ------------------------------------------------------------------------


def test_leaderboard_ranks_by_completion_of_each_managers_own_plan(
    director, manager_a, manager_a2, manager_b, march_facts
):
    month = dt.date(2025, 3, 1)
    Plan.objects.create(
        month=month, channel=channel("active"), manager=manager_a, indicator="revenue", value=800
    )
    Plan.objects.create(
        month=month, channel=channel("active"), manager=manager_a2, indicator="revenue", value=6000
    )
    board = make_dashboard(director).leaderboard
    assert [(r.rank, r.manager.username) for r in board] == [
        (1, "manager_a"),  # 1000 of 800: 125 %
        (2, "manager_a2"),  # 3000 of 6000: 50 %
        (3, "manager_b"),  # no plan: after everyone with one
    ]
    assert board[0].completion == Decimal("1.25")
    assert board[2].plan is None
    assert board[2].completion is None
    # Funnel conversion per channel: Anna 1 of 10 in active sales, nothing elsewhere.
    assert board[0].conversions[0] == Decimal("0.1")
    assert board[0].conversions[1] is None


def test_forecast_runs_the_month_at_its_rate(director, manager_a):
    write_fact(manager_a, "active", dt.date(2025, 3, 3), revenue="700.00", payments_count=1)
    dash = make_dashboard(director, period="this_month")
    # As of the end of 10 March 2025: 6 working days of 21 have passed; 700 / 6 × 21.
    assert dash.leaderboard[0].forecast == Decimal("2450.00")


def test_my_place_on_the_team_board(manager_a, manager_a2, march_facts):
    rank = make_dashboard(manager_a, mine=True).team_rank
    assert (rank.rank, rank.of) == (2, 2)
    assert rank.row.revenue == Decimal("1000.00")


# --- who has not reported ---------------------------------------------------------------


def test_not_reported_looks_at_the_last_working_day(director, manager_a, manager_a2, manager_b):
    write_fact(manager_a, "active", dt.date(2025, 3, 10), first_contacts=1)
    dash = make_dashboard(director)
    assert dash.last_working_day == dt.date(2025, 3, 10)
    assert [m.username for m in dash.not_reported] == ["manager_a2", "manager_b"]


def test_not_reported_skips_weekends_and_holidays(director, manager_a):
    Holiday.objects.create(date=dt.date(2025, 3, 7), name="Holiday")
    write_fact(manager_a, "active", dt.date(2025, 3, 6), first_contacts=1)
    # Monday 10 March: the day before is Sunday, Friday the 7th is a holiday → Thursday.
    dash = make_dashboard(director, today=dt.date(2025, 3, 10))
    assert dash.last_working_day == dt.date(2025, 3, 6)
    assert dash.not_reported == []


def test_a_worked_saturday_counts_as_the_last_working_day(director, manager_a):
    Holiday.objects.create(date=dt.date(2025, 3, 8), is_working_day=True)
    dash = make_dashboard(director, today=dt.date(2025, 3, 10))
    assert dash.last_working_day == dt.date(2025, 3, 8)
    assert [m.username for m in dash.not_reported] == ["manager_a"]


def test_not_reported_lists_only_the_heads_teams(head1, manager_a, manager_b):
    dash = make_dashboard(head1)
    assert [m.username for m in dash.not_reported] == ["manager_a"]


# --- drill-down -------------------------------------------------------------------------


def test_drill_lists_the_daily_values_behind_a_number(director, manager_a, march_facts):
    dash = make_dashboard(director)
    drill = dashboard.drill(
        dash.f, code="first_contacts", channel=None, manager=None, date_from=None, date_to=None
    )
    assert [(r.date, r.manager, r.value) for r in drill.rows] == [
        (dt.date(2025, 3, 4), "Artem Antonov", 20),
        (dt.date(2025, 3, 3), "Anna Alekseeva", 10),
    ]
    assert drill.total == 30
    assert drill.label == "First contacts"
    revenue = dashboard.drill(
        dash.f,
        code="revenue",
        channel=None,
        manager=manager_a,
        date_from=dt.date(2025, 2, 1),  # clipped to the filter's range
        date_to=None,
    )
    assert [(r.date, r.value) for r in revenue.rows] == [(dt.date(2025, 3, 3), Decimal("1000.00"))]
    assert revenue.date_from == dt.date(2025, 3, 1)


def test_drill_of_an_unknown_code_is_refused(director):
    dash = make_dashboard(director)
    with pytest.raises(Exception, match="nonsense"):
        dashboard.drill(
            dash.f, code="nonsense", channel=None, manager=None, date_from=None, date_to=None
        )


def test_director_totals_include_people_who_left(director, manager_a, march_facts):
    User.objects.filter(pk=manager_a.pk).update(is_active=False)
    dash = make_dashboard(director)
    assert dash.cards[0].value == Decimal("4500.00")
    # On the board for the period they have numbers in, marked as former.
    row = next(row for row in dash.leaderboard if row.manager.username == "manager_a")
    assert row.manager.is_former
    assert row.revenue == Decimal("1000.00")
    assert "manager_a" not in [person.username for person in dash.not_reported]


def test_a_head_filtered_to_one_manager_sees_only_that_manager(head1, manager_a, march_facts):
    dash = make_dashboard(head1, manager=manager_a.pk)
    assert dash.cards[0].value == Decimal("1000.00")
    assert [row.manager for row in dash.leaderboard] == [manager_a]


def test_channel_filter_narrows_every_panel(director, march_facts):
    inbound = channel("inbound")
    dash = make_dashboard(director, channel=inbound.pk)
    assert [f.channel.code for f in dash.funnels] == ["inbound"]
    assert dash.cards[0].value == Decimal("500.00")
    make_user("idle")  # a manager with nothing in the channel keeps a zero row
    assert [r.revenue for r in make_dashboard(director, channel=inbound.pk).leaderboard][:1] == [
        Decimal("500.00")
    ]


# --- plans, forecast and the company card (from the metrics report) --------------------


@pytest.fixture
def march_plans(manager_a, manager_a2):
    month, active = dt.date(2025, 3, 1), channel("active")
    Plan.objects.create(
        month=month, channel=active, manager=manager_a, indicator="revenue", value=800
    )
    Plan.objects.create(
        month=month, channel=active, manager=manager_a2, indicator="revenue", value=6000
    )
    Plan.objects.create(
        month=month, channel=active, manager=manager_a, indicator="first_contacts", value=40
    )


def test_plan_card_shows_completion_and_the_month_end_forecast(director, march_facts, march_plans):
    card = make_dashboard(director).plan_card
    assert card.label == "Plan for March 2025"
    assert card.plan == Decimal("6800.00")
    assert card.fact == Decimal("4000.00")
    assert card.completion == Decimal("4000") / Decimal("6800")
    # As of 11 March 2025, 6 working days of 21 have passed (3-7, 10): 4000 / 6 × 21.
    assert card.forecast == Decimal("14000.00")
    assert card.forecast_completion == Decimal("14000") / Decimal("6800")
    assert card.bar_width == 58


def test_plan_card_of_a_month_to_date_prorates_the_plan_and_forecasts_the_month(
    director, march_facts, march_plans
):
    dash = make_dashboard(director, period="this_month")
    card = dash.plan_card
    # 1-11 March 2025 holds 7 of March's 21 working days: 6800 × 7 / 21.
    assert card.label == dash.plan_label == "Plan for 1–11 Mar"
    assert card.plan == Decimal("2266.67")
    # The month-end forecast against the whole month's plan.
    assert (card.forecast, card.forecast_plan) == (Decimal("14000.00"), Decimal("6800.00"))
    assert card.forecast_label == "March 2025"
    assert card.forecast_completion == Decimal("14000") / Decimal("6800")


def test_plan_table_lists_each_channels_plans_then_the_total(director, march_facts, march_plans):
    rows = make_dashboard(director).plan_rows
    assert [(r.channel.code if r.channel else None, r.indicator_name) for r in rows] == [
        ("active", "First contacts"),
        ("active", "Revenue"),
        (None, "Revenue"),
    ]
    contacts = rows[0]
    # First contacts forecast: 30 before the 11th over 6 of 21 working days = 105.
    assert (contacts.plan, contacts.fact, contacts.forecast) == (40, 30, 105)
    assert contacts.completion == Decimal("0.75")
    assert not contacts.is_money
    assert (rows[2].plan, rows[2].fact) == (Decimal("6800.00"), Decimal("4000.00"))


def test_no_plan_means_no_plan_card(director, march_facts):
    dash = make_dashboard(director)
    assert dash.plan_card is None
    assert dash.plan_rows == []


def test_company_card_is_the_directors_valuable_final_product(director, head1, march_facts):
    from plans.models import MonthlyExpense

    MonthlyExpense.objects.create(
        month=dt.date(2025, 3, 1), expenses=Decimal("1000"), reserves=Decimal("500")
    )
    # March seen in April: the whole month against February, its whole expenses.
    vfp = make_dashboard(director, today=APRIL_2).vfp
    assert vfp.revenue == Decimal("4500.00")
    assert vfp.revenue_growth == Decimal("1.25")
    assert vfp.margin == Decimal("3100.00")
    assert vfp.result == Decimal("1600.00")
    assert make_dashboard(head1).vfp is None


def test_company_card_of_a_month_in_progress_prorates_expenses_and_ignores_filters(
    director, manager_a, march_facts
):
    from plans.models import MonthlyExpense

    MonthlyExpense.objects.create(
        month=dt.date(2025, 3, 1), expenses=Decimal("2100"), reserves=Decimal("210")
    )
    write_fact(manager_a, "active", dt.date(2025, 2, 10), revenue="1500.00")
    inbound = make_dashboard(director, channel=channel("inbound").pk)
    vfp = inbound.vfp
    assert inbound.vfp_filtered
    # Company-wide whatever the channel: 4 500.00, margin 3 100.00; growth of 1-10 March
    # (4 500.00) against 1-10 February (1 500.00), as the cards compare: +200 %.
    assert (vfp.revenue, vfp.margin) == (Decimal("4500.00"), Decimal("3100.00"))
    assert vfp.revenue_growth == Decimal("2")
    # 6 of 21 working days have passed: 2100 × 6/21 = 600, 210 × 6/21 = 60.
    assert (vfp.expenses, vfp.reserves) == (Decimal("600.00"), Decimal("60.00"))
    assert vfp.result == Decimal("3100.00") - Decimal("660.00")
    assert inbound.vfp_result_label == "Result over 1–10 Mar"
    assert not make_dashboard(director).vfp_filtered


def test_my_page_shows_the_channels_i_work_in_or_had_numbers_in(team1):
    seller = make_user("seller", team=team1, channels=("inbound",))
    write_fact(seller, "active", dt.date(2025, 3, 3), revenue="10.00", payments_count=1)
    dash = make_dashboard(seller, mine=True)
    assert [c.code for c in dash.catalogue] == ["active", "inbound"]


# --- "no numbers reported" ----------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [{}, {"first_contacts": 3}, {"prospects_added": 2}, {"invoiced_amount": "10.00"}],
    ids=["nothing", "a-stage", "an-activity", "money-only"],
)
def test_any_number_in_the_period_counts_as_reported(director, manager_a, values):
    if values:
        write_fact(manager_a, "active", dt.date(2025, 3, 10), **values)
    assert make_dashboard(director).has_facts is bool(values)


@pytest.mark.parametrize("granularity", ["day", "month"])
def test_the_report_from_the_trends_sums_is_the_report_from_its_own(
    director, march_facts, march_plans, granularity
):
    dash = make_dashboard(director, granularity=granularity)
    assert dash.month_sums is not None
    own = build_report(scope=dash.f.scope, as_of=dash.f.today)
    assert report_as_dict(dash.report) == report_as_dict(own)
    assert make_dashboard(director, granularity="week").month_sums is None
