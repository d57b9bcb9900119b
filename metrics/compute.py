"""The metric contract as pure functions: numbers in, metrics out (docs/metrics.md).

No ORM here. Money is Decimal with 2 places; ratios are Decimal computed from exact sums
and rounded only for display; None wherever a ratio is undefined (a zero denominator,
no plan, no working day yet). "Today" is always passed in as `as_of`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
RATIO_PLACES = Decimal("0.0001")


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    """numerator / denominator, or None when the denominator is 0."""
    if not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def round_ratio(value: Decimal | None) -> Decimal | None:
    """A ratio rounded half-up to 4 places, as JSON and exports carry it."""
    return None if value is None else value.quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def money(value: Decimal | int) -> Decimal:
    """A sum of money with 2 places, rounded half-up (100.00 / 3 -> 33.33, 0.025 -> 0.03)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def stage_conversions(counts: Sequence[int]) -> list[Decimal | None]:
    """Conversion of each stage from the previous one; the first stage has none.

    Never clamped: more at a stage than at the one before (deals carried over from an
    earlier period) gives a conversion above 1, shown as it is.
    """
    return [None] + [ratio(cur, prev) for prev, cur in zip(counts, counts[1:], strict=False)]


def funnel_conversion(counts: Sequence[int]) -> Decimal | None:
    """Won deals (last stage) over the first stage."""
    if not counts:
        return None
    return ratio(counts[-1], counts[0])


def average_check(revenue: Decimal, payments_count: int) -> Decimal | None:
    """Revenue per payment, rounded half-up to the kopeck."""
    if not payments_count:
        return None
    return money(Decimal(revenue) / payments_count)


def margin(revenue: Decimal, variable_costs: Decimal) -> Decimal:
    return money(revenue) - money(variable_costs)


def profitability(revenue: Decimal, variable_costs: Decimal) -> Decimal | None:
    """Margin over revenue; negative when costs exceed revenue."""
    return ratio(margin(revenue, variable_costs), revenue)


def plan_completion(fact: Decimal | int, plan: Decimal | int | None) -> Decimal | None:
    """fact / plan; None with no plan (or a plan of 0)."""
    if plan is None:
        return None
    return ratio(fact, plan)


def change(current: Decimal | int, previous: Decimal | int) -> Decimal | None:
    """Relative change against the previous period: (current - previous) / |previous|.

    None when the previous value is 0. The absolute value keeps the sign meaningful for a
    margin that was negative: going from -100 to -50 is an improvement, +50 %.
    """
    return ratio(Decimal(current) - Decimal(previous), abs(Decimal(previous)))


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def months_in(date_from: dt.date, date_to: dt.date) -> list[dt.date]:
    """First days of the months the range touches, in order; empty for a reversed range."""
    months: list[dt.date] = []
    if date_from > date_to:
        return months
    month = date_from.replace(day=1)
    while month <= date_to:
        months.append(month)
        month = month_bounds(month)[1] + dt.timedelta(days=1)
    return months


def is_working_day(day: dt.date, overrides: Mapping[dt.date, bool]) -> bool:
    """Monday to Friday, unless the holiday list says otherwise.

    `overrides` maps a date to True for a transferred working day (a worked Saturday)
    and to False for a holiday.
    """
    if day in overrides:
        return overrides[day]
    return day.weekday() < 5


# How far back the last working day is looked for: longer than any run of weekends and
# holidays (the New Year break is twelve days). The holiday list read must cover it.
LOOKBACK_DAYS = 40


def last_working_day_before(day: dt.date, overrides: Mapping[dt.date, bool]) -> dt.date | None:
    """The last working day before `day` (the day whose report is due this morning); None
    when there is none within LOOKBACK_DAYS."""
    for back in range(1, LOOKBACK_DAYS + 1):
        candidate = day - dt.timedelta(days=back)
        if is_working_day(candidate, overrides):
            return candidate
    return None


def working_days(start: dt.date, end: dt.date, overrides: Mapping[dt.date, bool]) -> int:
    """Working days from start to end, both included; 0 for an empty range."""
    days = (end - start).days + 1
    return sum(is_working_day(start + dt.timedelta(days=i), overrides) for i in range(max(days, 0)))


