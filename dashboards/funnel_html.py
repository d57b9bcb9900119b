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


def _t(message: str) -> str:
    """`{% translate "…" %}` of a literal with a percent sign: looked up doubled, shown single."""
    return gettext(message.replace("%", "%%")).replace("%%", "%")


def _main(funnel, q: str, num: Formats) -> str:
    main = funnel.main
    if not main:
        return ""
    keys = f"d_code={escape(main.code)}&amp;d_channel={funnel.channel.pk}"
    rate = ""
    if main.per_day is not None:
        rate = (
            f'\n    <span class="muted">· {num.decimal1(main.per_day)} '
            f"{gettext('per manager per working day')}</span>"
        )
    return (
        f'<p class="main-indicator"><span class="badge">{gettext("Main indicator")}</span>\n'
        f'    {escape(main.name)}: <strong><a href="?{q}&amp;{keys}#drill"\n'
        f'      hx-get="?{q}&amp;panel=drill&amp;{keys}"\n'
        f'      hx-target="#drill" hx-swap="outerHTML">{num.count(main.count)}</a></strong>'
        f"{rate}</p>"
    )


def _velocity(funnel, compared_label: str, num: Formats) -> str:
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
        f"    {gettext('Sales velocity')}: <strong>{num.money(v.now.value)}</strong> "
        f"{gettext('per working day')}{change}<br>\n"
        f'    <span class="muted small">= {num.decimal1(v.now.per_day)} '
        f"{gettext('first-stage per day')}{per_day}\n"
        f"      × {num.pct(v.now.conversion)}{conversion}\n"
        f"      × {num.money(v.now.average_check)}{check}</span></p>"
    )


def funnel_card(funnel, figure, figure_id: str, query: str, dash) -> SafeString:
    """One channel's card: main indicator, conversion and money, velocity, the funnel chart
    (a still preview and its figure), activities and the numbers table."""
    q, num = escape(query), Formats()
    channel = funnel.channel
    code, name = escape(channel.code), escape(channel.name)
    parts = [
        f'<article class="card funnel-card" id="funnel-{code}">\n'
        f'  <h3><span class="dot" style="background: {escape(channel.colour)}"></span>'
        f"{name}</h3>\n  {_main(funnel, q, num)}\n  \n"
        f'  <p class="muted">{gettext("Funnel conversion")}: '
        f"<strong>{num.pct(funnel.funnel_conversion)}</strong> · {gettext('revenue')} "
        f"<strong>{num.money(funnel.money.revenue)}</strong>\n"
        f"    · {gettext('margin')} <strong>{num.money(funnel.money.margin)}</strong></p>\n  \n"
        f"  {_velocity(funnel, dash.compared_label, num)}\n  "
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
        parts.append(f'<p class="empty">{gettext("No funnel numbers in this period yet.")}</p>')
    parts.append("\n  ")
    if funnel.activities:
        parts.append(
            f'\n  <div class="activities"><h4>{gettext("Activities")}</h4>\n'
            f"    <ul>{funnel_activities(funnel, query, num)}</ul>\n  </div>\n  "
        )
    parts.append(
        f'\n  <details class="numbers"><summary>{gettext("Numbers")}</summary>\n'
        f'    <div class="table-wrap" tabindex="0"><table class="funnel-numbers" '
        f'id="numbers-funnel-{code}">\n'
        f'      <thead><tr><th>{gettext("Stage")}</th><th class="num">{gettext("Count")}</th><th\n'
        f'        class="num">{_t("% of previous stage")}</th><th class="num">'
        f"{_t('% of first stage')}</th><th\n"
        f'        class="num">{gettext("Per manager per working day")}</th></tr></thead>\n'
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
