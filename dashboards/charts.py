"""Plotly figures (plain dicts, drawn by static/js/dashboard.js) from the numbers the tables show.

Labels and hover texts are the tables' own formatted strings, so a chart never disagrees with
a table; the numeric axes get plain floats (Plotly draws numbers, it does not add money).
Every clickable point carries the URL of the facts behind it in `customdata`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.utils.formats import get_format
from django.utils.html import escape
from django.utils.translation import gettext as _

from channels.templatetags.kpi_format import count, money, pct

if TYPE_CHECKING:
    from dashboards.panels.funnels import ChannelFunnel, Trend
    from dashboards.panels.people import LeaderRow

DrillUrl = Callable[..., str]
LABEL_WIDTH = 18
INSIDE_SHARE = 0.45


def separators() -> str:
    """Plotly's decimal and thousands separators for the active language."""
    decimal = get_format("DECIMAL_SEPARATOR")
    thousands = get_format("THOUSAND_SEPARATOR")
    return f"{decimal}{thousands if thousands != decimal else ' '}"


def _wrap(text: str, width: int = LABEL_WIDTH) -> str:
    """Break long stage names over lines so the chart keeps its width on a phone."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "<br>".join(lines)


def _layout(**extra) -> dict:
    return {
        "separators": separators(),
        "autosize": True,
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        "hoverlabel": {"align": "left"},
        **extra,
    }


def funnel_figure(funnel: ChannelFunnel, *, drill: DrillUrl) -> dict | None:
    """One channel's funnel: a bar per stage with its count, its conversion from the previous
    stage and its share of the first; the hover adds the previous stage's count (n)."""
    if funnel.is_empty:
        return None
    widest = max(stage.count for stage in funnel.stages)
    texts, hovers = [], []
    for i, stage in enumerate(funnel.stages):
        text = count(stage.count)
        hover = text
        if stage.conversion is not None:
            text += f" · {pct(stage.conversion)}"
            hover += "<br>" + _("%(share)s of the previous stage (n = %(n)s)") % {
                "share": pct(stage.conversion),
                "n": count(stage.previous),
            }
        if stage.share_of_first is not None:
            if i > 1:  # the second stage's share of the first is its conversion
                text += f" · {pct(stage.share_of_first)} " + _("of first")
            hover += "<br>" + _("%(share)s of the first stage") % {
                "share": pct(stage.share_of_first)
            }
        texts.append(text)
        hovers.append(hover)
    trace = {
        "type": "funnel",
        "y": [_wrap(stage.name) for stage in funnel.stages],
        "x": [stage.count for stage in funnel.stages],
        "text": texts,
        "textinfo": "text",
        # Narrow bars cannot hold their label: it goes beside them instead of shrinking away.
        "textposition": [
            "inside" if stage.count >= widest * INSIDE_SHARE else "outside"
            for stage in funnel.stages
        ],
        "insidetextanchor": "middle",
        "insidetextfont": {"color": "#ffffff"},
        "outsidetextfont": {"color": "#1d2330"},
        "constraintext": "none",
        "cliponaxis": False,
        "hovertext": hovers,
        "hovertemplate": "%{y}<br>%{hovertext}<extra></extra>",
        "marker": {"color": funnel.channel.colour},
        "connector": {"fillcolor": "#e6e9ef"},
        "customdata": [
            drill(d_code=stage.code, d_channel=funnel.channel.pk) for stage in funnel.stages
        ],
    }
    return {
        "data": [trace],
        "layout": _layout(
            height=70 + 46 * len(funnel.stages),
            yaxis={"automargin": True},
            funnelgap=0.08,
        ),
    }


def trend_figures(trend: Trend, *, drill: DrillUrl) -> dict[str, dict] | None:
    """Revenue (stacked per channel) and the chosen stage's count over the buckets."""
    if trend.is_empty:
        return None
    labels = [bucket.label for bucket in trend.buckets]

    def customdata(code: str, channel_pk: int) -> list[str]:
        return [
            drill(d_code=code, d_channel=channel_pk, d_from=b.start, d_to=b.end)
            for b in trend.buckets
        ]

    revenue_traces, stage_traces = [], []
    for series in trend.series:
        colour = series.channel.colour
        revenue_traces.append(
            {
                "type": "bar",
                "name": series.channel.name,
                "x": labels,
                "y": [float(value) for value in series.revenue],
                "text": [money(value) for value in series.revenue],
                "textposition": "none",
                "hovertemplate": "%{x}<br>" + series.channel.name + ": %{text}<extra></extra>",
                "marker": {"color": colour},
                "customdata": customdata("revenue", series.channel.pk),
            }
        )
        stage_traces.append(
            {
                "type": "bar",
                "name": series.channel.name,
                "x": labels,
                "y": series.stage,
                "text": [count(value) for value in series.stage],
                "textposition": "none",
                "hovertemplate": "%{x}<br>" + series.channel.name + ": %{text}<extra></extra>",
                "marker": {"color": colour},
                "customdata": customdata(trend.stage_code, series.channel.pk),
            }
        )
    common = {
        "barmode": "stack",
        "height": 300,
        "showlegend": True,
        "legend": {"orientation": "h", "y": -0.25},
        "xaxis": {
            "type": "category",
            "automargin": True,
            "tickangle": -45 if len(labels) > 8 else 0,
        },
    }
    return {
        "revenue": {
            "data": revenue_traces,
            "layout": _layout(
                **common, yaxis={"tickformat": ",.0f", "automargin": True, "rangemode": "tozero"}
            ),
        },
        "stage": {
            "data": stage_traces,
            "layout": _layout(
                **common, yaxis={"tickformat": ",d", "automargin": True, "rangemode": "tozero"}
            ),
        },
    }


