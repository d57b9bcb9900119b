"""Display filters shared by every page: money, ratios and counts in the user's locale.

Undefined values (None) show as an em dash, never as "None", "NaN" or 0.
"""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.conf import settings
from django.utils.formats import number_format

register = template.Library()
DASH = "—"


@register.filter
def money(value, currency: bool = True) -> str:
    """1234.5 → "1 234,50 ₽" (ru) / "1,234.50 ₽" (en)."""
    if value is None or value == "":
        return DASH
    text = number_format(
        Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        decimal_pos=2,
        use_l10n=True,
        force_grouping=True,
    )
    return f"{text}\u00a0{settings.CURRENCY}" if currency else text


@register.filter
def pct(value, places: int = 1) -> str:
    """A ratio as a percentage: 0.1234 → "12.3 %"; None → "—". Never clamped."""
    if value is None or value == "":
        return DASH
    percent = (Decimal(value) * 100).quantize(Decimal(1).scaleb(-int(places)), ROUND_HALF_UP)
    return f"{number_format(percent, decimal_pos=int(places), use_l10n=True)}\u00a0%"


@register.filter
def count(value) -> str:
    """A whole number with locale grouping; None → "—"."""
    if value is None or value == "":
        return DASH
    return number_format(int(value), use_l10n=True, force_grouping=True)
