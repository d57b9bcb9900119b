"""A whole KPI report for a scope: selectors sum, compute turns sums into metrics.

`build_report` is what the dashboard and `kpi_report` call; it costs a fixed number of
queries whatever the number of channels, managers or days (5 to 7: catalogue 2, counts 1,
money 1, plans 1-2, holidays 1 when the period contains `as_of`). `report_as_dict` gives
the JSON shape of DESIGN.md.

Plans: which plan applies to a scope is decided in `selectors.plan_sums` (a whole team
→ its team plan where set, else the sum of its managers' plans; a manager → own plans;
all → the sum over teams). A period of several months sums the plans of every month it
touches, whole months even when the period starts or ends mid-month. The forecast is
given only while the period contains `as_of`: the facts of the period's earlier months
plus the run rate of the month containing `as_of` (over its working days, from the later
of the month's first day and the period's start, holidays and transferred working days
from the admin's calendar). The total's plan lines add up the channels' money plans
(revenue, margin, payments_count) and compare them with the facts of the planned channels.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from channels.models import Channel
from metrics.compute import (
    CENT,
    ChannelMetrics,
    MoneyMetrics,
    MoneySums,
    ValuableFinalProduct,
    channel_metrics,
    fact_for_indicator,
    forecast,
    money,
    month_bounds,
    months_in,
    plan_completion,
    round_ratio,
    valuable_final_product,
)
from metrics.models import PLAN_MONEY_CODES
from metrics.selectors import (
    Scope,
    channel_catalogue,
    company_money_by_month,
    count_sums,
    counts_by_code,
    money_sums,
    monthly_expenses,
    plan_sums,
    working_day_overrides,
)

# Plan indicators measured in money (strings with 2 places in JSON); the rest are counts.
MONEY_INDICATORS = frozenset({"revenue", "margin", "invoiced_amount", "variable_costs"})


@dataclass(frozen=True)
class PlanLine:
    """Plan against fact for one indicator. Money indicators carry kopecks; counts may carry
    a fractional forecast (the run rate is not rounded here)."""

    indicator: str
    plan: Decimal
    fact: Decimal
    completion: Decimal | None
    forecast: Decimal | None


@dataclass(frozen=True)
class ChannelReport:
    channel: Channel
    metrics: ChannelMetrics
    plans: list[PlanLine]


@dataclass(frozen=True)
class TotalReport:
    money: MoneyMetrics
    plans: list[PlanLine]


@dataclass(frozen=True)
class Report:
    date_from: dt.date
    date_to: dt.date
    channels: list[ChannelReport]
    total: TotalReport


@dataclass(frozen=True)
class _Forecasting:
    """What a run-rate forecast needs; `month` is None when the period does not contain as_of."""

    month: dt.date | None
    as_of: dt.date
    start: dt.date
    overrides: Mapping[dt.date, bool]


def build_report(
    *, scope: Scope, as_of: dt.date, month_sums: tuple[dict, dict] | None = None
) -> Report:
    """Funnel, money and plan lines per channel and in total for the scope's facts.

    Channels: the active ones in scope in display order, plus switched-off ones that
    still have facts in the period. The total covers exactly the channels listed.
    `month_sums` — (count_sums, money_sums) of this scope grouped by ("month", "channel"),
    when the caller has them already — saves their two queries.
    """
    if scope.date_from > scope.date_to:
        raise ValueError("date_from is after date_to")
    catalogue = channel_catalogue(scope.channel_ids, include_inactive=True)
    if month_sums is None:
        counts = count_sums(scope, group_by=("month", "channel"))
        sums = money_sums(scope, group_by=("month", "channel"))
    else:
        counts, sums = month_sums
    plans = plan_sums(scope=scope)
    months = months_in(scope.date_from, scope.date_to)
    running = scope.date_from <= as_of <= scope.date_to
    forecasting = _Forecasting(
        month=as_of.replace(day=1) if running else None,
        as_of=as_of,
        start=scope.date_from,
        overrides=working_day_overrides(*month_bounds(as_of)) if running else {},
    )

    channels: list[ChannelReport] = []
    total_sums = MoneySums()
    for channel in catalogue:
        has_facts = any((month, channel.pk) in sums for month in months)
        if not channel.is_active and not has_facts:
            continue
        counts_by_month = {m: counts_by_code(counts, channel, prefix=(m,)) for m in months}
        sums_by_month = {m: sums.get((m, channel.pk), MoneySums()) for m in months}
        order = [i.code for i in (*channel.stage_list, *channel.activity_list)]
        channel_counts = {code: sum(c[code] for c in counts_by_month.values()) for code in order}
        channel_sums = sum(sums_by_month.values(), MoneySums())
        metrics = channel_metrics(
            stage_counts=[(i.code, channel_counts[i.code]) for i in channel.stage_list],
            activity_counts=[(i.code, channel_counts[i.code]) for i in channel.activity_list],
            sums=channel_sums,
        )
        channel_plans = _plans_over_months(plans, channel.pk)
        lines = [
            _plan_line(
                indicator, channel_plans[indicator], counts_by_month, sums_by_month, forecasting
            )
            for indicator in _ordered(channel_plans, order)
        ]
        channels.append(ChannelReport(channel=channel, metrics=metrics, plans=lines))
        total_sums += channel_sums

    return Report(
        date_from=scope.date_from,
        date_to=scope.date_to,
        channels=channels,
        total=TotalReport(money=MoneyMetrics.from_sums(total_sums), plans=_total_lines(channels)),
    )


def _total_lines(channels: list[ChannelReport]) -> list[PlanLine]:
    """Money plans added up over the channels that have them, facts of those channels only:
    a revenue plan set for one channel is not compared with every channel's revenue."""
    lines = []
    for indicator in PLAN_MONEY_CODES:
        parts = [line for c in channels for line in c.plans if line.indicator == indicator]
        if not parts:
            continue
        plan = sum((line.plan for line in parts), Decimal(0))
        fact = sum((line.fact for line in parts), Decimal(0))
        forecasts = [line.forecast for line in parts]
        lines.append(
            PlanLine(
                indicator=indicator,
                plan=plan,
                fact=fact,
                completion=plan_completion(fact, plan),
                forecast=None if None in forecasts else sum(forecasts, Decimal(0)),
            )
        )
    return lines


