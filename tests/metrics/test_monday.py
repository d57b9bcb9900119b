"""A head's Monday questions on the dashboard: pace against plan, vs last year, money by
channel, margin by manager, per-day averages and the main indicator, norms only where they
apply. Exact values from the `march_facts` company (docs/metrics.md)."""

import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from dashboards import views
from dashboards.panels import money as money_panels
from dashboards.panels.money import MARGIN_SORTS, MarginRow
from metrics.compute import MoneyMetrics, MoneySums
from plans.models import Holiday, Plan
from tests.factories import channel, write_fact
from tests.metrics.conftest import MARCH
from tests.metrics.test_dashboard import TODAY, make_dashboard

HTMX = {"HX-Request": "true"}


@pytest.fixture
def revenue_plans(manager_a, manager_a2):
    # March 2025 has 21 working days; as of Tuesday 11 March, 6 have passed (3-7, 10).
    for person, value in ((manager_a, 2100), (manager_a2, 21000)):
        Plan.objects.create(
            month=dt.date(2025, 3, 1),
            channel=channel("active"),
            manager=person,
            indicator="revenue",
            value=value,
        )


# --- pace ---------------------------------------------------------------------------------


def test_leaderboard_paces_each_manager_against_the_days_elapsed(
    director, march_facts, revenue_plans
):
    board = {row.manager.username: row for row in make_dashboard(director).leaderboard}
    anna, artem = board["manager_a"], board["manager_a2"]
    # Anna: 2100 × 6 / 21 = 600 expected, 1000 done before today: 166.7 %, on track.
    assert (anna.plan, anna.expected, anna.fact_to_date) == (
        Decimal("2100.00"),
        Decimal("600.00"),
        Decimal("1000.00"),
    )
    assert anna.pace == Decimal(1000) / Decimal(600)
    assert anna.pace_status == "on_track"
    # Artem: 21 000 × 6 / 21 = 6000 expected, 3000 done: 50 %, far behind.
    assert (artem.expected, artem.pace, artem.pace_status) == (
        Decimal("6000.00"),
        Decimal("0.5"),
        "far_behind",
    )
    # No plan, no pace.
    assert board["manager_b"].pace_status is None


def test_plan_card_and_table_carry_pace_and_the_marker(director, march_facts, revenue_plans):
    dash = make_dashboard(director)
    card = dash.plan_card
    # 23 100 planned, 6600 expected by now, 4000 of the planned channel done: 60.6 %.
    assert (card.plan, card.expected, card.fact_to_date) == (
        Decimal("23100.00"),
        Decimal("6600.00"),
        Decimal("4000.00"),
    )
    assert card.pace_status == "far_behind"
    assert card.marker == 28  # 6600 / 23 100 = 28.6 % of the bar
    active = next(row for row in dash.plan_rows if row.channel and row.indicator == "revenue")
    assert (active.expected, active.fact_to_date, active.pace_status) == (
        Decimal("6600.00"),
        Decimal("4000.00"),
        "far_behind",
    )


def test_a_leaderboard_plan_is_prorated_to_the_period(director, march_facts, revenue_plans):
    # 1-16 March: 10 of March's 21 working days (3-7, 10-14): Anna's plan 2100 × 10 / 21.
    period = {"date_from": "2025-03-01", "date_to": "2025-03-16"}
    board = {r.manager.username: r for r in make_dashboard(director, **period).leaderboard}
    assert board["manager_a"].plan == Decimal("1000.00")
    assert board["manager_a"].expected == Decimal("600.00")


def test_pace_waits_for_the_first_working_day(director, march_facts, revenue_plans):
    # As of Monday 3 March nothing has elapsed yet (1-2 March a weekend): no pace, "—".
    dash = make_dashboard(director, today=dt.date(2025, 3, 3))
    assert dash.plan_card.expected is None
    assert dash.plan_card.pace_status is None
    assert all(row.pace is None for row in dash.leaderboard)


def test_a_past_month_paces_its_whole_plan(director, march_facts, revenue_plans):
    dash = make_dashboard(director, today=dt.date(2025, 4, 2))
    assert dash.plan_card.expected == Decimal("23100.00")
    assert dash.plan_card.pace == dash.plan_card.completion


# --- comparisons --------------------------------------------------------------------------


