"""A whole KPI report for a scope: selectors sum, compute turns sums into metrics.

The definitions are docs/metrics.md's. `build_report` is what the dashboard and
`kpi_report` call; it costs a fixed number of queries whatever the number of channels,
managers or days: catalogue 2, counts 1, money 1, plans 1-2, holidays 1, and 2 more (counts
and money of the as-of month before `as_of`) when the period holds `as_of` and a day of
that month has passed: 6 to 9. `report_as_dict` gives the JSON of docs/metrics.md.

Plans: which plan applies to a scope is decided in `selectors.plan_sums` (a whole team
→ its team plan where set, else the sum of its managers' plans; a manager → own plans;
all → the sum over teams). A period's plan prorates each month's plan by its working days
inside the period (`compute.prorated_plan`). The forecast is given only while the period
contains `as_of`, as of the end of the day before: the facts of the period's earlier months
plus the run rate of the as-of month's facts dated before `as_of` (over its working days,
from the later of the month's first day and the period's start, holidays and transferred
working days from the admin's calendar). The total's plan lines add up the channels' money
plans (revenue, margin, payments_count) and compare them with the facts of the planned
channels; its forecast is computed from the summed facts and rounded once.
"""

from __future__ import annotations

import dataclasses
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
    money,
    month_bounds,
    months_in,
    period_forecast,
    plan_completion,
    previous_period,
    prorated_expenses,
    prorated_plan,
    round_ratio,
    run_rate_days,
    valuable_final_product,
)
from metrics.pace import Paced, expected_to_date
from metrics.plan_selectors import monthly_expenses, plan_sums
from metrics.selectors import (
    Scope,
    channel_catalogue,
    count_sums,
    counts_by_code,
    money_sums,
    working_day_overrides,
)
from plans.models import PLAN_MONEY_CODES

# Plan indicators measured in money (strings with 2 places in JSON); the rest are counts.
MONEY_INDICATORS = frozenset({"revenue", "margin", "invoiced_amount", "variable_costs"})


@dataclass(frozen=True)
class PlanLine(Paced):
    """Plan against fact for one indicator. Money indicators carry kopecks; counts may carry
    a fractional plan (prorated) and forecast (the run rate is not rounded here).

    `forecast_plan` is the plan of the span the forecast covers (the period's start to the
    end of the as-of month), what the forecast is compared with; None without a forecast.
    """

    indicator: str
    plan: Decimal
    fact: Decimal
    completion: Decimal | None
    forecast: Decimal | None
    forecast_plan: Decimal | None = None
    # Pace (docs/metrics.md, "Pace"): the plan expected by the end of the day before as_of
    # and the facts dated before as_of; None until a working day of the period has passed.
    expected: Decimal | None = None
    fact_to_date: Decimal | None = None


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
class _Timing:
    """What proration and the forecast need. `days` is the as-of month's run rate
    (compute.run_rate_days), None when there is no forecast; `month` the as-of month."""

    date_from: dt.date
    date_to: dt.date
    month: dt.date
    days: tuple[int, int] | None
    overrides: Mapping[dt.date, bool]
    as_of: dt.date

    def plan(self, plans_by_month: Mapping[dt.date, Decimal]) -> Decimal:
        return prorated_plan(plans_by_month, self.date_from, self.date_to, self.overrides)

    def expected(self, plans_by_month: Mapping[dt.date, Decimal]) -> Decimal | None:
        return expected_to_date(
            plans_by_month,
            self.date_from,
            self.date_to,
            as_of=self.as_of,
            overrides=self.overrides,
        )

    def fact_to_date(self, parts: _Parts) -> Decimal | None:
        """The facts dated before as_of: all of them once the period is over."""
        if self.as_of > self.date_to:
            return parts.fact
        return parts.earlier + parts.before

    def forecast_plan(self, plans_by_month: Mapping[dt.date, Decimal]) -> Decimal:
        end = month_bounds(self.month)[1]
        return prorated_plan(plans_by_month, self.date_from, end, self.overrides)


@dataclass(frozen=True)
class _Parts:
    """A plan line before rounding, kept for the total (sums first, one rounding)."""

    indicator: str
    plan: Decimal
    fact: Decimal
    earlier: Decimal  # facts of the period's months before the as-of month
    before: Decimal  # facts of the as-of month dated before as_of, within the period
    forecast_plan: Decimal
    expected: Decimal | None = None