def _plans_over_months(plans: Mapping[tuple, Decimal], channel_id: int) -> dict[str, Decimal]:
    result: dict[str, Decimal] = {}
    for (_month, plan_channel, indicator), value in plans.items():
        if plan_channel == channel_id:
            result[indicator] = result.get(indicator, Decimal(0)) + value
    return result


def _ordered(plans: Mapping[str, Decimal], codes: list[str]) -> list[str]:
    """The channel's own indicators in funnel order, then money plans, then any stale code."""
    known = [*codes, *PLAN_MONEY_CODES]
    return [c for c in known if c in plans] + sorted(c for c in plans if c not in known)


def _plan_line(
    indicator: str,
    plan: Decimal,
    counts_by_month: Mapping[dt.date, Mapping[str, int]],
    sums_by_month: Mapping[dt.date, MoneySums],
    forecasting: _Forecasting,
) -> PlanLine:
    facts = {
        month: fact_for_indicator(indicator, counts=counts_by_month[month], sums=sums)
        for month, sums in sums_by_month.items()
    }
    fact = sum(facts.values(), Decimal(0))
    line_forecast = None
    if forecasting.month is not None:
        current = forecast(
            facts[forecasting.month],
            month=forecasting.month,
            as_of=forecasting.as_of,
            overrides=forecasting.overrides,
            start=forecasting.start,
        )
        if current is not None:
            line_forecast = fact - facts[forecasting.month] + current
    if indicator in MONEY_INDICATORS:
        plan, fact = money(plan), money(fact)
        line_forecast = None if line_forecast is None else money(line_forecast)
    return PlanLine(
        indicator=indicator,
        plan=plan,
        fact=fact,
        completion=plan_completion(fact, plan),
        forecast=line_forecast,
    )


def valuable_final_product_for(*, month: dt.date) -> ValuableFinalProduct:
    """The company's valuable final product for the month containing `month`. Two queries."""
    first, last = month_bounds(month)
    previous = month_bounds(first - dt.timedelta(days=1))[0]
    sums = company_money_by_month(date_from=previous, date_to=last)
    expense = monthly_expenses(months=[first]).get(first)
    current = sums.get(first, MoneySums())
    return valuable_final_product(
        month=first,
        revenue=current.revenue,
        previous_revenue=sums.get(previous, MoneySums()).revenue,
        variable_costs=current.variable_costs,
        expenses=expense.expenses if expense else None,
        reserves=expense.reserves if expense else None,
    )


# --- JSON shape of DESIGN.md -------------------------------------------------------------


def report_as_dict(report: Report) -> dict:
    """The report as DESIGN.md's JSON: counts int, money "0.00" strings, ratios numbers
    rounded half-up to 4 places, undefined → None; `plans` only where plans exist."""
    channels = []
    for item in report.channels:
        metrics = item.metrics
        row = {
            "channel": item.channel.code,
            "stages": [
                {"code": s.code, "count": s.count, "conversion": json_ratio(s.conversion)}
                for s in metrics.stages
            ],
            "activities": [{"code": code, "count": count} for code, count in metrics.activities],
            "funnel_conversion": json_ratio(metrics.funnel_conversion),
            **_money_dict(metrics.money),
        }
        if item.plans:
            row["plans"] = [_plan_dict(line) for line in item.plans]
        channels.append(row)
    total = _money_dict(report.total.money)
    if report.total.plans:
        total["plans"] = [_plan_dict(line) for line in report.total.plans]
    return {
        "from": report.date_from.isoformat(),
        "to": report.date_to.isoformat(),
        "channels": channels,
        "total": total,
    }


def json_money(value: Decimal | None) -> str | None:
    return None if value is None else str(money(value))


def json_ratio(value: Decimal | None) -> float | None:
    return None if value is None else float(round_ratio(value))


def json_count(value: Decimal | int | None) -> int | float | None:
    """A count as an int; a fractional one (a plan or run rate) rounded half-up to 2 places."""
    if value is None:
        return None
    rounded = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)


def _money_dict(metrics: MoneyMetrics) -> dict:
    return {
        "invoiced_amount": json_money(metrics.invoiced_amount),
        "payments_count": metrics.payments_count,
        "revenue": json_money(metrics.revenue),
        "average_check": json_money(metrics.average_check),
        "variable_costs": json_money(metrics.variable_costs),
        "margin": json_money(metrics.margin),
        "profitability": json_ratio(metrics.profitability),
    }


def _plan_dict(line: PlanLine) -> dict:
    number = json_money if line.indicator in MONEY_INDICATORS else json_count
    return {
        "indicator": line.indicator,
        "plan": number(line.plan),
        "fact": number(line.fact),
        "completion": json_ratio(line.completion),
        "forecast": number(line.forecast),
    }
