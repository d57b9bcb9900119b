import json
import re
from decimal import Decimal

import pytest
from django.utils import translation

from dashboards import charts
from tests.factories import channel
from tests.metrics.conftest import MARCH
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


def test_the_funnel_preview_draws_the_figures_bars_and_texts():
    figure = {
        "data": [
            {
                "y": ["First contacts", "Meetings<br>set", "<b>Won</b>"],
                "x": [200, 100, 20],
                "text": ["200", "100 · 50.0\u00a0%", "20 · 20.0\u00a0%"],
                "textposition": ["inside", "inside", "outside"],
                "marker": {"color": "#2454d6"},
            }
        ],
        "layout": {"height": 208, "funnelgap": 0.08, "font": {"family": "system-ui"}},
    }
    svg = charts.funnel_preview(figure)
    assert svg.startswith('<svg class="chart-preview" width="100%" height="208" aria-hidden="true"')
    # Rows of (208 − 2 × 8) ÷ 3 = 64 px less the gap of 8 %; bars centred in the 61 % right of
    # the names, as wide as their share of the widest.
    rects = re.findall(r'<rect x="([\d.]+)%" y="([\d.]+)" width="([\d.]+)%" height="([\d.]+)"', svg)
    assert rects == [
        ("39.00", "10.6", "60.00", "58.9"),
        ("54.00", "74.6", "30.00", "58.9"),
        ("66.00", "138.6", "6.00", "58.9"),
    ]
    assert 'fill="#2454d6"' in svg
    # Names right-aligned before the bars, a <br> as a second line; texts escaped.
    assert '<tspan x="38.0%" y="97.0">Meetings</tspan><tspan x="38.0%" y="111.0">set</tspan>' in svg
    assert "&lt;b&gt;Won&lt;/b&gt;" in svg
    assert "<b>" not in svg
    # Inside texts white in the middle, outside ones dark beside the bar.
    assert 'x="69.00%" text-anchor="middle" fill="#ffffff" y="104.0"' in svg
    assert 'x="73.00%" text-anchor="start" fill="#1d2330" y="168.0"' in svg
    assert charts.funnel_preview(None) == ""


def test_the_funnel_card_carries_the_preview_with_the_page(client, director, march_facts):
    client.force_login(director)
    page = client.get("/dashboard/", {**MARCH}).content.decode()
    chart = page.split('id="chart-funnel-active"', 1)[1].split("</div>", 1)[0]
    assert '<svg class="chart-preview"' in chart
    assert chart.count("<rect ") == channel("active").indicators.filter(kind="stage").count()
