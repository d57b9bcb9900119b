"""Headline cards, the plan card and the company's valuable final product."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.utils.translation import gettext as _

from channels.templatetags.kpi_format import count, money
from dashboards.labels import range_label
from metrics import compute
from metrics.compute import Comparison, MoneyMetrics, MoneySums
from metrics.pace import year_ago
from metrics.reports import (
    Report,
    build_report,
    valuable_final_product_for,
)
from metrics.selectors import (
    Scope,
    money_sums,
)


def pct_points(value: Decimal | None, places: int = 1) -> Decimal | None:
    """A ratio as the percentage the screen shows: 0.12345 → 12.3 (half-up)."""
    if value is None:
        return None
    return (value * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _direction(change: Decimal | None) -> str:
    """up, down or flat, from the rounded number the reader sees."""
    shown = pct_points(change)
    if not shown:
        return "flat"
    return "up" if shown > 0 else "down"


@dataclass(frozen=True)
class Card:
    key: str
    label: str
    value: Decimal | None
    kind: str  # "money" or "pct"
    change: Decimal | None  # relative change for money, percentage-point difference for "pct"
    previous: Decimal | None
    drill: str = ""
    year_change: Decimal | None = None  # against the same working days a year earlier
    year_previous: Decimal | None = None
    hint: str = ""  # the compared values and their denominators, on hover

    @property
    def change_shown(self) -> Decimal | None:
        """The change as the percentage (or points) on screen, 1 decimal."""
        return pct_points(self.change)

    @property
    def direction(self) -> str:
        return _direction(self.change)

    @property
    def year_change_shown(self) -> Decimal | None:
        return pct_points(self.year_change)

    @property
    def year_direction(self) -> str:
        return _direction(self.year_change)


@dataclass(frozen=True)
class PlanCard:
    plan: Decimal | None
    fact: Decimal | None
    completion: Decimal | None
    forecast: Decimal | None
    forecast_completion: Decimal | None  # the forecast against `forecast_plan`
    label: str = ""  # "Plan for 15 Oct – 14 Nov"
    forecast_plan: Decimal | None = None  # the plan of the span the forecast covers
    forecast_label: str = ""  # that span, when it is not the period

    expected: Decimal | None = None  # the plan expected by the end of yesterday
    fact_to_date: Decimal | None = None
    pace: Decimal | None = None
    pace_status: str | None = None

    @property
    def bar_width(self) -> int:
        """Width of the progress bar in percent, full at 100 % and beyond."""
        return int(min(self.completion or 0, 1) * 100)

    @property
    def marker(self) -> int | None:
        """Where the pacing marker stands on the bar: the expected share of the plan."""
        if self.expected is None or not self.plan:
            return None
        return int(min(self.expected / self.plan, 1) * 100)


def _has_money(sums: MoneySums) -> bool:
    return bool(sums.revenue or sums.variable_costs)


class HeadlinePanels:
    """The cards: money against the previous period, plan completion and forecast."""

    @cached_property
    def previous_range(self) -> Comparison | None:
        """What "vs previous period" compares (compute.previous_period): the period, or its
        part before today, with the previous range; None when nothing has elapsed yet."""
        return compute.previous_period(
            self.f.date_from, self.f.date_to, as_of=self.f.today, overrides=self.overrides
        )

    def _scope_of(self, start: dt.date, end: dt.date) -> Scope:
        return Scope(start, end, self.f.channel_ids, self.f.fact_managers, self.f.fact_teams)

    @cached_property
    def money_previous_by_channel(self) -> dict[tuple, MoneySums]:
        """Money of the previous range per channel. One query (none without one)."""
        if self.previous_range is None:
            return {}
        return money_sums(self._scope_of(*self.previous_range.previous), ("channel",))

    @cached_property
    def money_previous(self) -> MoneySums:
        return sum(self.money_previous_by_channel.values(), MoneySums())

    @property
    def compares_whole_period(self) -> bool:
        comparison = self.previous_range
        return comparison is None or comparison.current == (self.f.date_from, self.f.date_to)

    @cached_property
    def money_compared_by_channel(self) -> dict[tuple, MoneySums]:
        """Money of the compared part of the period per channel: the period's own sums, or —
        while the period holds today — those of its part before today (one query)."""
        if self.compares_whole_period:
            return {(channel,): sums for channel, sums in self.channel_money.items()}
        return money_sums(self._scope_of(*self.previous_range.current), ("channel",))

    @cached_property
    def money_compared(self) -> MoneySums:
        if self.compares_whole_period:
            return self.money_total
        return sum(self.money_compared_by_channel.values(), MoneySums())

    @cached_property
    def year_range(self) -> tuple[dt.date, dt.date] | None:
        """What "vs last year" compares the compared range with (pace.year_ago)."""
        if self.previous_range is None:
            return None
        return year_ago(self.previous_range.current, self.overrides)

    @cached_property
    def money_year_ago(self) -> MoneySums:
        """Money of the year-ago range in the filters' scope. One query (none without one)."""
        if self.year_range is None:
            return MoneySums()
        return sum(money_sums(self._scope_of(*self.year_range), ("channel",)).values(), MoneySums())

    @cached_property
    def year_label(self) -> str:
        """ "Last year: 1–4 Dec 2026 with 1–4 Dec 2025", or "" without numbers then."""
        if self.year_range is None or not _has_money(self.money_year_ago):
            return ""
        return _("Last year: %(current)s with %(previous)s") % {
            "current": range_label(*self.previous_range.current, year=True),
            "previous": range_label(*self.year_range, year=True),
        }

    @cached_property
    def compared_label(self) -> str:
        """ "Compared: 1–4 Dec with 1–4 Nov", or "" without a comparison."""
        comparison = self.previous_range
        if comparison is None:
            return ""
        return _("Compared: %(current)s with %(previous)s") % {
            "current": range_label(*comparison.current),
            "previous": range_label(*comparison.previous),
        }

    @cached_property
    def period_label(self) -> str:
        """ "15 Oct – 14 Nov", "November 2026"."""
        return range_label(self.f.date_from, self.f.date_to)

    @cached_property
    def plan_label(self) -> str:
        """ "Plan for 15 Oct – 14 Nov", "Plan for November 2026"."""
        return _("Plan for %(period)s") % {"period": self.period_label}

    @cached_property
    def money_total(self) -> MoneySums:
        return sum(self.channel_money.values(), MoneySums())

    # --- headline cards ----------------------------------------------------------------
    @cached_property
    def cards(self) -> list[Card]:
        """The period's figures; the change compares the ranges of `previous_range` (the
        part of the period before today while it runs, like for like), and again with the
        same working days a year earlier where that year has numbers."""
        now = MoneyMetrics.from_sums(self.money_total)
        current = MoneyMetrics.from_sums(self.money_compared)
        before = MoneyMetrics.from_sums(self.money_previous)
        then = MoneyMetrics.from_sums(self.money_year_ago)
        has_before = self.previous_range is not None and _has_money(self.money_previous)
        has_year = self.year_range is not None and _has_money(self.money_year_ago)

        def delta(value, earlier, kind: str) -> Decimal | None:
            if value is None or earlier is None:
                return None
            if kind == "pct":  # rates compare in points
                return value - earlier
            return compute.change(value, earlier) if earlier else None

        def card(key: str, label: str, kind: str, drill: str = "", hint: str = "") -> Card:
            return Card(
                key,
                label,
                getattr(now, key),
                kind,
                delta(getattr(current, key), getattr(before, key), kind) if has_before else None,
                getattr(before, key) if has_before else None,
                drill,
                delta(getattr(current, key), getattr(then, key), kind) if has_year else None,
                getattr(then, key) if has_year else None,
                hint,
            )

        def shown(sums: MoneyMetrics, key: str) -> str:
            value = getattr(sums, key)
            return count(value) if key == "payments_count" else money(value)

        def hint(key: str, denominator: str = "", name: str = "") -> str:
            """ "1–4 Dec 1 000,00 ₽ · 1–4 Nov 800,00 ₽ (payments 5 → 4)": what was compared."""
            if not has_before:
                return ""
            ranges = self.previous_range
            text = " · ".join(
                f"{range_label(*r)}: {shown(m, key)}"
                for r, m in ((ranges.current, current), (ranges.previous, before))
            )
            if denominator:
                text += f" ({name} {shown(before, denominator)} → {shown(current, denominator)})"
            return text

        return [
            card("revenue", _("Revenue"), "money", "revenue", hint("revenue")),
            card("margin", _("Margin"), "money", hint=hint("margin")),
            card(
                "profitability",
                _("Profitability"),
                "pct",
                hint=hint("margin", "revenue", _("revenue")),
            ),
            card(
                "average_check",
                _("Average check"),
                "money",
                "payments_count",
                hint("average_check", "payments_count", _("payments")),
            ),
        ]

    @cached_property
    def report(self) -> Report:
        """The metrics engine's report for the filters: plans, completion, forecast."""
        return build_report(
            scope=self.f.scope,
            as_of=self.f.today,
            month_sums=self.month_sums,
            catalogue=self.channels_all,
            overrides=self.overrides,
        )

    @cached_property
    def month_sums(self) -> tuple[dict, dict] | None:
        """The trend's sums by month and channel, when its buckets lie within months (days,
        months; not weeks): the report's own two queries are then not needed."""
        if self.f.granularity not in ("day", "month"):
            return None
        counts: dict[tuple, int] = defaultdict(int)
        for (when, channel_id, indicator_id), value in self.trend_counts.items():
            counts[when.replace(day=1), channel_id, indicator_id] += value
        money: dict[tuple, MoneySums] = defaultdict(MoneySums)
        for (when, channel_id), sums in self.trend_money.items():
            money[when.replace(day=1), channel_id] += sums
        return dict(counts), dict(money)

    @cached_property
    def plan_card(self) -> PlanCard | None:
        """The revenue plan of the period (prorated by working days), its completion, and
        the month-end forecast against the plan of the span it covers (the period's start to
        the end of today's month)."""
        line = next((p for p in self.report.total.plans if p.indicator == "revenue"), None)
        if line is None:
            return None
        forecast_completion = None
        forecast_label = ""
        if line.forecast is not None:
            forecast_completion = compute.plan_completion(line.forecast, line.forecast_plan)
            month_end = compute.month_bounds(self.f.today)[1]
            if month_end != self.f.date_to:
                forecast_label = range_label(self.f.date_from, month_end)
        return PlanCard(
            line.plan,
            line.fact,
            line.completion,
            line.forecast,
            forecast_completion,
            label=self.plan_label,
            forecast_plan=line.forecast_plan,
            forecast_label=forecast_label,
            expected=line.expected,
            fact_to_date=line.fact_to_date,
            pace=line.pace,
            pace_status=line.pace_status,
        )

    # --- the company's valuable final product ------------------------------------------
    @cached_property
    def vfp(self):
        """The company's valuable final product for the period, whatever the team, channel
        or manager filter: the same comparison as the cards, expenses prorated."""
        if not self.f.shows_company:
            return None
        known = {}
        if self.f.scope == Scope(self.f.date_from, self.f.date_to):
            # The cards read the company's own sums already: the same ranges, no query.
            known[self.f.date_from, self.f.date_to] = self.money_total
            if self.previous_range is not None:
                known[self.previous_range.current] = self.money_compared
                known[self.previous_range.previous] = self.money_previous
        return valuable_final_product_for(
            date_from=self.f.date_from,
            date_to=self.f.date_to,
            as_of=self.f.today,
            overrides=self.overrides,
            known=known,
        )

    @property
    def vfp_filtered(self) -> bool:
        """Whether a filter is set that the company-wide panel ignores."""
        return bool(self.f.team or self.f.channel or self.f.manager)

    @cached_property
    def vfp_result_label(self) -> str:
        """The range the result covers, when it is not the whole period (the part before
        today of a period that runs)."""
        vfp = self.vfp
        if vfp is None or vfp.result_range in (None, (vfp.date_from, vfp.date_to)):
            return ""
        return _("Result over %(period)s") % {"period": range_label(*vfp.result_range)}