def test_cards_compare_with_the_same_working_days_a_year_earlier(director, march_facts, manager_a):
    # As of 11 March 2025: 1-10 March holds 6 working days; in March 2024 (starting on a
    # Friday) the 6th working day is the 8th. Only 1-8 March 2024 counts.
    write_fact(manager_a, "active", dt.date(2024, 3, 5), revenue="2500.00", payments_count=1)
    write_fact(manager_a, "active", dt.date(2024, 3, 20), revenue="99999.00", payments_count=1)
    dash = make_dashboard(director)
    assert dash.year_range == (dt.date(2024, 3, 1), dt.date(2024, 3, 8))
    assert dash.year_label == "Last year: 1–10 Mar 2025 with 1–8 Mar 2024"
    cards = {card.key: card for card in dash.cards}
    # Revenue of 1-10 March 2025: 1000 + 3000 + 500 = 4500 against 2500: +80 %.
    assert cards["revenue"].year_previous == Decimal("2500.00")
    assert cards["revenue"].year_change == Decimal("0.8")
    # Rates compare in points: 3100 / 4500 = 68.9 % against 100 %: −31.1 p.p.
    assert cards["profitability"].year_change_shown == Decimal("-31.1")
    # 1-10 February has no numbers: no "vs previous period", whatever last year says.
    assert cards["revenue"].change is None


def test_no_numbers_a_year_earlier_no_comparison(director, march_facts):
    dash = make_dashboard(director)
    assert dash.year_label == ""
    assert all(card.year_change is None for card in dash.cards)


def test_hover_names_the_compared_values_and_denominators(director, march_facts, manager_a):
    write_fact(manager_a, "active", dt.date(2025, 2, 4), revenue="600.00", payments_count=2)
    cards = {card.key: card for card in make_dashboard(director).cards}
    # 1-10 March (4500.00, 4 payments) against 1-10 February (600.00, 2 payments).
    assert cards["revenue"].hint == "1–10 Mar: 4,500.00\xa0₽ · 1–10 Feb: 600.00\xa0₽"
    assert cards["average_check"].hint.endswith("(payments 2 → 4)")


# --- money by channel and by manager ------------------------------------------------------


def test_money_by_channel_has_the_whole_block_and_a_total(director, march_facts, manager_b):
    write_fact(manager_b, "inbound", dt.date(2025, 3, 6), invoiced_amount="1000.00")
    rows = make_dashboard(director).money_rows
    assert [row.channel.code if row.channel else None for row in rows] == [
        "active",
        "inbound",
        "repeat_vip",
        "partner",
        None,
    ]
    active, inbound, total = rows[0].money, rows[1], rows[-1]
    assert (active.revenue, active.variable_costs, active.margin) == (
        Decimal("4000.00"),
        Decimal("1400.00"),
        Decimal("2600.00"),
    )
    assert (active.payments_count, active.average_check) == (3, Decimal("1333.33"))
    assert active.profitability == Decimal("0.65")
    assert rows[0].received_share is None  # nothing invoiced: no ratio
    assert inbound.received_share == Decimal("0.5")
    assert (total.money.revenue, total.money.margin) == (Decimal("4500.00"), Decimal("3100.00"))


def test_margin_by_manager_sorts_totals_and_handles_a_negative_margin(
    director, march_facts, manager_b
):
    # Boris's costs exceed his revenue: a negative margin and profitability.
    write_fact(manager_b, "inbound", dt.date(2025, 3, 7), variable_costs="800.00")
    dash = make_dashboard(director)
    rows = [(r.manager.username, r.channel.code, r.money.margin) for r in dash.margin_rows]
    assert rows == [
        ("manager_a2", "active", Decimal("2000.00")),
        ("manager_a", "active", Decimal("600.00")),
        ("manager_b", "inbound", Decimal("-300.00")),
    ]
    boris = dash.margin_rows[-1].money
    assert boris.profitability == Decimal("-0.6")
    totals = [(t.channel.code if t.channel else None, t.money.margin) for t in dash.margin_totals]
    assert totals == [
        ("active", Decimal("2600.00")),
        ("inbound", Decimal("-300.00")),
        (None, Decimal("2300.00")),
    ]
    by_name = make_dashboard(director)
    by_name.sort = "manager"
    assert [r.manager.username for r in by_name.margin_rows] == [
        "manager_a",
        "manager_a2",
        "manager_b",
    ]
    worst = make_dashboard(director)
    worst.sort = "profitability"
    assert [r.manager.username for r in worst.margin_rows][0] == "manager_b"
    unknown = make_dashboard(director)
    unknown.sort = "password"
    assert unknown.margin_sort == "-margin"


