"""The what-if planner's arithmetic: from a revenue target back to each stage, and the
levers that close the gap to it (docs/metrics.md, "What-if planner").

No ORM here, like `metrics.compute`. Counts are kept unrounded (Decimal) through the
whole path; `ceil_count` rounds them up for display and for plans, because nobody holds
2.3 meetings and rounding down leaves the target short. None wherever a figure is
undefined (a conversion of 0, no average check, no working day).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal, localcontext

from metrics.compute import CENT, average_check, money, ratio, round_ratio

ONE = Decimal(1)
# A conversion cannot be planned above everything that reaches the stage.
MAX_CONVERSION = ONE

# Significant digits of the arithmetic here: a path runs through several divisions, and the
# default 28 digits could round a count a hair below its true value, which rounding up
# would then not repair.
PRECISION = 100

ACTIVITY = "activity"
CHECK = "check"
MANAGERS = "managers"


def precise[**P, R](function: Callable[P, R]) -> Callable[P, R]:
    """Run `function` with PRECISION significant digits."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with localcontext(prec=PRECISION):
            return function(*args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class Levers:
    """What turns a month's first-stage contacts into revenue.

    `conversions[i]` leads from stage i to stage i + 1; the last one from the last stage to
    a payment. `activity` is the first stage per manager per working day.
    """

    conversions: tuple[Decimal | None, ...]
    average_check: Decimal | None
    managers: int
    activity: Decimal | None = None


def ceil_count(value: Decimal | int | None) -> int | None:
    """A needed count rounded up to a whole one (2.01 meetings → 3)."""
    if value is None:
        return None
    return int(Decimal(value).to_integral_value(rounding=ROUND_CEILING))


@precise
def history_levers(
    stage_counts: Sequence[int],
    payments_count: int,
    revenue: Decimal,
    *,
    managers: int,
    history_managers: int,
    history_days: int,
) -> Levers:
    """The levers a window of history shows, rounded as the page shows them: each stage's
    count over the previous one's and payments over the last stage (to 0.01 %), revenue per
    payment (to the kopeck), the first stage per manager per working day of the window (to
    0.01). None where a denominator is 0."""
    following = [*stage_counts[1:], payments_count] if stage_counts else []
    conversions = tuple(
        round_ratio(ratio(nxt, cur)) for cur, nxt in zip(stage_counts, following, strict=True)
    )
    activity = None
    if stage_counts:
        per_day = ratio(stage_counts[0], history_managers * history_days)
        activity = None if per_day is None else money(per_day)
    return Levers(
        conversions=conversions,
        average_check=average_check(revenue, payments_count),
        managers=managers,
        activity=activity,
    )


def blocker(levers: Levers) -> int | str | None:
    """Why no path exists: the index of the first conversion that is undefined or 0 (no
    number of contacts passes it), CHECK without a positive average check, or None."""
    for index, conversion in enumerate(levers.conversions):
        if not conversion or conversion < 0:
            return index
    if not levers.average_check or levers.average_check < 0:
        return CHECK
    return None


@dataclass(frozen=True)
class Path:
    """The path from a revenue target back to the first stage, unrounded."""

    target: Decimal
    payments: Decimal
    stages: tuple[Decimal, ...]  # funnel order
    working_days: int
    managers: int

    @precise
    def per_day(self, value: Decimal) -> Decimal | None:
        """A month's count per working day of the month; None without working days."""
        return ratio(value, self.working_days)

    @precise
    def per_manager_day(self, value: Decimal) -> Decimal | None:
        """A month's count per manager per working day."""
        return ratio(value, self.working_days * self.managers)


@precise
def path(target: Decimal, levers: Levers, working_days: int) -> Path | None:
    """payments = target ÷ average check; the last stage = payments ÷ its conversion to a
    payment; each earlier stage = the next one ÷ the conversion between them. None when
    `blocker` finds a lever that makes the target unreachable."""
    if blocker(levers) is not None:
        return None
    payments = Decimal(target) / levers.average_check
    needed = payments
    stages: list[Decimal] = []
    for conversion in reversed(levers.conversions):
        needed = needed / conversion
        stages.append(needed)
    return Path(
        target=Decimal(target),
        payments=payments,
        stages=tuple(reversed(stages)),
        working_days=working_days,
        managers=levers.managers,
    )


@precise
def revenue_from(
    count: Decimal | int, conversions: Sequence[Decimal], average_check: Decimal
) -> Decimal:
    """Revenue that `count` at a stage brings through the remaining `conversions` (the
    stage's own onwards) at `average_check`: the path read forwards."""
    result = Decimal(count)
    for conversion in conversions:
        result *= conversion
    return result * average_check


@precise
def forecast(levers: Levers, working_days: int) -> Decimal | None:
    """The month's revenue at these levers: activity × managers × working days × every
    conversion × average check. None when a lever is undefined or there is no activity."""
    if blocker(levers) is not None or not levers.activity or not working_days:
        return None
    first = levers.activity * levers.managers * working_days
    return revenue_from(first, levers.conversions, levers.average_check)


@dataclass(frozen=True)
class LeverChange:
    """What one lever would have to become, alone, for the forecast to reach the target."""

    lever: str | int  # ACTIVITY, CHECK, MANAGERS, or a conversion's index
    current: Decimal
    needed: Decimal
    change: Decimal  # needed ÷ current − 1
    feasible: bool  # False: a conversion above 100 %


@precise
def lever_changes(target: Decimal, levers: Levers, working_days: int) -> list[LeverChange]:
    """For each lever, the value that closes the gap between the forecast and `target`
    with every other lever as it is. Revenue is a product of the levers, so each
    continuous lever needs the same factor target ÷ forecast; a conversion cannot pass
    100 % and the number of managers is whole (rounded up). Empty when the forecast is
    undefined or already reaches the target."""
    expected = forecast(levers, working_days)
    if expected is None or expected >= target:
        return []
    factor = Decimal(target) / expected
    changes = [LeverChange(ACTIVITY, levers.activity, levers.activity * factor, factor - 1, True)]
    for index, conversion in enumerate(levers.conversions):
        needed = conversion * factor
        changes.append(LeverChange(index, conversion, needed, factor - 1, needed <= MAX_CONVERSION))
    changes.append(
        LeverChange(CHECK, levers.average_check, levers.average_check * factor, factor - 1, True)
    )
    managers = ceil_count(levers.managers * factor)
    changes.append(
        LeverChange(
            MANAGERS,
            Decimal(levers.managers),
            Decimal(managers),
            Decimal(managers) / levers.managers - 1,
            True,
        )
    )
    return changes


def best_levers(changes: Sequence[LeverChange]) -> list[LeverChange]:
    """The feasible levers with the smallest relative change (several when they tie)."""
    feasible = [c for c in changes if c.feasible]
    if not feasible:
        return []
    smallest = min(c.change for c in feasible)
    return [c for c in feasible if c.change == smallest]


@precise
def split_counts(total: Decimal, managers: int) -> int:
    """Each of `managers` managers' share of a team's needed count: total ÷ managers, rounded
    up, so that the shares together never fall short of the team's count."""
    return ceil_count(Decimal(total) / managers)


@precise
def split_money(total: Decimal, managers: int) -> list[Decimal]:
    """A team's revenue target split evenly to the kopeck: total ÷ managers rounded down,
    the kopecks left over go one each to the first managers; the parts sum to `total`."""
    share = (Decimal(total) / managers).quantize(CENT, rounding=ROUND_DOWN)
    left = int((Decimal(total) - share * managers) / CENT)
    return [share + (CENT if i < left else 0) for i in range(managers)]
