"""The metric contract of DESIGN.md as pure functions: numbers in, metrics out.

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


def previous_period(date_from: dt.date, date_to: dt.date) -> tuple[dt.date, dt.date]:
    """The period of equal length that ends the day before `date_from`."""
    length = (date_to - date_from).days + 1
    return date_from - dt.timedelta(days=length), date_from - dt.timedelta(days=1)


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
    """(working days elapsed, working days in the month) of a month-end run rate, counted
    from `start` (the month's first day unless a period starts later); (1, 1) for a finished
    month (its fact is its forecast); None when the month has not started or no working
    day has elapsed. The same for every figure of one month: compute it once."""
    first, last = month_bounds(month)
    start = max(first, start or first)
    if as_of < start:
        return None
    if as_of >= last:
        return (1, 1)
    elapsed = working_days(start, as_of, overrides)
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
    """Month-end run rate: fact so far / working days elapsed × working days in the month.

    Days elapsed count from `start` (the month's first day unless a period starts later)
    up to and including `as_of`. A finished month forecasts its fact; a month not yet
    started, or with no working day elapsed, has no forecast. Not rounded.
    """
    days = run_rate_days(month=month, as_of=as_of, overrides=overrides, start=start)
    return None if days is None else run_rate(fact, days)


def run_rate(fact: Decimal | int, days: tuple[int, int]) -> Decimal:
    elapsed, total = days
    return Decimal(fact) * total / elapsed


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
    """The department's valuable final product for a month (company level)."""

    month: dt.date
    revenue: Decimal
    revenue_growth: Decimal | None  # against the previous month; None when it had none
    margin: Decimal
    expenses: Decimal | None  # None until a head or admin enters the month's expenses
    reserves: Decimal | None
    result: Decimal | None  # margin - (expenses + reserves); None while they are not entered


def valuable_final_product(
    *,
    month: dt.date,
    revenue: Decimal,
    previous_revenue: Decimal,
    variable_costs: Decimal,
    expenses: Decimal | None,
    reserves: Decimal | None,
) -> ValuableFinalProduct:
    """Revenue, its growth against the previous month and what sales leave after covering
    the month's expenses and reserves. Without entered expenses the result is undefined,
    not the bare margin: showing margin as the result would overstate it."""
    month_margin = margin(revenue, variable_costs)
    entered = expenses is not None and reserves is not None
    return ValuableFinalProduct(
        month=month_bounds(month)[0],
        revenue=money(revenue),
        revenue_growth=change(money(revenue), money(previous_revenue)),
        margin=month_margin,
        expenses=money(expenses) if entered else None,
        reserves=money(reserves) if entered else None,
        result=month_margin - money(expenses) - money(reserves) if entered else None,
    )
