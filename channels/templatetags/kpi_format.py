"""Display filters shared by every page: money, ratios and counts in the user's locale.

Undefined values (None) show as an em dash, never as "None", "NaN" or 0.
"""

import json
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache, partial

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.formats import FORMAT_SETTINGS, get_format, number_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

register = template.Library()
DASH = "—"


@lru_cache(maxsize=32)
def _separators(language: str | None) -> tuple[str, str, object]:
    return (
        get_format("DECIMAL_SEPARATOR", language, use_l10n=True),
        get_format("THOUSAND_SEPARATOR", language, use_l10n=True),
        get_format("NUMBER_GROUPING", language, use_l10n=True),
    )


@receiver(setting_changed)
def _formats_changed(*, setting: str, **kwargs) -> None:
    # Django forgets its own format cache on the same settings (tests override them).
    if setting in FORMAT_SETTINGS or setting in {"FORMAT_MODULE_PATH", "LANGUAGE_CODE"}:
        _separators.cache_clear()


def _number(value: Decimal | int, places: int, *, grouping: bool, separators=None) -> str:
    """number_format's result for a value already rounded to `places`, without its
    per-call machinery: a dashboard formats a thousand numbers per page. `separators`:
    _separators() of the active language, when the caller has read them already."""
    decimal, thousands, group = separators or _separators(get_language())
    if grouping and group != 3:
        return number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    text = f"{value:{',' if grouping else ''}.{places}f}"
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


def _money(value, currency: bool = True, separators=None) -> str:
    if value is None or value == "":
        return DASH
    text = _number(
        Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        2,
        grouping=True,
        separators=separators,
    )
    return f"{text}\u00a0{settings.CURRENCY}" if currency else text


def _pct(value, places: int = 1, separators=None) -> str:
    if value is None or value == "":
        return DASH
    percent = (Decimal(value) * 100).quantize(Decimal(1).scaleb(-int(places)), ROUND_HALF_UP)
    grouping = settings.USE_THOUSAND_SEPARATOR
    return f"{_number(percent, int(places), grouping=grouping, separators=separators)}\u00a0%"


def _count(value, separators=None) -> str:
    if value is None or value == "":
        return DASH
    return _number(int(value), 0, grouping=True, separators=separators)


def _decimal1(value, separators=None) -> str:
    if value is None or value == "":
        return DASH
    return _number(
        Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
        1,
        grouping=True,
        separators=separators,
    )


@register.filter
def money(value, currency: bool = True) -> str:
    """1234.5 → "1 234,50 ₽" (ru) / "1,234.50 ₽" (en)."""
    return _money(value, currency)


@register.filter
def pct(value, places: int = 1) -> str:
    """A ratio as a percentage: 0.1234 → "12.3 %"; None → "—". Never clamped."""
    return _pct(value, places)


@register.filter
def count(value) -> str:
    """A whole number with locale grouping; None → "—"."""
    return _count(value)


@register.filter
def decimal1(value) -> str:
    """An average with one decimal, half-up, in the locale: 2.35 → "2.4" / "2,4"; None → "—"."""
    return _decimal1(value)


class Numbers:
    """money, pct, count and decimal1 as the filters write them, with the active language's
    separators read once: for code that writes a table of hundreds of numbers."""

    def __init__(self):
        separators = _separators(get_language())
        self.money = partial(_money, separators=separators)
        self.pct = partial(_pct, separators=separators)
        self.count = partial(_count, separators=separators)
        self.decimal1 = partial(_decimal1, separators=separators)


@register.filter
def points(value) -> str:
    """A difference of two ratios in percentage points, signed: 0.031 → "+3.1 p.p."."""
    if value is None or value == "":
        return DASH
    shown = (Decimal(value) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    sign = "+" if shown > 0 else ""
    return f"{sign}{_number(shown, 1, grouping=False)}\u00a0{gettext('p.p.')}"


# As django.utils.html.json_script escapes: nothing in the data can close the script element.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def _json_script_escape(text: str) -> str:
    """text.translate(_JSON_SCRIPT_ESCAPES), in a few C passes instead of a lookup per
    character (a trend figure is tens of kilobytes)."""
    for char, escaped in _JSON_SCRIPT_ESCAPES.items():
        text = text.replace(chr(char), escaped)
    return text


@register.filter(is_safe=True)
def figure_json(value, element_id: str):
    """A chart's figure as `json_script` writes it, but compact: UTF-8 text as it is (a
    Cyrillic letter is 2 bytes, not the 6 of its \\u escape) and no spaces after separators
    — about half the bytes of a Russian figure."""
    text = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return format_html(
        '<script id="{}" type="application/json">{}</script>',
        element_id,
        mark_safe(_json_script_escape(text)),
    )