def run_rate_days(
    *,
    month: dt.date,
    as_of: dt.date,
    overrides: Mapping[dt.date, bool],
    start: dt.date | None = None,
) -> tuple[int, int] | None:
    """(working days elapsed, working days in the month) of a month-end run rate as of the
    end of the day before `as_of` (docs/metrics.md, "Forecast").

    Both count from `start` (the month's first day unless a period starts later); elapsed
    days end the day before `as_of`, so a Sunday and the Monday after give the same pair.
    (1, 1) for a month that ended before `as_of` (its fact is its forecast); None while no
    working day has elapsed. The same for every figure of one month: compute it once."""
    first, last = month_bounds(month)
    start = max(first, start or first)
    if as_of > last:
        return (1, 1)
    elapsed = working_days(start, as_of - dt.timedelta(days=1), overrides)
    if not elapsed:
        return None
    return elapsed, working_days(start, last, overrides)


def forecast(
    fact: Decimal | int,
    *,
    month: dt.date,
    as_of: dt.date,
    overrides: Mapping[dt.date, bool],
    start: dt.date | None = None,
) -> Decimal | None:
    """Month-end run rate: fact / working days elapsed × working days in the month.

    `fact` holds the facts dated before `as_of` (from `start`, the month's first day unless
    a period starts later); elapsed days run from `start` to the day before `as_of`. A month
    that ended before `as_of` forecasts its fact; with no working day elapsed there is no
    forecast. Not rounded: round once, after any sum (docs/metrics.md).
    """
    days = run_rate_days(month=month, as_of=as_of, overrides=overrides, start=start)
    return None if days is None else run_rate(fact, days)


def run_rate(fact: Decimal | int, days: tuple[int, int]) -> Decimal:
    elapsed, total = days
    return Decimal(fact) * total / elapsed


def period_forecast(
    *, earlier: Decimal | int, before_as_of: Decimal | int, days: tuple[int, int] | None
) -> Decimal | None:
    """A period's forecast: the facts of its months before the as-of month (`earlier`) plus
    the run rate of the as-of month's facts dated before `as_of`. Not rounded; a total is
    forecast from summed facts, never from rounded parts."""
    if days is None:
        return None
    return Decimal(earlier) + run_rate(before_as_of, days)


def prorated_plan(
    plans_by_month: Mapping[dt.date, Decimal | int],
    date_from: dt.date,
    date_to: dt.date,
    overrides: Mapping[dt.date, bool],
) -> Decimal:
    """The plan for a period: each month's plan × (its working days inside the period ÷ its
    working days), summed; a whole month brings its whole plan. Not rounded (money is
    rounded once by the caller; counts keep their fraction). See docs/metrics.md, "Plan".

    `plans_by_month` is keyed by the months' first days; months outside the period count 0.
    A month without a single working day brings its whole plan only when wholly inside.
    """
    total = Decimal(0)
    for month, plan in plans_by_month.items():
        first, last = month_bounds(month)
        start, end = max(first, date_from), min(last, date_to)
        if start > end:
            continue
        if (start, end) == (first, last):
            total += Decimal(plan)
            continue
        month_days = working_days(first, last, overrides)
        if month_days:
            total += Decimal(plan) * working_days(start, end, overrides) / month_days
    return total


def nth_working_day(start: dt.date, n: int, overrides: Mapping[dt.date, bool]) -> dt.date:
    """The n-th working day from `start` on (n >= 1), `start` included."""
    day, seen = start, 0
    while True:
        if is_working_day(day, overrides):
            seen += 1
            if seen == n:
                return day
        day += dt.timedelta(days=1)


def range_with_working_days_before(
    day: dt.date, n: int, overrides: Mapping[dt.date, bool]
) -> tuple[dt.date, dt.date]:
    """The shortest range ending the day before `day` that holds `n` (>= 1) working days."""
    end = day - dt.timedelta(days=1)
    start, seen = end, 0
    while True:
        if is_working_day(start, overrides):
            seen += 1
            if seen == n:
                return start, end
        start -= dt.timedelta(days=1)


@dataclass(frozen=True)
class Comparison:
    """What "against the previous period" compares: `current` (the period, or its part
    elapsed before as_of) with `previous`; both (first day, last day), included."""

    current: tuple[dt.date, dt.date]
    previous: tuple[dt.date, dt.date]


