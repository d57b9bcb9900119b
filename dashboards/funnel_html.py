"""A channel's funnel card, written in Python: the markup its template wrote
(the first screen of the dashboard shows one per channel, and a template resolves each of
their few hundred variables and translations on its own). Values are escaped, translations
written as `{% translate %}` writes them."""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from channels.templatetags.kpi_format import figure_json, points
from dashboards import charts
from dashboards.rows import Formats, escape, funnel_activities, funnel_numbers


def _percent(translated: str) -> str:
    """A `{% translate "…" %}` of a literal with a percent sign: the catalogue has it
    doubled (as makemessages writes a template's), the page shows it single."""
    return translated.replace("%%", "%")


class _Words:
    """The card's fixed words, translated (outside the f-strings, where makemessages finds
    them)."""

    def __init__(self):
        self.per_working_day_each = gettext("per manager per working day")
        self.main = gettext("Main indicator")
        self.velocity = gettext("Sales velocity")
        self.per_working_day = gettext("per working day")
        self.first_stage_per_day = gettext("first-stage per day")
        self.conversion = gettext("Funnel conversion")
        self.revenue = gettext("revenue")
        self.margin = gettext("margin")
        self.no_numbers = gettext("No funnel numbers in this period yet.")
        self.activities = gettext("Activities")
        self.numbers = gettext("Numbers")
        self.stage = gettext("Stage")
        self.count = gettext("Count")
        self.of_previous = _percent(gettext("%% of previous stage"))
        self.of_first = _percent(gettext("%% of first stage"))
        self.per_day_header = gettext("Per manager per working day")


def _main(funnel, q: str, num: Formats, w: _Words) -> str:
    main = funnel.main
    if not main:
        return ""
    keys = f"d_code={escape(main.code)}&amp;d_channel={funnel.channel.pk}"
    rate = ""
    if main.per_day is not None:
        rate = (
            f'\n    <span class="muted">· {num.decimal1(main.per_day)} '
            f"{w.per_working_day_each}</span>"
        )
    return (
        f'<p class="main-indicator"><span class="badge">{w.main}</span>\n'
        f'    {escape(main.name)}: <strong><a href="?{q}&amp;{keys}#drill"\n'
        f'      hx-get="?{q}&amp;panel=drill&amp;{keys}"\n'
        f'      hx-target="#drill" hx-swap="outerHTML">{num.count(main.count)}</a></strong>'
        f"{rate}</p>"
    )


def _velocity(funnel, compared_label: str, num: Formats, w: _Words) -> str:
    v = funnel.velocity
    if not v or v.now.value is None:
        return ""
    change = ""
    if v.value_change is not None:
        up, down = v.value_change > 0, v.value_change < 0
        direction = "up" if up else "down" if down else ""
        arrow = "▲" if up else "▼" if down else ""
        shown = num.pct(v.value_change)
        change = f'\n    <span class="delta {direction}">({arrow}\n      {shown})</span>'
    per_day = "" if v.per_day_change is None else f" ({num.pct(v.per_day_change)})"
    conversion = "" if v.conversion_change is None else f" ({points(v.conversion_change)})"
    check = "" if v.check_change is None else f" ({num.pct(v.check_change)})"
    return (
        f'<p class="velocity" title="{escape(compared_label)}">\n'
        f"    {w.velocity}: <strong>{num.money(v.now.value)}</strong> "
        f"{w.per_working_day}{change}<br>\n"
        f'    <span class="muted small">= {num.decimal1(v.now.per_day)} '
        f"{w.first_stage_per_day}{per_day}\n"
        f"      × {num.pct(v.now.conversion)}{conversion}\n"
        f"      × {num.money(v.now.average_check)}{check}</span></p>"
    )


def funnel_card(funnel, figure, figure_id: str, query: str, dash) -> SafeString:
    """One channel's card: main indicator, conversion and money, velocity, the funnel chart
    (a still preview and its figure), activities and the numbers table."""
    q, num, w = escape(query), Formats(), _Words()
    channel = funnel.channel
    code, name = escape(channel.code), escape(channel.name)
    parts = [
        f'<article class="card funnel-card" id="funnel-{code}">\n'
        f'  <h3><span class="dot" style="background: {escape(channel.colour)}"></span>'
        f"{name}</h3>\n  {_main(funnel, q, num, w)}\n  \n"
        f'  <p class="muted">{w.conversion}: '
        f"<strong>{num.pct(funnel.funnel_conversion)}</strong> · {w.revenue} "
        f"<strong>{num.money(funnel.money.revenue)}</strong>\n"
        f"    · {w.margin} <strong>{num.money(funnel.money.margin)}</strong></p>\n  \n"
        f"  {_velocity(funnel, dash.compared_label, num, w)}\n  "
    ]
    if figure:
        label = gettext("Funnel of %(channel)s; the numbers are in the table below") % {
            "channel": name
        }
        parts.append(
            f'\n  <div class="chart funnel-chart" id="chart-funnel-{code}" '
            f'data-figure="{escape(figure_id)}"\n'
            f'      data-channel="{code}" role="img" aria-label="{label}" '
            f'aria-describedby="numbers-funnel-{code}">{charts.funnel_preview(figure)}</div>\n'
            f"  {figure_json(figure, figure_id)}\n  "
        )
    else:
        parts.append(f'<p class="empty">{w.no_numbers}</p>')
    parts.append("\n  ")
    if funnel.activities:
        parts.append(
            f'\n  <div class="activities"><h4>{w.activities}</h4>\n'
            f"    <ul>{funnel_activities(funnel, query, num)}</ul>\n  </div>\n  "
        )
    parts.append(
        f'\n  <details class="numbers"><summary>{w.numbers}</summary>\n'
        f'    <div class="table-wrap" tabindex="0"><table class="funnel-numbers" '
        f'id="numbers-funnel-{code}">\n'
        f'      <thead><tr><th>{w.stage}</th><th class="num">{w.count}</th><th\n'
        f'        class="num">{w.of_previous}</th><th class="num">'
        f"{w.of_first}</th><th\n"
        f'        class="num">{w.per_day_header}</th></tr></thead>\n'
        f"    <tbody>{funnel_numbers(funnel, query, num)}</tbody></table></div>\n    "
    )
    if funnel.people:
        note = ngettext(
            "Per day: facts before today, over %(people)s manager with numbers in this "
            "channel and %(days)s working days of the period before today.",
            "Per day: facts before today, over %(people)s managers with numbers in this "
            "channel and %(days)s working days of the period before today.",
            funnel.people,
        ) % {"people": funnel.people, "days": dash.worked_days}
        parts.append(f'<p class="muted small">{note}</p>')
    parts.append("\n  </details>\n</article>\n")
    return mark_safe("".join(parts))  # noqa: S308 — every value in `parts` is escaped