_MONEY = st.decimals(0, 10**6, places=2)


@settings(max_examples=60, deadline=None)
@given(
    sums=st.lists(st.tuples(_MONEY, _MONEY, st.integers(0, 3)), min_size=1, max_size=12),
    sort=st.sampled_from([f"{sign}{field}" for field in MARGIN_SORTS for sign in ("", "-")]),
)
def test_margin_rows_sort_by_their_sums_as_by_their_metrics(sums, sort):
    # The table sorts revenue, costs and margin by the rows' sums, without working out
    # every row's metrics: the order must be the metrics' own, ties by name then channel.
    people = [SimpleNamespace(display_name=f"Manager {i % 4}") for i in range(len(sums))]
    places = [SimpleNamespace(display_order=i % 3, code=f"c{i}") for i in range(len(sums))]
    rows = [
        MarginRow(person, place, MoneySums(revenue=revenue, variable_costs=costs, payments_count=n))
        for person, place, (revenue, costs, n) in zip(people, places, sums, strict=True)
    ]
    field = sort.removeprefix("-")

    def by_name(row):
        return (row.manager.display_name.casefold(), row.channel.display_order, row.channel.code)

    metric = {id(row): getattr(MoneyMetrics.from_sums(row.sums), field, None) for row in rows}
    if field in ("manager", "channel"):
        expected = None  # orders by names: nothing of the metrics'
    else:
        present = sorted((r for r in rows if metric[id(r)] is not None), key=by_name)
        present.sort(key=lambda r: metric[id(r)], reverse=sort.startswith("-"))
        expected = present + sorted((r for r in rows if metric[id(r)] is None), key=by_name)
    found = money_panels._sorted(list(rows), sort)
    if expected is not None:
        assert [id(r) for r in found] == [id(r) for r in expected]
    assert all(r.money == MoneyMetrics.from_sums(r.sums) for r in found)


def test_margin_headers_switch_the_order_on_a_second_click(director, march_facts):
    dash = make_dashboard(director)
    headers = {h.field: h for h in dash.margin_headers}
    assert (headers["margin"].state, headers["margin"].link) == ("descending", "margin")
    assert (headers["manager"].state, headers["manager"].link) == ("", "manager")
    assert headers["revenue"].link == "-revenue"


def test_margin_panel_and_exports_over_http(client, director, march_facts, monkeypatch):
    monkeypatch.setattr(views, "_today", lambda: TODAY)
    client.force_login(director)
    url = reverse("metrics:dashboard")
    body = client.get(url, {**MARCH, "panel": "margin", "sort": "manager"}, headers=HTMX)
    html = body.content.decode()
    assert html.index("Anna Alekseeva") < html.index("Artem Antonov") < html.index("Boris")
    assert 'aria-sort="ascending"' in html
    export = client.get(f"{url}export/margin.xlsx", {**MARCH, "sort": "manager"})
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    # A title row, the header, then the rows in the page's sort; percent cells hold fractions.
    assert rows[1] == (
        "Manager",
        "Channel",
        "Revenue",
        "Variable costs",
        "Margin",
        "Profitability, %",
    )
    assert rows[2] == ("Anna Alekseeva", "Active sales", 1000, 400, 600, pytest.approx(0.6))
    assert rows[-1] == ("All managers", "All channels", 4500, 1400, 3100, pytest.approx(0.689))
    money = client.get(f"{url}export/money.csv", MARCH).content.decode("utf-8-sig")
    assert "Active sales,4000.00,4000.00" not in money  # invoiced is its own column
    assert money.splitlines()[1].startswith("Active sales,0.00,4000.00,,3,1333.33,1400.00")


def test_my_numbers_show_my_margin_only(client, manager_a, march_facts, monkeypatch):
    monkeypatch.setattr(views, "_today", lambda: TODAY)
    client.force_login(manager_a)
    html = client.get(reverse("metrics:my"), {**MARCH, "full": 1}).content.decode()
    assert "My margin by channel" in html
    margin = html.split('id="margin"', 1)[1].split("</section>", 1)[0]
    assert "Artem" not in margin
    assert "600.00" in margin
    rows = client.get(f"{reverse('metrics:my')}export/margin.csv", MARCH).content.decode()
    assert {line.split(",")[0] for line in rows.splitlines()[1:]} == {
        "Anna Alekseeva",
        "All managers",
    }


