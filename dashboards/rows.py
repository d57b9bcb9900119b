"""The dashboard's long tables' rows written in Python: the same markup their templates
wrote, a few times faster (a page has thousands of cells, and the template engine resolves
every variable and filter of every cell on its own).

Every value from the data is escaped here (`escape`); translations are written as the
templates' `{% translate %}` writes them (as they are). A table's fixed parts (header,
footer, the "Show all" link) stay in the templates.
"""

from __future__ import annotations

from html import escape as _escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from channels.templatetags.kpi_format import Numbers


def escape(value) -> str:
    """django.utils.html.escape's text (without its lazy-string wrapper: called per cell)."""
    return _escape(str(value))


class Formats(Numbers):
    """kpi_format's filters for one table, the money escaped as the templates escape it
    (the currency is a setting)."""

    def __init__(self):
        super().__init__()
        unescaped = self.money
        self.money = lambda value: escape(unescaped(value))


def _safe(parts: list[str]) -> SafeString:
    return mark_safe("".join(parts))  # noqa: S308 — every value in `parts` is escaped


# --- "Where managers lose clients" ----------------------------------------------------------
class _ConvWords:
    """The conversion cells' fixed words, translated once per table."""

    def __init__(self):
        above, below = gettext("above the channel"), gettext("below the channel")
        self.above, self.below = self._signal(above, "▲"), self._signal(below, "▼")
        self.sample = gettext("Sample size: the count at the previous stage")

    @staticmethod
    def _signal(words: str, arrow: str) -> str:
        return (
            f'<span class="signal" title="{words}">{arrow}</span><span\n'
            f'    class="sr-only">{words}</span>'
        )


def conv_pct(cell, words: _ConvWords | None = None, num: Formats | None = None) -> str:
    """dashboards/_conv_pct.html: a cell's conversion, its signal and its sample size."""
    words, num = words or _ConvWords(), num or Formats()
    signal = (
        words.above if cell.signal == "above" else words.below if cell.signal == "below" else ""
    )
    n = ""
    if cell.previous is not None:
        n = f'\n  <span class="n" title="{words.sample}">n={num.count(cell.previous)}</span>'
    return f'<span class="conv-pct">{signal}{num.pct(cell.conversion)}{n}</span>\n'


def conversion_rows(block, rows, query: str) -> SafeString:
    """The manager rows of a channel's conversion table (dashboard.html#conversions)."""
    words, num = _ConvWords(), Formats()
    q = escape(query)
    channel = block.channel.pk
    parts = []
    for row in rows:
        manager = row.manager.pk
        parts.append(f"<tr><td>{escape(row.manager.board_name)}</td>")
        for cell in row.cells:
            small = " small-n" if cell.small_sample else ""
            code = escape(cell.indicator_code)
            keys = f"d_code={code}&amp;d_channel={channel}&amp;d_manager={manager}"
            parts.append(
                f'<td\n          class="num conv{small}" style="{escape(cell.style)}"><a\n'
                f'          href="?{q}&amp;{keys}#drill"\n'
                f'          hx-get="?{q}&amp;panel=drill&amp;{keys}"\n'
                f'          hx-target="#drill" hx-swap="outerHTML">{num.count(cell.count)}</a>'
                f"{conv_pct(cell, words, num)}</td>"
            )
        parts.append("</tr>\n      ")
    return _safe(parts)


# --- badges shared by the tables ------------------------------------------------------------
def pace_badge(status: str | None, value, num: Formats | None = None) -> str:
    """dashboards/_pace.html: a pace badge (on_track, behind, far_behind, or none)."""
    if not status:
        title = gettext("No pace until a working day of the period has passed")
        return f'<span class="muted" title="{title}">—</span>\n'
    shown = (num or Formats()).pct(value)
    title = gettext("Done before today, against what the plan expects by then")
    if status == "on_track":
        word = gettext("On track")
        badge = f'<span aria-hidden="true">✓</span> {word}'
    elif status == "behind":
        word = gettext("Behind")
        badge = f'<span\n    aria-hidden="true">▽</span> {word}'
    else:
        word = gettext("Far behind")
        badge = f'<span aria-hidden="true">▼</span> {word}'
    return (
        f'<span\n    class="pace pace-{escape(status)}" title="{title}: {shown}"\n    >{badge}\n'
        f'  <span class="pace-pct">{shown}</span></span>\n'
    )


