import json
from decimal import Decimal

import pytest
from django.utils import translation

from dashboards import charts
from tests.factories import channel
from tests.metrics.test_dashboard import make_dashboard


def drill(**params):
    return "drill?" + "&".join(f"{k}={v}" for k, v in sorted(params.items()))


@pytest.fixture
def dash(director, march_facts):
    return make_dashboard(director)


def test_funnel_has_a_bar_per_stage_in_the_channels_colour(dash):
    active = next(f for f in dash.funnels if f.channel.code == "active")
    figure = charts.funnel_figure(active, drill=drill)
    trace = figure["data"][0]
    assert trace["type"] == "funnel"
    assert trace["x"] == [30, 10, 9, 6, 4, 4]
    assert trace["marker"]["color"] == channel("active").colour
    # Count, the conversion from the previous stage and, from the third stage on, the share
    # of the first, formatted as in the tables; the hover names the sample size.
    assert trace["text"][:3] == [
        "30",
        "10 · 33.3\u00a0%",
        "9 · 90.0\u00a0% · 30.0\u00a0% of first",
    ]
    assert trace["hovertext"][2] == (
        "9<br>90.0\u00a0% of the previous stage (n = 10)<br>30.0\u00a0% of the first stage"
    )
    assert trace["customdata"][0] == f"drill?d_channel={active.channel.pk}&d_code=first_contacts"
    assert len(trace["y"]) == 6


def test_funnel_labels_follow_the_language(dash):
    with translation.override("ru"):
        active = next(f for f in make_dashboard_ru(dash).funnels if f.channel.code == "active")
        figure = charts.funnel_figure(active, drill=drill)
        assert figure["data"][0]["text"][1] == "10 · 33,3\u00a0%"
        assert figure["data"][0]["y"][0] == "Первичные касания"
        assert figure["layout"]["separators"] == ",\u00a0"
    assert charts.separators() == ".,"


def make_dashboard_ru(dash):
    # Channel and stage names are read in the active language when the catalogue is loaded.
    return make_dashboard(dash.f.viewer)


def test_empty_funnel_draws_nothing(dash):
    partner = next(f for f in dash.funnels if f.channel.code == "partner")
    assert charts.funnel_figure(partner, drill=drill) is None


def test_trend_has_a_trace_per_channel_with_the_bucket_urls(director, march_facts):
    trend = make_dashboard(director, granularity="week").trend
    figures = charts.trend_figures(trend, drill=drill)
    revenue = figures["revenue"]["data"]
    assert [t["name"] for t in revenue] == [
        "Active sales",
        "Inbound sales",
        "Repeat and VIP clients",
        "Partner sales",
    ]
    assert revenue[0]["y"][1] == 4000.0
    assert revenue[0]["text"][1] == "4,000.00\u00a0₽"
    assert revenue[0]["customdata"][1] == (
        f"drill?d_channel={channel('active').pk}&d_code=revenue&d_from=2025-03-03&d_to=2025-03-09"
    )
    assert figures["stage"]["data"][0]["y"][1] == 4  # invoices issued in active sales
    assert figures["revenue"]["layout"]["barmode"] == "stack"


def test_trend_without_facts_draws_nothing(director):
    assert charts.trend_figures(make_dashboard(director).trend, drill=drill) is None


def test_leaderboard_chart_shows_managers_with_a_plan(director, manager_a, march_facts):
    from plans.models import Plan

    Plan.objects.create(
        month=make_dashboard(director).f.date_from,
        channel=channel("active"),
        manager=manager_a,
        indicator="revenue",
        value=Decimal("800"),
    )
    figure = charts.leaderboard_figure(make_dashboard(director).leaderboard, drill=drill)
    bar = figure["data"][0]
    assert bar["y"] == ["Anna Alekseeva"]
    assert bar["x"] == [125.0]
    assert bar["text"] == ["125.0\u00a0%"]


def test_leaderboard_chart_needs_plans(dash):
    assert charts.leaderboard_figure(dash.leaderboard, drill=drill) is None


def test_figures_are_plain_json(dash):
    for _funnel, figure, _id in dash.funnel_figures:
        json.dumps(figure)  # no Decimal, no date: Plotly gets numbers and strings only
    json.dumps(dash.trend_figures)
