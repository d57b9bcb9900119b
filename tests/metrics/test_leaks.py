"""Money lost at a stage (docs/metrics.md, "Money lost at a stage"), the bottleneck finder's
page and panels, sales velocity: exact values and properties."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from dashboards import views
from metrics.compute import sales_velocity
from metrics.leaks import median, money_lost, per_unit, reference_conversion, stage_leaks
from metrics.pace import MIN_SAMPLE
from plans.models import Plan
from tests.factories import channel, make_user, write_fact
from tests.metrics.conftest import MARCH
from tests.metrics.test_dashboard import TODAY, make_dashboard

# --- the formula --------------------------------------------------------------------------


def test_the_documented_example():
    # 100 meetings, 20 negotiations (20 %) against a team median of 30 %: 10 negotiations
    # short; 200 000.00 of revenue over those 20 negotiations is 10 000.00 each: 100 000.00
    # lost, and with 80 000.00 of margin, 40 000.00 of margin.
    leak = stage_leaks(
        manager_id=1,
        channel_id=1,
        counts=[400, 100, 20],
        revenue=Decimal("200000.00"),
        margin=Decimal("80000.00"),
        team_counts=[1000, 300, 90],
        team_revenue=Decimal("900000.00"),
        team_margin=Decimal("300000.00"),
        references=[(None, ""), (Decimal("0.25"), "team"), (Decimal("0.3"), "team")],
    )
    first, second = leak
    assert (second.stage_index, second.previous_count, second.conversion) == (
        2,
        100,
        Decimal("0.2"),
    )
    assert second.missing == Decimal(10)
    assert second.money == Decimal("100000.00")
    assert second.margin == Decimal("40000.00")
    assert not second.team_value
    # At the first gap the manager is at the reference (100 of 400 = 25 %): nothing lost.
    assert (first.money, first.margin) == (0, 0)


def test_gaps_only_leaves_out_the_stages_that_lose_nothing():
    arguments = {
        "manager_id": 1,
        "channel_id": 1,
        "counts": [400, 100, 20, 20],
        "revenue": Decimal("200000.00"),
        "margin": Decimal("80000.00"),
        "team_counts": [1000, 300, 90, 90],
        "team_revenue": Decimal("900000.00"),
        "team_margin": Decimal("300000.00"),
        # At the reference, below it, and without one.
        "references": [(None, ""), (Decimal("0.25"), "team"), (Decimal("0.3"), "team"), (None, "")],
    }
    every = stage_leaks(**arguments)
    assert [leak.stage_index for leak in every] == [1, 2, 3]
    (gap,) = stage_leaks(**arguments, gaps_only=True)
    assert gap == every[1]
    assert (gap.stage_index, gap.money) == (2, Decimal("100000.00"))
    assert all(leak.money == leak.margin == 0 for leak in (every[0], every[2]))


def test_a_thin_stage_is_priced_at_the_teams_revenue_per_unit():
    # 5 negotiations (< MIN_SAMPLE): the team's 900 000.00 over 90 is 10 000.00 each.
    (leak,) = stage_leaks(
        manager_id=1,
        channel_id=1,
        counts=[50, 5],
        revenue=Decimal("100000.00"),
        margin=Decimal("0"),
        team_counts=[300, 90],
        team_revenue=Decimal("900000.00"),
        team_margin=Decimal("300000.00"),
        references=[(None, ""), (Decimal("0.3"), "team")],
    )
    # 50 × (0.3 − 0.1) × 10 000 = 100 000; margin: the manager has none, the team's per unit.
    assert leak.team_value
    assert leak.money == Decimal("100000.00")
    assert leak.margin == Decimal("50") * Decimal("0.2") * (Decimal("300000.00") / 90)


def test_missing_data_loses_nothing():
    # No previous count: no row; no paid deals anywhere: no value per unit, nothing priced.
    assert (
        stage_leaks(
            manager_id=1,
            channel_id=1,
            counts=[0, 0],
            revenue=Decimal(0),
            margin=Decimal(0),
            team_counts=[0, 0],
            team_revenue=Decimal(0),
            team_margin=Decimal(0),
            references=[(None, ""), (Decimal("0.5"), "team")],
        )
        == []
    )
    assert per_unit(Decimal(0), 10, team_value=Decimal(0), team_count=0) == (None, False)
    assert (
        money_lost(
            previous_count=10, conversion=Decimal("0.1"), reference=None, value_per_unit=Decimal(5)
        )
        == 0
    )
    assert (
        money_lost(
            previous_count=10,
            conversion=Decimal("0.1"),
            reference=Decimal("0.5"),
            value_per_unit=None,
        )
        == 0
    )


def test_a_conversion_above_100_percent_is_above_any_reference():
    assert (
        money_lost(
            previous_count=10,
            conversion=Decimal("1.2"),
            reference=Decimal("0.9"),
            value_per_unit=Decimal(100),
        )
        == 0
    )


def test_the_reference_is_the_plan_where_both_stages_are_planned_else_the_team_median():
    peers = [(100, 30), (50, 10), (40, 30), (10, 10)]  # the last one too small to count
    assert reference_conversion(planned=(Decimal(200), Decimal(50)), peers=peers) == (
        Decimal("0.25"),
        "plan",
    )
    # Median of 0.3, 0.2 and 0.75.
    assert reference_conversion(planned=(None, Decimal(50)), peers=peers) == (
        Decimal("0.3"),
        "team",
    )
    assert reference_conversion(peers=[(MIN_SAMPLE - 1, 5)]) == (None, "")
    assert median([Decimal(1), Decimal(4)]) == Decimal("2.5")
    assert median([]) is None


@given(
    previous=st.integers(0, 10_000),
    own=st.decimals(0, 3, places=4),
    reference=st.decimals(0, 3, places=4),
    unit=st.decimals(-1000, 10**6, places=2),
)
def test_money_lost_is_never_negative_and_nothing_at_or_above_the_reference(
    previous, own, reference, unit
):
    lost = money_lost(
        previous_count=previous, conversion=own, reference=reference, value_per_unit=unit
    )
    assert lost >= 0
    if own >= reference:
        assert lost == 0


@given(
    counts=st.lists(st.integers(0, 500), min_size=2, max_size=6),
    revenue=st.decimals(0, 10**7, places=2),
)
def test_a_manager_who_is_the_reference_loses_nothing(counts, revenue):
    # The reference equal to the manager's own conversions: no gap anywhere.
    references = [(None, "")] + [
        (Decimal(c) / Decimal(p) if p else None, "team")
        for p, c in zip(counts, counts[1:], strict=False)
    ]
    leaks = stage_leaks(
        manager_id=1,
        channel_id=1,
        counts=counts,
        revenue=revenue,
        margin=revenue / 2,
        team_counts=counts,
        team_revenue=revenue,
        team_margin=revenue / 2,
        references=references,
    )
    assert all(leak.money == 0 and leak.margin == 0 for leak in leaks)


# --- velocity -----------------------------------------------------------------------------


def test_sales_velocity_is_the_product_of_its_three_factors():
    # 120 first contacts over 6 working days (20 a day) × 6 won of 120 (5 %) × an average
    # check of 50 000.00 (150 000.00 over 3 payments) = 50 000.00 per working day.
    found = sales_velocity(first=120, last=6, days=6, revenue=Decimal("150000.00"), payments=3)
    assert (found.per_day, found.conversion, found.average_check) == (
        Decimal(20),
        Decimal("0.05"),
        Decimal("50000.00"),
    )
    assert found.value == Decimal("50000.00")
    assert sales_velocity(first=0, last=0, days=6, revenue=Decimal(0), payments=0).value is None
    assert sales_velocity(first=5, last=1, days=0, revenue=Decimal(1), payments=1).value is None


def test_channel_cards_carry_velocity_against_the_previous_period(director, march_facts):
    # March 2025 as of 11 March: 1-10 March (6 working days) against 1-10 February (6).
    write_fact(
        make_user("extra", team=None),
        "active",
        dt.date(2025, 2, 5),
        first_contacts=12,
        invoices_issued=1,
        revenue="500.00",
        payments_count=1,
    )
    active = next(f for f in make_dashboard(director).funnels if f.channel.code == "active")
    v = active.velocity
    # Now: 30 first contacts / 6 days = 5 a day × 4 of 30 × 4000.00 / 3 = 888.89 a day.
    assert (v.now.per_day, v.now.conversion) == (Decimal(5), Decimal(4) / Decimal(30))
    assert v.now.average_check == Decimal("1333.33")
    # Before: 12 / 6 = 2 a day × 1 of 12 × 500.00 (the 20 February fact is outside 1-10).
    assert (v.before.per_day, v.before.average_check) == (Decimal(2), Decimal("500.00"))
    assert v.per_day_change == Decimal("1.5")
    assert v.conversion_change == Decimal(4) / Decimal(30) - Decimal(1) / Decimal(12)


# --- the page and the panels --------------------------------------------------------------


@pytest.fixture
def leaky(team1, manager_a, manager_a2):
    """Team 1 in active sales: Anna books 100 meetings and holds 20 negotiations; Artem and
    Ada hold 60 of 100 and 40 of 100 (median of the three: 40 %)."""
    ada = make_user("ada", team=team1, full_name="Ada Adams")
    day = dt.date(2025, 3, 4)
    write_fact(manager_a, "active", day, first_contacts=300, meetings_set=100,
               negotiations_held=20, revenue="200000.00", payments_count=4,
               variable_costs="120000.00")  # fmt: skip
    write_fact(manager_a2, "active", day, first_contacts=300, meetings_set=100,
               negotiations_held=60, revenue="300000.00", payments_count=6)  # fmt: skip
    write_fact(ada, "active", day, first_contacts=300, meetings_set=100, negotiations_held=40,
               revenue="100000.00", payments_count=2)  # fmt: skip
    return ada


def test_the_finder_ranks_anna_first_with_exact_money(director, leaky, manager_a):
    leaks = make_dashboard(director).leaks
    top = leaks[0]
    assert (top.manager, top.channel.code, top.stage_code) == (
        manager_a,
        "active",
        "negotiations_held",
    )
    # 100 × (0.4 − 0.2) × 200 000.00 / 20 = 200 000.00; margin 80 000.00 / 20 per unit.
    assert (top.leak.reference, top.leak.reference_from) == (Decimal("0.4"), "team")
    assert top.money == Decimal("200000.00")
    assert top.margin == Decimal("80000.00")
    # Ada is at the median, Artem above: no leak at negotiations for them.
    assert {(r.manager.username, r.stage_code) for r in leaks} == {
        ("manager_a", "negotiations_held")
    }
    by_stage = make_dashboard(director).leaks_by_stage
    assert [(t.channel.code, t.money, t.managers) for t in by_stage] == [
        ("active", Decimal("200000.00"), 1)
    ]
    assert [(t.label, t.money) for t in make_dashboard(director).leaks_by_team] == [
        ("Team 1", Decimal("200000.00"))
    ]


def test_a_planned_conversion_is_the_reference(director, leaky, manager_a):
    for indicator, value in (("meetings_set", 100), ("negotiations_held", 25)):
        Plan.objects.create(month=dt.date(2025, 3, 1), channel=channel("active"),
                            manager=manager_a, indicator=indicator, value=value)  # fmt: skip
    top = make_dashboard(director).leaks[0]
    # 100 × (0.25 − 0.2) × 10 000.00 = 50 000.00.
    assert (top.leak.reference_from, top.money) == ("plan", Decimal("50000.00"))


def test_my_leaks_compare_a_manager_with_their_team(client, manager_a, leaky, monkeypatch):
    monkeypatch.setattr(views, "_today", lambda: TODAY)
    dash = make_dashboard(manager_a, mine=True)
    assert [(r.manager, r.money) for r in dash.leaks] == [(manager_a, Decimal("200000.00"))]
    client.force_login(manager_a)
    html = client.get(reverse("metrics:my"), {**MARCH, "full": 1}).content.decode()
    assert "My leaks" in html
    assert "200,000.00" in html.split('id="leaks"', 1)[1].split("</section>", 1)[0]


def test_the_leaks_page_and_its_export(client, director, leaky, monkeypatch):
    monkeypatch.setattr(views, "_today", lambda: TODAY)
    client.force_login(director)
    html = client.get(reverse("metrics:leaks"), MARCH).content.decode()
    assert "Where the department loses most" in html
    assert "Anna Alekseeva" in html
    assert "200,000.00" in html
    rows = client.get(f"{reverse('metrics:dashboard')}export/leaks.csv", MARCH)
    lines = rows.content.decode("utf-8-sig").splitlines()
    assert lines[1].split(",") == [
        "Anna Alekseeva",
        "Active sales",
        "Meetings and presentations set",
        "Negotiations held",
        "100",
        "20",
        "20.0",
        "40.0",
        "team median",
        "20.0",
        "200000.00",
        "80000.00",
        "",
        "",
    ]
    panel = client.get(
        reverse("metrics:dashboard"), {**MARCH, "panel": "leaks"}, headers={"HX-Request": "true"}
    )
    assert "Where the money leaks" in panel.content.decode()


def test_a_manager_cannot_open_the_finder(client, manager_a):
    client.force_login(manager_a)
    assert client.get(reverse("metrics:leaks")).status_code == 403
