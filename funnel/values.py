"""The rules every number typed, imported or written must follow, in one place: the day form,
the week grid, the import, the admin, the write service and the plan grid all call these."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
# The database columns' limits: money as decimal(14, 2), counts as a 32-bit integer.
MAX_MONEY = Decimal("999999999999.99")
MAX_COUNT = 2**31 - 1
# ASCII digits only: Decimal() would also accept "١٢٣", "NaN" and "1e9".
NUMBER_RE = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?", re.ASCII)
SPACES = str.maketrans("", "", " \u00a0\u202f\u2009'")
# A number as a spreadsheet or a locale shows it: "1,234.50", "1.234,50", "1,234,567".
GROUPED_RE = {
    ",": re.compile(r"-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?", re.ASCII),
    ".": re.compile(r"-?[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?", re.ASCII),
}
# "1e9", "2,5E+3": a number in scientific notation, refused with its own message.
EXPONENT_RE = re.compile(r"-?[0-9]+(?:[.,][0-9]*)?[eE][-+]?[0-9]+", re.ASCII)


def value_check(value: Decimal | int, *, money: bool) -> Decimal:
    """A number as stored: money with 2 places, a count whole. ValidationError (with a code
    and a message for the user) when it is negative, too large or has too many places."""
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(_("Enter a number."), code="invalid") from None
    if not number.is_finite():
        raise ValidationError(_("Enter a number."), code="invalid")
    if number < 0:
        raise ValidationError(_("The value cannot be negative."), code="negative")
    if money:
        if number > MAX_MONEY:
            raise ValidationError(_("The amount is too large."), code="too_large")
        if number != number.quantize(CENT):
            raise ValidationError(_("Money has at most 2 decimal places."), code="decimals")
        return number.quantize(CENT)
    if number > MAX_COUNT:
        raise ValidationError(_("The number is too large."), code="too_large")
    if number != number.to_integral_value():
        raise ValidationError(_("A count must be a whole number."), code="not_whole")
    return number.quantize(Decimal(1))


def _ungrouped(text: str, language: str | None) -> str:
    """ "1,234.50" → "1234.50", "1.234,50" → "1234,50", "1,234,567" → "1234567": a separator
    that repeats, or comes before the other one, groups thousands. A lone "1,234" is 1.234
    (the comma a decimal point), unless the text was typed on a page in English (`language`),
    where it is how 1234 is shown; "1.234" is 1.234."""
    if NUMBER_RE.fullmatch(text) and not (
        language == "en" and re.fullmatch(r"-?[0-9]{1,3},[0-9]{3}", text, re.ASCII)
    ):
        return text
    for group, pattern in GROUPED_RE.items():
        if pattern.fullmatch(text):
            return text.replace(group, "")
    return text


def value_parse(raw: str | None, *, money: bool, language: str | None = None) -> Decimal | None:
    """Text typed for one value → Decimal, or None when empty. Accepts "1 234,50",
    "1,234.50" (as the grid shows a number in English), "1.234,50" and "1234.50"; refuses
    exponents, other digits and words (ValidationError). `language`: the page's, for a value
    typed there as it shows numbers (files, the API and the bot do not pass it)."""
    text = (raw or "").strip().translate(SPACES)
    if not text:
        return None
    if EXPONENT_RE.fullmatch(text):
        raise ValidationError(
            _("Enter a number written in full: exponents such as 1e9 are not accepted."),
            code="exponent",
        )
    text = _ungrouped(text, language)
    if len(text) > 30 or not NUMBER_RE.fullmatch(text):
        raise ValidationError(_("Enter a number."), code="invalid")
    return value_check(Decimal(text.replace(",", ".")), money=money)