def previous_period(
    date_from: dt.date,
    date_to: dt.date,
    *,
    as_of: dt.date,
    overrides: Mapping[dt.date, bool],
) -> Comparison | None:
    """The one "previous period" rule of every card and panel (docs/metrics.md).

    - A whole month that ended before `as_of`: against the whole previous month.
    - A month in progress (the range starts on the first day of the as-of month and holds
      `as_of`): its first k working days before `as_of` against the previous month's first
      k working days (from its 1st to its k-th working day, the whole month at most).
    - Any other range: the range of equal length just before it; when it holds `as_of`,
      only its part before `as_of` is compared, against the shortest range ending the day
      before the start that holds as many working days.
    None when nothing has elapsed yet (k = 0, or no working day before `as_of`).
    """
    first, last = month_bounds(date_from)
    if (date_from, date_to) == (first, last) and date_to < as_of:
        previous = month_bounds(first - dt.timedelta(days=1))
        return Comparison((date_from, date_to), previous)
    running = date_from <= as_of <= date_to
    if running and date_from == as_of.replace(day=1):
        k = working_days(first, as_of - dt.timedelta(days=1), overrides)
        if not k:
            return None
        prev_first, prev_last = month_bounds(first - dt.timedelta(days=1))
        prev_days = working_days(prev_first, prev_last, overrides)
        prev_end = nth_working_day(prev_first, k, overrides) if k <= prev_days else prev_last
        return Comparison((first, as_of - dt.timedelta(days=1)), (prev_first, prev_end))
    if running:
        elapsed_end = as_of - dt.timedelta(days=1)
        n = working_days(date_from, elapsed_end, overrides)
        if not n:
            return None
        previous = range_with_working_days_before(date_from, n, overrides)
        return Comparison((date_from, elapsed_end), previous)
    length = (date_to - date_from).days + 1
    previous = (date_from - dt.timedelta(days=length), date_from - dt.timedelta(days=1))
    return Comparison((date_from, date_to), previous)


@dataclass(frozen=True)
class MoneySums:
    invoiced_amount: Decimal = ZERO
    payments_count: int = 0
    revenue: Decimal = ZERO
    variable_costs: Decimal = ZERO

    def __add__(self, other: MoneySums) -> MoneySums:
        return MoneySums(
            invoiced_amount=self.invoiced_amount + other.invoiced_amount,
            payments_count=self.payments_count + other.payments_count,
            revenue=self.revenue + other.revenue,
            variable_costs=self.variable_costs + other.variable_costs,
        )


@dataclass(frozen=True)
class MoneyMetrics:
    invoiced_amount: Decimal
    payments_count: int
    revenue: Decimal
    average_check: Decimal | None
    variable_costs: Decimal
    margin: Decimal
    profitability: Decimal | None

    @classmethod
    def from_sums(cls, sums: MoneySums) -> MoneyMetrics:
        return cls(
            invoiced_amount=money(sums.invoiced_amount),
            payments_count=sums.payments_count,
            revenue=money(sums.revenue),
            average_check=average_check(sums.revenue, sums.payments_count),
            variable_costs=money(sums.variable_costs),
            margin=margin(sums.revenue, sums.variable_costs),
            profitability=profitability(sums.revenue, sums.variable_costs),
        )


@dataclass(frozen=True)
class StageMetric:
    code: str
    count: int
    conversion: Decimal | None


@dataclass(frozen=True)
class ChannelMetrics:
    stages: list[StageMetric]
    activities: list[tuple[str, int]]
    funnel_conversion: Decimal | None
    money: MoneyMetrics
    extra: dict = field(default_factory=dict)


def channel_metrics(
    *,
    stage_counts: Sequence[tuple[str, int]],
    activity_counts: Sequence[tuple[str, int]],
    sums: MoneySums,
) -> ChannelMetrics:
    """Everything a channel reports, from its stage sums (in funnel order) and money sums."""
    counts = [count for _code, count in stage_counts]
    conversions = stage_conversions(counts)
    return ChannelMetrics(
        stages=[
            StageMetric(code=code, count=count, conversion=conv)
            for (code, count), conv in zip(stage_counts, conversions, strict=True)
        ],
        activities=list(activity_counts),
        funnel_conversion=funnel_conversion(counts),
        money=MoneyMetrics.from_sums(sums),
    )