def build_report(
    *,
    scope: Scope,
    as_of: dt.date,
    month_sums: tuple[dict, dict] | None = None,
    catalogue: list[Channel] | None = None,
    overrides: Mapping[dt.date, bool] | None = None,
) -> Report:
    """Funnel, money and plan lines per channel and in total for the scope's facts.

    Channels: the active ones in scope in display order, plus switched-off ones that
    still have facts in the period. The total covers exactly the channels listed.
    What the caller has read already saves its queries: `month_sums` — (count_sums,
    money_sums) of this scope grouped by ("month", "channel"); `catalogue` —
    channel_catalogue(scope's channels, include_inactive=True); `overrides` — the holiday
    list covering the period's months.
    """
    if scope.date_from > scope.date_to:
        raise ValueError("date_from is after date_to")
    if catalogue is None:
        catalogue = channel_catalogue(scope.channel_ids, include_inactive=True)
    if month_sums is None:
        counts = count_sums(scope, group_by=("month", "channel"))
        sums = money_sums(scope, group_by=("month", "channel"))
    else:
        counts, sums = month_sums
    plans = plan_sums(scope=scope)
    months = months_in(scope.date_from, scope.date_to)
    if overrides is None:
        overrides = working_day_overrides(months[0], month_bounds(months[-1])[1])
    as_of_month = as_of.replace(day=1)
    running = scope.date_from <= as_of <= scope.date_to
    days = None
    if running:
        days = run_rate_days(
            month=as_of_month, as_of=as_of, overrides=overrides, start=scope.date_from
        )
    timing = _Timing(scope.date_from, scope.date_to, as_of_month, days, overrides, as_of)
    # The as-of month's facts before as_of: what its run rate extrapolates.
    before = dataclasses.replace(
        scope,
        date_from=max(scope.date_from, as_of_month),
        date_to=as_of - dt.timedelta(days=1),
    )
    counts_before: dict = {}
    sums_before: dict = {}
    if running and before.date_from <= before.date_to:
        counts_before = count_sums(before, group_by=("channel",))
        sums_before = money_sums(before, group_by=("channel",))

    channels: list[ChannelReport] = []
    parts: list[_Parts] = []
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
        channel_plans = _plans_by_month(plans, channel.pk)
        counts_now = counts_by_code(counts_before, channel)
        sums_now = sums_before.get((channel.pk,), MoneySums())
        lines = []
        for indicator in _ordered(channel_plans, order):
            facts = {
                month: fact_for_indicator(indicator, counts=counts_by_month[month], sums=s)
                for month, s in sums_by_month.items()
            }
            line_parts = _Parts(
                indicator=indicator,
                plan=timing.plan(channel_plans[indicator]),
                fact=sum(facts.values(), Decimal(0)),
                earlier=sum((v for m, v in facts.items() if m < as_of_month), Decimal(0)),
                before=fact_for_indicator(indicator, counts=counts_now, sums=sums_now),
                forecast_plan=timing.forecast_plan(channel_plans[indicator]),
                expected=timing.expected(channel_plans[indicator]),
            )
            parts.append(line_parts)
            lines.append(_plan_line(line_parts, timing))
        channels.append(ChannelReport(channel=channel, metrics=metrics, plans=lines))
        total_sums += channel_sums

    return Report(
        date_from=scope.date_from,
        date_to=scope.date_to,
        channels=channels,
        total=TotalReport(
            money=MoneyMetrics.from_sums(total_sums), plans=_total_lines(parts, timing)
        ),
    )


def _total_lines(parts: list[_Parts], timing: _Timing) -> list[PlanLine]:
    """Money plans added up over the channels that have them, facts of those channels only:
    a revenue plan set for one channel is not compared with every channel's revenue. Plans,
    facts and the facts a forecast runs on are summed first; each figure is rounded once."""
    lines = []
    for indicator in PLAN_MONEY_CODES:
        found = [p for p in parts if p.indicator == indicator]
        if not found:
            continue
        lines.append(
            _plan_line(
                _Parts(
                    indicator=indicator,
                    plan=sum((p.plan for p in found), Decimal(0)),
                    fact=sum((p.fact for p in found), Decimal(0)),
                    earlier=sum((p.earlier for p in found), Decimal(0)),
                    before=sum((p.before for p in found), Decimal(0)),
                    forecast_plan=sum((p.forecast_plan for p in found), Decimal(0)),
                    expected=None
                    if found[0].expected is None
                    else sum((p.expected for p in found), Decimal(0)),
                ),
                timing,
            )
        )
    return lines