def leaderboard_figure(rows: list[LeaderRow], *, drill: DrillUrl) -> dict | None:
    """Plan completion per manager (managers with a plan), best on top: a bar per row
    given, so the caller passes the top of the board and the height follows."""
    with_plan = [row for row in rows if row.completion is not None]
    if not with_plan:
        return None
    with_plan.reverse()  # Plotly draws the first bar at the bottom
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [row.manager.board_name for row in with_plan],
                "x": [float(row.completion * 100) for row in with_plan],
                "text": [pct(row.completion) for row in with_plan],
                "textposition": "auto",
                "hovertemplate": "%{y}: %{text}<br>"
                + _("Revenue")
                + ": %{customdata[1]}<extra></extra>",
                "marker": {
                    "color": ["#1a7f37" if row.completion >= 1 else "#2454d6" for row in with_plan]
                },
                "customdata": [
                    [drill(d_code="revenue", d_manager=row.manager.pk), money(row.revenue)]
                    for row in with_plan
                ],
            }
        ],
        "layout": _layout(
            height=60 + 28 * len(with_plan),
            xaxis={"ticksuffix": " %", "automargin": True, "rangemode": "tozero"},
            yaxis={"automargin": True},
            shapes=[
                {
                    "type": "line",
                    "x0": 100,
                    "x1": 100,
                    "yref": "paper",
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": "#667085", "dash": "dot", "width": 1},
                }
            ],
        ),
    }


# The preview's geometry, as the figure's layout draws it: margins in px, the stage names in
# the left share of the width (percent), the bars centred in the rest.
PREVIEW_MARGIN = 8
PREVIEW_LABELS = 38.0
PREVIEW_LINE = 14


def funnel_preview(figure: dict | None) -> str:
    """A still SVG of a funnel figure — the same bars, labels and texts — written into the
    chart's element with the page, so the first chart shows before plotly.js has arrived and
    run (a phone on mobile data spends seconds on that); dashboard.js then draws the
    interactive chart in its place. Presentational: the element's label and the numbers table
    carry the meaning."""
    if not figure:
        return ""
    trace = figure["data"][0]
    height = figure["layout"]["height"]
    values = trace["x"]
    widest = max(values) or 1
    row = (height - 2 * PREVIEW_MARGIN) / len(values)
    gap = row * figure["layout"].get("funnelgap", 0)
    plot_left = PREVIEW_LABELS + 1
    plot_width = 100 - plot_left - 1
    centre = plot_left + plot_width / 2
    colour = escape(trace["marker"]["color"])
    parts = []
    for i, (label, value, text, where) in enumerate(
        zip(trace["y"], values, trace["text"], trace["textposition"], strict=True)
    ):
        top = PREVIEW_MARGIN + i * row + gap / 2
        middle = top + (row - gap) / 2
        width = plot_width * value / widest
        left = centre - width / 2
        parts.append(
            f'<rect x="{left:.2f}%" y="{top:.1f}" width="{width:.2f}%" '
            f'height="{row - gap:.1f}" fill="{colour}"/>'
        )
        lines = label.split("<br>")
        first = middle - (len(lines) - 1) * PREVIEW_LINE / 2
        spans = "".join(
            f'<tspan x="{PREVIEW_LABELS}%" y="{first + j * PREVIEW_LINE:.1f}">'
            f"{escape(line)}</tspan>"
            for j, line in enumerate(lines)
        )
        parts.append(f'<text text-anchor="end" dominant-baseline="middle">{spans}</text>')
        if where == "inside":
            spot = f'x="{centre:.2f}%" text-anchor="middle" fill="#ffffff"'
        else:
            spot = f'x="{left + width + 1:.2f}%" text-anchor="start" fill="#1d2330"'
        parts.append(
            f'<text {spot} y="{middle:.1f}" dominant-baseline="middle">{escape(text)}</text>'
        )
    font = escape(figure["layout"]["font"]["family"])
    return (
        f'<svg class="chart-preview" width="100%" height="{height}" aria-hidden="true" '
        f'focusable="false" font-family="{font}" font-size="12" fill="#1d2330">'
        + "".join(parts)
        + "</svg>"
    )
