"""Pace against plan, the "vs last year" range and sample sizes: pure functions of the
metric contract (docs/metrics.md, "Pace", "Comparisons", "Sample size").

No ORM here, like `metrics.compute`, which this module extends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from metrics.compute import month_bounds, nth_working_day, prorated_plan, ratio, working_days

# Pace bands, as a share of what the plan expects by now: at or above ON_TRACK is on track,
# from BEHIND up to it behind, below BEHIND far behind.
ON_TRACK = Decimal("1")
BEHIND = Decimal("0.9")

# A conversion from fewer than this many at the previous stage is shown greyed and is left
# out of "worst first" rankings: 1 of 1 is not the same news as 400 of 400.
MIN_SAMPLE = 20

STATUSES = ("on_track", "behind", "far_behind")


def elapsed_end(date_from: dt.date, date_to: dt.date, as_of: dt.date) -> dt.date | None:
    """The last day of the period whose facts count towards pace: the day before `as_of`
    (the end of the period once it is over); None before the period has begun."""
    end = min(date_to, as_of - dt.timedelta(days=1))
    return end if end >= date_from else None


def expected_to_date(
    plans_by_month: Mapping[dt.date, Decimal | int],
    date_from: dt.date,
    date_to: dt.date,
    *,
    as_of: dt.date,
    overrides: Mapping[dt.date, bool],
) -> Decimal | None:
    """What the plan expects by the end of the day before `as_of`: each month's plan ×
    its working days elapsed in the period ÷ its working days (for a month in progress:
    plan × working days elapsed ÷ working days in the month). The whole plan once the
    period is over. None until one working day of the period has passed. Not rounded."""
    end = elapsed_end(date_from, date_to, as_of)
    if end is None or not working_days(date_from, end, overrides):
        return None
    return prorated_plan(plans_by_month, date_from, end, overrides)


def pace(fact_to_date: Decimal | int | None, expected: Decimal | int | None) -> Decimal | None:
    """Facts dated before the as-of day ÷ what the plan expects by then; None without an
    expectation (or an expectation of 0)."""
    if fact_to_date is None or expected is None:
        return None
    return ratio(fact_to_date, expected)


def pace_status(value: Decimal | None, *, higher_is_better: bool = True) -> str | None:
    """on_track, behind or far_behind; None without a pace. For a figure where less is
    better (costs), the bands mirror: up to 100 % on track, up to 110 % behind."""
    if value is None:
        return None
    if higher_is_better:
        if value >= ON_TRACK:
            return "on_track"
        return "behind" if value >= BEHIND else "far_behind"
    if value <= ON_TRACK:
        return "on_track"
    return "behind" if value <= 2 * ON_TRACK - BEHIND else "far_behind"


class Paced:
    """`pace` and `pace_status` of a plan line with `fact_to_date` and `expected`."""

    fact_to_date: Decimal | None
    expected: Decimal | None

    @property
    def pace(self) -> Decimal | None:
        return pace(self.fact_to_date, self.expected)

    @property
    def pace_status(self) -> str | None:
        return pace_status(self.pace)


def a_year_before(day: dt.date) -> dt.date:
    """The same date a year earlier; 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def year_ago(
    current: tuple[dt.date, dt.date], overrides: Mapping[dt.date, bool]
) -> tuple[dt.date, dt.date]:
    """What "vs last year" compares `current` (the range "vs previous" compares) with.

    - A range from a month's first day inside that month: the same number of working days
      from the first day of the same month a year earlier (the whole month at most); a whole
      month gives the whole month.
    - Any other range: the same dates a year earlier.
    `overrides` must cover both years' months."""
    start, end = current
    first, last = month_bounds(start)
    if start != first or end > last:
        return a_year_before(start), a_year_before(end)
    then_first, then_last = month_bounds(a_year_before(start))
    if end == last:
        return then_first, then_last
    k = working_days(start, end, overrides)
    if not k:
        return then_first, min(then_last, a_year_before(end))
    if k >= working_days(then_first, then_last, overrides):
        return then_first, then_last
    return then_first, nth_working_day(then_first, k, overrides)


def is_small_sample(previous_count: int | None) -> bool:
    """Whether a conversion from `previous_count` is too small to read (MIN_SAMPLE)."""
    return previous_count is None or previous_count < MIN_SAMPLE
