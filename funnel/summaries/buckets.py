"""Buckets of time of the per-manager pivot (ManagerTotal) and of the monthly totals: in
Python for the increments and the reads, as ORM expressions for the fresh aggregations.

Every bucket lies inside one month, so sums split by month (a forecast's run rate) come out
of the same rows:

* DAY: the day itself;
* HALF_WEEK: Monday to Wednesday or Thursday to Sunday, inside one month;
* WEEK: the part of an ISO week that lies in one month (start = the Monday, or the 1st of
  the month when the week began in the month before);
* MONTH: the calendar month.

Any date range is covered exactly by whole months, whole week and half-week parts and at
most three days at each end of each partial month (`cover`).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, DateField, F, Value, When
from django.db.models.functions import Cast, ExtractIsoWeekDay, Greatest, TruncMonth, TruncWeek
from django.db.models.lookups import GreaterThanOrEqual

from funnel.models import MAX_STAGES, MONEY_CODES
from funnel.summaries.models import ManagerTotal

DAY, HALF, WEEK, MONTH = (
    ManagerTotal.Period.DAY.value,
    ManagerTotal.Period.HALF_WEEK.value,
    ManagerTotal.Period.WEEK.value,
    ManagerTotal.Period.MONTH.value,
)
STAGE_COLUMNS = tuple(f"stage_{n}" for n in range(1, MAX_STAGES + 1))
VALUE_COLUMNS = (*STAGE_COLUMNS, *MONEY_CODES)
KEY_COLUMNS = ("period", "start", "manager_id", "channel_id", "team_key")


# ---- in Python ---------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def week_start(day: dt.date) -> dt.date:
    """Start of the week part holding `day`: its Monday, or the 1st of its month."""
    return max(day - dt.timedelta(days=day.weekday()), month_start(day))


def week_end(day: dt.date) -> dt.date:
    return min(day + dt.timedelta(days=6 - day.weekday()), month_end(day))


def half_start(day: dt.date) -> dt.date:
    """Start of the half-week part holding `day`: Monday or Thursday, or the 1st of its
    month."""
    weekday = day.weekday()
    return max(day - dt.timedelta(days=weekday if weekday < 3 else weekday - 3), month_start(day))


def half_end(day: dt.date) -> dt.date:
    weekday = day.weekday()
    return min(day + dt.timedelta(days=(2 if weekday < 3 else 6) - weekday), month_end(day))


def buckets(day: dt.date) -> tuple[tuple[int, dt.date], ...]:
    """The four buckets a day's values are added to."""
    return (
        (DAY, day),
        (HALF, half_start(day)),
        (WEEK, week_start(day)),
        (MONTH, month_start(day)),
    )


def _cover_part(low: dt.date, high: dt.date, result: dict, period: int, start, end) -> None:
    """Cover [low, high] with whole parts of `period` (start/end: a part's bounds from any
    of its days), the finer periods below taking what is left at either end."""
    part = start(low)
    while part <= high:
        last = end(part)
        if low <= part and last <= high:
            result[period].append(part)
        elif period == WEEK:
            _cover_part(max(part, low), min(last, high), result, HALF, half_start, half_end)
        else:
            day = max(part, low)
            while day <= min(last, high):
                result[DAY].append(day)
                day += dt.timedelta(days=1)
        part = last + dt.timedelta(days=1)


def cover(date_from: dt.date, date_to: dt.date) -> dict[int, list[dt.date]]:
    """Buckets that cover [date_from, date_to] exactly, each day once: {period: starts}.
    At most three days at each end of each partial month are read as days."""
    result: dict[int, list[dt.date]] = {DAY: [], HALF: [], WEEK: [], MONTH: []}
    month = month_start(date_from)
    while month <= date_to:
        last = month_end(month)
        low, high = max(date_from, month), min(date_to, last)
        if (low, high) == (month, last):
            result[MONTH].append(month)
        else:
            _cover_part(low, high, result, WEEK, week_start, week_end)
        month = last + dt.timedelta(days=1)
    for starts in result.values():
        starts.sort()
    return result


# ---- as ORM expressions (a date column's bucket start, a date on both databases) ---------


def month_of(column: str) -> Cast:
    """month_start(column)."""
    return Cast(TruncMonth(column, output_field=DateField()), DateField())


def week_of(column: str) -> Cast:
    """week_start(column): the later of its Monday and its month's 1st."""
    return Cast(Greatest(TruncWeek(column), TruncMonth(column)), DateField())


def half_of(column: str) -> Cast:
    """half_start(column): its Monday, or its Thursday from Thursday on, or the 1st."""
    monday = TruncWeek(column, output_field=DateField())
    thursday = monday + Value(dt.timedelta(days=3))
    part = Case(
        When(GreaterThanOrEqual(ExtractIsoWeekDay(column), 4), then=thursday), default=monday
    )
    return Cast(Greatest(part, TruncMonth(column, output_field=DateField())), DateField())


def start_of(period: int, column: str):
    """The start of the `period` bucket holding a date column, as an ORM expression."""
    if period == DAY:
        return F(column)
    return {HALF: half_of, WEEK: week_of, MONTH: month_of}[period](column)