@pytest.mark.parametrize("table", ["money", "margin"])
def test_outsiders_get_no_money_tables(client, manager_a, table):
    url = f"{reverse('metrics:dashboard')}export/{table}.csv"
    assert client.get(url).status_code == 302  # to the log-in page
    client.force_login(manager_a)
    assert client.get(url).status_code == 403


# --- funnel: main indicator, activities, per-day averages ---------------------------------


def test_funnel_cards_carry_the_main_indicator_activities_and_per_day_averages(
    director, march_facts, manager_a
):
    # Today's numbers stay out of the per-day averages (taken over the days before today).
    write_fact(manager_a, "active", TODAY, first_contacts=100, prospects_added=7)
    write_fact(manager_a, "active", dt.date(2025, 3, 6), prospects_added=12)
    funnels = {f.channel.code: f for f in make_dashboard(director).funnels}
    active = funnels["active"]
    assert active.main.code == "prospects_added"
    assert [a.code for a in active.activities] == [
        "prospects_added",
        "contact_attempts",
        "proposals_reviewed",
    ]
    prospects = active.activities[0]
    assert (prospects.count, prospects.is_main) == (19, True)
    # 12 before today, 2 managers with numbers, 6 working days before today: 1.0 each.
    assert prospects.per_day == Decimal(1)
    first = active.stages[0]
    # 30 first contacts before today (130 with today's) over 2 × 6 manager-days: 2.5.
    assert (first.count, first.per_day) == (130, Decimal("2.5"))
    meetings = active.stages[1]
    assert (meetings.previous, meetings.share_of_first) == (130, Decimal(10) / 130)
    assert funnels["inbound"].main.code == "leads_received"


def test_a_funnel_of_few_shows_its_small_samples(director, march_facts):
    inbound = next(f for f in make_dashboard(director).funnels if f.channel.code == "inbound")
    qualified = inbound.stages[1]
    assert (qualified.previous, qualified.small_sample) == (8, True)


def test_the_page_shows_the_new_panels_in_both_languages(
    client, director, march_facts, revenue_plans, monkeypatch
):
    monkeypatch.setattr(views, "_today", lambda: TODAY)
    client.force_login(director)
    html = client.get(reverse("metrics:dashboard"), {**MARCH, "full": 1}).content.decode()
    for text in (
        "Money by channel",
        "Margin and profitability by manager",
        "Main indicator",
        "Far behind",
        "On track",
        "Expected by now",
        "n=10",
        "% of first stage",
    ):
        assert text in html, text
    director.language = "ru"
    director.save()
    html = client.get(reverse("metrics:dashboard"), {**MARCH, "full": 1}).content.decode()
    for text in ("Деньги по каналам", "Маржа и рентабельность по менеджерам", "Сильно отстаёт"):
        assert text in html, text


# --- norms only where they apply ----------------------------------------------------------


@pytest.fixture
def norms_day(monkeypatch):
    """Today is Wednesday 11 March 2026 for the norms view."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 3, 11))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-03-10", "No norm for 10 March: norms are set for the working days from today on."),
        ("2026-03-14", "No norm for 14 March: it is not a working day."),
        ("2026-03-12", "Your norms for today"),
    ],
)
def test_norms_only_for_working_days_from_today(client, manager_a, norms_day, day, expected):
    client.force_login(manager_a)
    body = client.get(reverse("metrics:norms"), {"date": day}, headers=HTMX).content.decode()
    assert expected in body


def test_no_norm_on_a_holiday_and_a_clear_error_for_a_bad_date(client, manager_a, norms_day):
    Holiday.objects.create(date=dt.date(2026, 3, 11), name="Holiday")
    client.force_login(manager_a)
    url = reverse("metrics:norms")
    body = client.get(url, headers=HTMX).content.decode()
    assert "No norm for 11 March: it is not a working day." in body
    bad = client.get(url, {"date": "11.03.2026"}, headers=HTMX)
    assert bad.status_code == 400
    assert bad.content.decode() == "Enter a date as YYYY-MM-DD."