def _plans_by_month(
    plans: Mapping[tuple, Decimal], channel_id: int
) -> dict[str, dict[dt.date, Decimal]]:
    """{indicator: {month: plan}} of one channel."""
    result: dict[str, dict[dt.date, Decimal]] = {}
    for (month, plan_channel, indicator), value in plans.items():
        if plan_channel == channel_id:
            by_month = result.setdefault(indicator, {})
            by_month[month] = by_month.get(month, Decimal(0)) + value
    return result


def _ordered(plans: Mapping[str, Decimal], codes: list[str]) -> list[str]:
    """The channel's own indicators in funnel order, then money plans, then any stale code."""
    known = [*codes, *PLAN_MONEY_CODES]
    return [c for c in known if c in plans] + sorted(c for c in plans if c not in known)


def _plan_line(parts: _Parts, timing: _Timing) -> PlanLine:
    """A plan line from its unrounded parts: money rounded half-up to the kopeck once,
    counts kept as they are (JSON rounds them to 2 places)."""
    plan, fact = parts.plan, parts.fact
    line_forecast = period_forecast(
        earlier=parts.earlier, before_as_of=parts.before, days=timing.days
    )
    forecast_plan = None if line_forecast is None else parts.forecast_plan
    expected = parts.expected
    to_date = None if expected is None else timing.fact_to_date(parts)
    if parts.indicator in MONEY_INDICATORS:
        plan, fact = money(plan), money(fact)
        line_forecast = None if line_forecast is None else money(line_forecast)
        forecast_plan = None if forecast_plan is None else money(forecast_plan)
        expected = None if expected is None else money(expected)
        to_date = None if to_date is None else money(to_date)
    return PlanLine(
        indicator=parts.indicator,
        plan=plan,
        fact=fact,
        completion=plan_completion(fact, plan),
        forecast=line_forecast,
        forecast_plan=forecast_plan,
        expected=expected,
        fact_to_date=to_date,
    )


def valuable_final_product_for(
    *,
    date_from: dt.date,
    date_to: dt.date,
    as_of: dt.date,
    overrides: Mapping[dt.date, bool] | None = None,
    known: Mapping[tuple[dt.date, dt.date], MoneySums] | None = None,
) -> ValuableFinalProduct:
    """The company's valuable final product for a period (docs/metrics.md): a query for
    the company's money of each range it needs (the period, the compared part, the
    previous range) that `known` — {(first, last): company MoneySums} the caller has read
    already — does not hold, one for the entered expenses, and one for the holidays
    without `overrides` (which must then cover the period's months and the previous
    period).

    Revenue and margin of the period; growth compares the ranges of
    `compute.previous_period`, as the dashboard cards do; the result is the margin of the
    period (its part before `as_of` while it runs) minus the expenses and reserves of its
    months prorated by working days in that same range.
    """
    if overrides is None:
        look_from = date_from - dt.timedelta(days=2 * ((date_to - date_from).days + 1) + 40)
        overrides = working_day_overrides(
            look_from.replace(day=1), max(month_bounds(date_to)[1], month_bounds(as_of)[1])
        )
    comparison = previous_period(date_from, date_to, as_of=as_of, overrides=overrides)
    running = date_from <= as_of <= date_to
    if running:
        elapsed_end = as_of - dt.timedelta(days=1)
        result_range = (date_from, elapsed_end) if date_from <= elapsed_end else None
    else:
        result_range = (date_from, date_to)
    read = dict(known or {})

    def between(first: dt.date, last: dt.date) -> MoneySums:
        if (first, last) not in read:
            read[first, last] = money_sums(Scope(first, last), ()).get((), MoneySums())
        return read[first, last]

    touched = months_in(*result_range) if result_range else []
    entered = {
        month: (e.expenses, e.reserves) for month, e in monthly_expenses(months=touched).items()
    }
    return valuable_final_product(
        date_from=date_from,
        date_to=date_to,
        sums=between(date_from, date_to),
        current_revenue=between(*comparison.current).revenue if comparison else None,
        previous_revenue=between(*comparison.previous).revenue if comparison else None,
        result_range=result_range,
        result_sums=between(*result_range) if result_range else MoneySums(),
        expenses=prorated_expenses(entered, *result_range, overrides) if result_range else None,
    )


# --- JSON shape (docs/metrics.md, "JSON of kpi_report") ------------------------------------


def report_as_dict(report: Report) -> dict:
    """The report as JSON: counts int, money "0.00" strings, ratios numbers
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
        "expected_to_date": number(line.expected),
        "fact_to_date": number(line.fact_to_date),
        "pace": json_ratio(line.pace),
        "pace_status": line.pace_status,
    }
