"""The bounds of what a request, a form, a file or a command line may hand the app, in one
place every layer can import: dates and months within MIN_YEAR..MAX_YEAR (far dates are
typos, and day, week and month arithmetic must not overflow date.min/max), and no control
characters in text (PostgreSQL refuses NUL in text; the others are never typed)."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MIN_YEAR = 2000
MAX_YEAR = 2100
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
MONTH_RE = re.compile(r"[0-9]{4}-[0-9]{2}", re.ASCII)
# C0 controls but tab, line feed and carriage return; DEL; the C1 controls.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def range_error() -> ValidationError:
    return ValidationError(
        _("Enter a date between the years %(min)s and %(max)s.")
        % {"min": MIN_YEAR, "max": MAX_YEAR},
        code="date_range",
    )


def date_check(day: dt.date) -> dt.date:
    """`day` itself, or ValidationError when its year is out of bounds."""
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise range_error()
    return day


def date_parse(raw: str | None) -> dt.date:
    """A YYYY-MM-DD date within the bounds; ValidationError otherwise."""
    text = (raw or "").strip()
    if DATE_RE.fullmatch(text):
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            pass
        else:
            return date_check(day)
    raise ValidationError(_("Enter a date as YYYY-MM-DD."), code="bad_date")


def month_parse(raw: str | None) -> dt.date:
    """'YYYY-MM' → the month's first day, within the bounds; ValidationError otherwise."""
    text = (raw or "").strip()
    if MONTH_RE.fullmatch(text):
        try:
            month = dt.date(int(text[:4]), int(text[5:]), 1)
        except ValueError:
            pass
        else:
            return date_check(month)
    raise ValidationError(
        _("Enter the month as YYYY-MM, for example %(example)s.") % {"example": "2026-03"},
        code="bad_month",
    )


def has_control(text: str) -> bool:
    return CONTROL_RE.search(text) is not None


class BoundedDateField(forms.DateField):
    """A form's date field that refuses years outside MIN_YEAR..MAX_YEAR."""

    def to_python(self, value):
        day = super().to_python(value)
        return None if day is None else date_check(day)


ID_RE = re.compile(r"[0-9]{1,18}", re.ASCII)


def id_parse(raw: str | None) -> int | None:
    """A database id typed in a URL: ASCII digits, at most 18 of them; None otherwise."""
    text = raw or ""
    return int(text) if ID_RE.fullmatch(text) else None