def fact_for_indicator(indicator: str, *, counts: Mapping[str, int], sums: MoneySums) -> Decimal:
    """The fact a plan indicator is compared with: a count, revenue, margin or payments."""
    if indicator == "revenue":
        return money(sums.revenue)
    if indicator == "margin":
        return margin(sums.revenue, sums.variable_costs)
    if indicator == "payments_count":
        return Decimal(sums.payments_count)
    if indicator == "invoiced_amount":
        return money(sums.invoiced_amount)
    if indicator == "variable_costs":
        return money(sums.variable_costs)
    return Decimal(counts.get(indicator, 0))


@dataclass(frozen=True)
class ValuableFinalProduct:
    """The department's valuable final product for a period, company-wide (docs/metrics.md).

    `revenue` and `margin` are the period's; `revenue_growth` compares the same ranges as the
    dashboard cards (`previous_period`); the result is the margin of `result_range` (the
    period, or its part before as_of while it runs) minus that range's share of the
    monthly expenses and reserves, prorated by working days."""

    date_from: dt.date
    date_to: dt.date
    revenue: Decimal
    revenue_growth: Decimal | None  # None without a comparison or with no previous revenue
    margin: Decimal
    result_range: tuple[dt.date, dt.date] | None  # None: nothing elapsed yet
    result_margin: Decimal
    expenses: Decimal | None  # None until every month of result_range has its expenses
    reserves: Decimal | None
    result: Decimal | None  # result_margin - (expenses + reserves)


def prorated_expenses(
    entered: Mapping[dt.date, tuple[Decimal, Decimal]],
    date_from: dt.date,
    date_to: dt.date,
    overrides: Mapping[dt.date, bool],
) -> tuple[Decimal, Decimal] | None:
    """(expenses, reserves) of a range: each month's entered amounts × its working days in
    the range ÷ its working days (as `prorated_plan`), summed, rounded once to the kopeck.
    None while a month the range touches has none entered."""
    months = months_in(date_from, date_to)
    if any(month not in entered for month in months):
        return None
    expenses = prorated_plan({m: entered[m][0] for m in months}, date_from, date_to, overrides)
    reserves = prorated_plan({m: entered[m][1] for m in months}, date_from, date_to, overrides)
    return money(expenses), money(reserves)


def valuable_final_product(
    *,
    date_from: dt.date,
    date_to: dt.date,
    sums: MoneySums,
    current_revenue: Decimal | None,
    previous_revenue: Decimal | None,
    result_range: tuple[dt.date, dt.date] | None,
    result_sums: MoneySums,
    expenses: tuple[Decimal, Decimal] | None,
) -> ValuableFinalProduct:
    """Revenue, its growth against the previous period and what sales leave after covering
    expenses and reserves. Without entered expenses the result is undefined, not the bare
    margin: showing margin as the result would overstate it."""
    growth = None
    if current_revenue is not None and previous_revenue is not None:
        growth = change(money(current_revenue), money(previous_revenue))
    result_margin = margin(result_sums.revenue, result_sums.variable_costs)
    entered = expenses is not None and result_range is not None
    return ValuableFinalProduct(
        date_from=date_from,
        date_to=date_to,
        revenue=money(sums.revenue),
        revenue_growth=growth,
        margin=margin(sums.revenue, sums.variable_costs),
        result_range=result_range,
        result_margin=result_margin,
        expenses=expenses[0] if entered else None,
        reserves=expenses[1] if entered else None,
        result=result_margin - expenses[0] - expenses[1] if entered else None,
    )


@dataclass(frozen=True)
class Velocity:
    """Sales velocity of a channel over a range (docs/metrics.md, "Sales velocity"):
    first-stage count per working day × funnel conversion × average check; None where a
    factor is undefined."""

    per_day: Decimal | None  # first-stage count per working day
    conversion: Decimal | None  # last stage over first stage
    average_check: Decimal | None

    @property
    def value(self) -> Decimal | None:
        """Money per working day, unrounded."""
        if None in (self.per_day, self.conversion, self.average_check):
            return None
        return self.per_day * self.conversion * self.average_check


def sales_velocity(
    *, first: int, last: int, days: int, revenue: Decimal, payments: int
) -> Velocity:
    return Velocity(ratio(first, days), ratio(last, first), average_check(revenue, payments))
