"""Short labels of date ranges for the dashboard: "November 2026", "1–4 Dec", "15 Oct – 14 Nov"."""

from __future__ import annotations

import datetime as dt

from django.utils.formats import date_format

from metrics.compute import month_bounds


def range_label(start: dt.date, end: dt.date, *, year: bool = False) -> str:
    """A whole calendar month by its name and year, a day by itself, a range by its ends
    (the year only when the ends fall in different years, or when `year` asks for it)."""
    if (start, end) == month_bounds(start):
        return date_format(start, "F Y")
    last = "j M Y" if year else "j M"
    if start == end:
        return date_format(start, last)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{date_format(end, last)}"
    if start.year == end.year:
        return f"{date_format(start, 'j M')} – {date_format(end, last)}"
    return f"{date_format(start, 'j M Y')} – {date_format(end, 'j M Y')}"
