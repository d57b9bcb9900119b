"""How much a manager may plausibly report for one indicator on one day: the rules only, no
database (the checks that read a manager's history use them, and so does the head's review).

- Hard: above the per-day maximum (per channel and indicator in the admin; these defaults
  otherwise) a value is refused.
- Soft: above max(SOFT_FACTOR x the manager's own median, the floor) a value is unusual: it is
  saved only once confirmed, and the history marks it confirmed-unusual. The median is taken
  over the working days of the HISTORY_DAYS before the day on which the manager reported the
  channel; with no such day it is 0 and the floor alone decides.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from decimal import Decimal

HARD_MAX_COUNT = 1000
HARD_MAX_MONEY = Decimal("100000000")
HISTORY_DAYS = 90
SOFT_FACTOR = 5
SOFT_FLOOR_COUNT = 20
SOFT_FLOOR_MONEY = Decimal("500000")


def hard_default(*, money: bool) -> Decimal:
    return HARD_MAX_MONEY if money else Decimal(HARD_MAX_COUNT)


def median(values: Iterable[Decimal | int]) -> Decimal:
    """The median of a manager's values on the days they reported; 0 with none."""
    ordered = sorted(Decimal(v) for v in values)
    return Decimal(statistics.median(ordered)) if ordered else Decimal(0)


def soft_limit(usual: Decimal, *, money: bool) -> Decimal:
    """The largest value that is not unusual for a manager whose median is `usual`."""
    floor = SOFT_FLOOR_MONEY if money else Decimal(SOFT_FLOOR_COUNT)
    return max(SOFT_FACTOR * Decimal(usual), floor)


def is_unusual(value: Decimal | int, usual: Decimal, *, money: bool) -> bool:
    return Decimal(value) > soft_limit(usual, money=money)