def commitment_badge(accuracy, num: Formats | None = None) -> str:
    """dashboards/_commitment.html: how well a manager's commitments came true."""
    if not accuracy:
        return "—\n"
    num = num or Formats()
    leaning = ""
    if accuracy.leaning == "over":
        text = gettext("over-promises by %(size)s") % {"size": num.pct(accuracy.bias_size)}
        leaning = f'\n  <span class="small">{text}</span>'
    elif accuracy.leaning == "under":
        text = gettext("under-promises by %(size)s") % {"size": num.pct(accuracy.bias_size)}
        leaning = f'\n  <span class="small">{text}</span>'
    return f'<span class="commitment">{num.pct(accuracy.accuracy)}{leaning}</span>\n'


# --- "Managers by revenue plan completion" --------------------------------------------------
def leaderboard_rows(rows, query: str, *, commitments_on: bool) -> SafeString:
    """The leaderboard's rows (dashboard.html#leaderboard)."""
    q, num = escape(query), Formats()
    one_to_one = escape(reverse("metrics:one_to_one", args=[0])[:-2])
    sheet = gettext("One-to-one sheet")
    parts = []
    for row in rows:
        manager = row.manager
        pk = manager.pk
        team = manager.team.name if manager.team else ""
        commitment = ""
        if commitments_on:
            commitment = f'\n        <td class="num">{commitment_badge(row.commitment, num)}</td>'
        conversions = "".join(f'<td class="num">{num.pct(c)}</td>' for c in row.conversions)
        parts.append(
            f'<tr data-manager="{escape(manager.username)}">\n'
            f'        <td class="num">{row.rank}</td><td><span class="name">'
            f'{escape(manager.board_name)}</span> <a class="small one-to-one-link"\n'
            f'            href="{one_to_one}{pk}/" title="{sheet}">1:1</a></td>'
            f"<td>{escape(team or '—')}</td>\n"
            f'        <td class="num">{num.money(row.plan)}</td>\n'
            f'        <td class="num"><a href="?{q}&amp;d_code=revenue&amp;d_manager={pk}#drill"\n'
            f'            hx-get="?{q}&amp;panel=drill&amp;d_code=revenue&amp;d_manager={pk}"\n'
            f'            hx-target="#drill" hx-swap="outerHTML">'
            f"{num.money(row.revenue)}</a></td>\n"
            f'        <td class="num">{num.pct(row.completion)}</td>'
            f'<td class="num">{num.money(row.expected)}</td>\n'
            f'        <td class="num">{pace_badge(row.pace_status, row.pace, num)}</td>\n'
            f'        <td class="num">{num.money(row.forecast)}</td>{commitment}\n'
            f"        {conversions}\n      </tr>"
        )
    return _safe(parts)


# --- the numbers behind the trend charts ----------------------------------------------------
def trend_head(buckets) -> SafeString:
    """The trend table's period headers (dashboards/_trend_numbers.html)."""
    return _safe([f'<th scope="col" class="num">{escape(b.label)}</th>' for b in buckets])


def trend_body(series, *, in_money: bool) -> SafeString:
    """A channel per row: its revenue (`in_money`) or its stage counts per period."""
    num, parts = Formats(), []
    for line in series:
        parts.append(f'<tr><th scope="row">{escape(line.channel.name)}</th>')
        if in_money:
            parts += [f'<td\n        class="num">{num.money(v)}</td>' for v in line.revenue]
        else:
            parts += [f'<td class="num">{num.count(v)}</td>' for v in line.stage]
        parts.append("</tr>")
    return _safe(parts)


# --- "Margin and profitability by manager" --------------------------------------------------
def _negative(value) -> bool:
    return value is not None and value < 0


