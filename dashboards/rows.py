"""The dashboard's long tables' rows written in Python: the same markup their templates
wrote, a few times faster (a page has thousands of cells, and the template engine resolves
every variable and filter of every cell on its own).

Every value from the data is escaped here (`escape`); translations are written as the
templates' `{% translate %}` writes them (as they are). A table's fixed parts (header,
footer, the "Show all" link) stay in the templates.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from channels.templatetags.kpi_format import count, decimal1, pct
from channels.templatetags.kpi_format import money as _money


def money(value) -> str:
    """kpi_format's money, escaped as the templates escape it (the currency is a setting)."""
    return escape(_money(value))


def _safe(parts: list[str]) -> SafeString:
    return mark_safe("".join(parts))  # noqa: S308 — every value in `parts` is escaped


# --- "Where managers lose clients" ----------------------------------------------------------
class _ConvWords:
    """The conversion cells' fixed words, translated once per table."""

    def __init__(self):
        above, below = gettext("above the channel"), gettext("below the channel")
        self.above = (
            f'<span class="signal" title="{above}">▲</span><span\n    class="sr-only">{above}</span>'
        )
        self.below = (
            f'<span class="signal" title="{below}">▼</span><span\n    class="sr-only">{below}</span>'
        )
        self.sample = gettext("Sample size: the count at the previous stage")


def conv_pct(cell, words: _ConvWords | None = None) -> str:
    """dashboards/_conv_pct.html: a cell's conversion, its signal and its sample size."""
    words = words or _ConvWords()
    signal = words.above if cell.signal == "above" else words.below if cell.signal == "below" else ""
    n = ""
    if cell.previous is not None:
        n = f'\n  <span class="n" title="{words.sample}">n={count(cell.previous)}</span>'
    return f'<span class="conv-pct">{signal}{pct(cell.conversion)}{n}</span>\n'


def conversion_rows(block, rows, query: str) -> SafeString:
    """The manager rows of a channel's conversion table (dashboard.html#conversions)."""
    words = _ConvWords()
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
                f'          hx-target="#drill" hx-swap="outerHTML">{count(cell.count)}</a>'
                f"{conv_pct(cell, words)}</td>"
            )
        parts.append("</tr>\n      ")
    return _safe(parts)