def margin_rows(rows, query: str, *, mine: bool) -> SafeString:
    """The margin table's manager × channel rows (dashboards/_margin.html)."""
    q, num = escape(query), Formats()
    parts = []
    for row in rows:
        m, channel = row.money, row.channel
        keys = f"d_channel={channel.pk}&amp;d_manager={row.manager.pk}"
        name = "" if mine else f"<td>{escape(row.manager.board_name)}</td>"
        links = [
            f'<td class="num"><a href="?{q}&amp;d_code={code}&amp;{keys}#drill"\n'
            f'          hx-get="?{q}&amp;panel=drill&amp;d_code={code}&amp;{keys}"\n'
            f'          hx-target="#drill" hx-swap="outerHTML">{num.money(value)}</a></td>\n'
            for code, value in (("revenue", m.revenue), ("variable_costs", m.variable_costs))
        ]
        parts.append(
            f'<tr>\n      {name}<td><span class="dot" style="background: '
            f'{escape(channel.colour)}"></span>{escape(channel.name)}</td>\n'
            f"      {links[0]}      {links[1]}"
            f'      <td class="num{" bad" if _negative(m.margin) else ""}">'
            f"{num.money(m.margin)}</td>\n"
            f'      <td class="num{" bad" if _negative(m.profitability) else ""}">'
            f"{num.pct(m.profitability)}</td>\n    </tr>"
        )
    return _safe(parts)


# --- the tables of a channel's funnel card (dashboards.funnel_html) -------------------------
def _drill_link(q: str, keys: str, shown: str, indent: str = "        ") -> str:
    return (
        f'<a\n{indent}href="?{q}&amp;{keys}#drill"\n'
        f'{indent}hx-get="?{q}&amp;panel=drill&amp;{keys}"\n'
        f'{indent}hx-target="#drill" hx-swap="outerHTML">{shown}</a>'
    )


def funnel_activities(funnel, query: str, num: Formats | None = None) -> SafeString:
    """The list items of a funnel card's activities."""
    q, channel, num = escape(query), funnel.channel.pk, num or Formats()
    per_day = gettext("per manager per day")
    parts = []
    for activity in funnel.activities:
        main = ' class="is-main"' if activity.is_main else ""
        keys = f"d_code={escape(activity.code)}&amp;d_channel={channel}"
        link = _drill_link(q, keys, f"<strong>{num.count(activity.count)}</strong>")
        rate = ""
        if activity.per_day is not None:
            rate = (
                f'\n      <span class="muted">({num.decimal1(activity.per_day)} {per_day})</span>'
            )
        parts.append(f"<li{main}>{escape(activity.name)}: {link}{rate}</li>")
    return _safe(parts)


def funnel_numbers(funnel, query: str, num: Formats | None = None) -> SafeString:
    """The rows of a funnel card's numbers table: its stages, then its activities."""
    q, channel, num = escape(query), funnel.channel.pk, num or Formats()
    sample = gettext("Sample size: the count at the previous stage")
    parts = []
    for stage in funnel.stages:
        main = ' class="is-main"' if stage.is_main else ""
        keys = f"d_code={escape(stage.code)}&amp;d_channel={channel}"
        n = ""
        if stage.previous is not None:
            n = f'\n        <span class="n" title="{sample}">n={num.count(stage.previous)}</span>'
        parts.append(
            f'<tr{main}><td>{escape(stage.name)}</td><td class="num">'
            f"{_drill_link(q, keys, num.count(stage.count))}</td><td\n"
            f'        class="num{" small-n" if stage.small_sample else ""}">'
            f"{num.pct(stage.conversion)}{n}</td><td\n"
            f'        class="num">{num.pct(stage.share_of_first)}</td>'
            f'<td class="num">{num.decimal1(stage.per_day)}</td></tr>'
        )
    parts.append("\n    ")
    word = gettext("activity")
    for activity in funnel.activities:
        parts.append(
            f'<tr class="activity"><td>{escape(activity.name)} <span class="muted">({word})'
            f'</span></td><td\n        class="num">{num.count(activity.count)}</td>'
            "<td></td><td></td>"
            f'<td class="num">{num.decimal1(activity.per_day)}</td></tr>'
        )
    return _safe(parts)
