"""Funnels per channel and the trend over time, with their figures."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.utils.formats import date_format

from channels.models import Channel
from dashboards import charts
from metrics import compute
from metrics.compute import ZERO, MoneyMetrics, MoneySums, Velocity
from metrics.pace import elapsed_end, is_small_sample
from metrics.selectors import (
    count_sums,
    counts_by_code,
    money_sums,
)


@dataclass(frozen=True)
class FunnelStage:
    code: str
    name: str
    count: int
    conversion: Decimal | None  # from the previous stage
    previous: int | None = None  # the previous stage's count: the conversion's sample size
    share_of_first: Decimal | None = None  # from the first stage
    per_day: Decimal | None = None  # per manager per working day
    is_main: bool = False  # the channel's main indicator

    @property
    def small_sample(self) -> bool:
        return self.previous is not None and is_small_sample(self.previous)


@dataclass(frozen=True)
class FunnelActivity:
    code: str
    name: str
    count: int
    per_day: Decimal | None
    is_main: bool = False


@dataclass(frozen=True)
class VelocityCard:
    """A channel's sales velocity over the compared range and the previous one."""

    now: Velocity
    before: Velocity | None

    def _change(self, name: str) -> Decimal | None:
        if self.before is None:
            return None
        current, previous = getattr(self.now, name), getattr(self.before, name)
        if current is None or previous is None:
            return None
        if name == "conversion":  # a rate: in points
            return current - previous
        return compute.change(current, previous) if previous else None

    @property
    def value_change(self) -> Decimal | None:
        return self._change("value")

    @property
    def per_day_change(self) -> Decimal | None:
        return self._change("per_day")

    @property
    def conversion_change(self) -> Decimal | None:
        return self._change("conversion")

    @property
    def check_change(self) -> Decimal | None:
        return self._change("average_check")


@dataclass(frozen=True)
class ChannelFunnel:
    channel: Channel
    stages: list[FunnelStage]
    funnel_conversion: Decimal | None
    money: MoneyMetrics
    activities: list[FunnelActivity] = field(default_factory=list)
    people: int = 0  # managers with numbers in the channel: the per-day averages' divisor
    velocity: VelocityCard | None = None

    @property
    def is_empty(self) -> bool:
        return not any(stage.count for stage in self.stages)

    @property
    def main(self) -> FunnelStage | FunnelActivity | None:
        """The channel's main indicator, a stage or an activity."""
        for item in (*self.stages, *self.activities):
            if item.is_main:
                return item
        return None

    @property
    def received_share(self) -> Decimal | None:
        return compute.ratio(self.money.revenue, self.money.invoiced_amount)


@dataclass(frozen=True)
class Bucket:
    start: dt.date
    end: dt.date
    label: str


@dataclass(frozen=True)
class TrendSeries:
    channel: Channel
    revenue: list[Decimal]
    stage: list[int]


@dataclass(frozen=True)
class Trend:
    granularity: str
    stage_code: str
    stage_name: str
    buckets: list[Bucket]
    series: list[TrendSeries]
    stage_choices: list[tuple[str, str]]

    @property
    def is_empty(self) -> bool:
        return not any(any(s.revenue) or any(s.stage) for s in self.series)


class FunnelPanels:
    """Each channel's funnel and the trend, from the sums by period step and channel."""

    # --- funnels -----------------------------------------------------------------------
    @cached_property
    def trend_counts(self) -> dict[tuple, int]:
        """{(bucket start, channel, indicator): total}; the maintained totals when the scope
        allows. Summed over buckets it is also the funnel: one query serves both."""
        return count_sums(self.f.scope, (self.f.granularity, "channel"))

    @cached_property
    def trend_money(self) -> dict[tuple, MoneySums]:
        return money_sums(self.f.scope, (self.f.granularity, "channel"))

    @cached_property
    def channel_counts(self) -> dict[tuple[int, int], int]:
        """{(channel_id, indicator_id): total} over every manager in scope."""
        totals: dict[tuple[int, int], int] = defaultdict(int)
        for (_when, channel_id, indicator_id), value in self.trend_counts.items():
            totals[channel_id, indicator_id] += value
        return totals

    @cached_property
    def channel_money(self) -> dict[int, MoneySums]:
        totals: dict[int, MoneySums] = defaultdict(MoneySums)
        for (_when, channel_id), sums in self.trend_money.items():
            totals[channel_id] += sums
        return totals

    @cached_property
    def worked_days(self) -> int:
        """Working days of the period before today: the per-day averages' other divisor
        (docs/metrics.md, "Per manager per working day")."""
        end = elapsed_end(self.f.date_from, self.f.date_to, self.f.today)
        return 0 if end is None else compute.working_days(self.f.date_from, end, self.overrides)

    @cached_property
    def counts_today(self) -> dict[tuple, int]:
        """{(channel, indicator): today's total} while the period holds today: the per-day
        averages count the facts dated before today only. One query (none otherwise)."""
        today = self.f.today
        if not self.f.date_from <= today <= self.f.date_to:
            return {}
        return count_sums(dataclasses.replace(self.f.scope, date_from=today, date_to=today))

    @cached_property
    def channel_people(self) -> dict[int, int]:
        """{channel: managers with a stage count or money there in the period}."""
        people: dict[int, int] = defaultdict(int)
        for _manager, channel_id in self.pivot:
            people[channel_id] += 1
        return people

    @cached_property
    def _velocity_counts(self) -> tuple[dict, dict]:
        """Counts per channel of the compared range and of the previous one (the cards'
        ranges): the period's own when it is compared whole. One query each."""
        comparison = self.previous_range
        if comparison is None:
            return {}, {}
        if self.compares_whole_period:
            now = {(c, i): v for (c, i), v in self.channel_counts.items()}
        else:
            now = count_sums(self._scope_of(*comparison.current), ("channel",))
        return now, count_sums(self._scope_of(*comparison.previous), ("channel",))

    def _velocity(self, channel) -> VelocityCard | None:
        """First-stage count per working day × funnel conversion × average check, over the
        range the cards compare, and the previous range."""
        comparison = self.previous_range
        stages = channel.stage_list
        if comparison is None or not stages:
            return None
        now_counts, before_counts = self._velocity_counts
        first, last = stages[0].pk, stages[-1].pk

        def of(counts, money, span) -> Velocity:
            sums = money.get((channel.pk,), MoneySums())
            return compute.sales_velocity(
                first=counts.get((channel.pk, first), 0),
                last=counts.get((channel.pk, last), 0),
                days=compute.working_days(*span, self.overrides),
                revenue=sums.revenue,
                payments=sums.payments_count,
            )

        now = of(now_counts, self.money_compared_by_channel, comparison.current)
        before = of(before_counts, self.money_previous_by_channel, comparison.previous)
        return VelocityCard(now, before if before.value is not None else None)

    @cached_property
    def funnels(self) -> list[ChannelFunnel]:
        result = []
        for channel in self.catalogue:
            codes = counts_by_code(self.channel_counts, channel)
            metrics = compute.channel_metrics(
                stage_counts=[(s.code, codes[s.code]) for s in channel.stage_list],
                activity_counts=[(a.code, codes[a.code]) for a in channel.activity_list],
                sums=self.channel_money.get(channel.pk, MoneySums()),
            )
            people = self.channel_people.get(channel.pk, 0)
            days = people * self.worked_days
            today = counts_by_code(self.counts_today, channel)

            def per_day(code: str, count: int, days=days, today=today) -> Decimal | None:
                return compute.ratio(count - today[code], days)

            main = channel.main_indicator
            names = {s.code: s.name for s in channel.stage_list}
            first = metrics.stages[0].count if metrics.stages else 0
            stages = [
                FunnelStage(
                    m.code,
                    names[m.code],
                    m.count,
                    m.conversion,
                    previous=metrics.stages[i - 1].count if i else None,
                    share_of_first=compute.ratio(m.count, first) if i else None,
                    per_day=per_day(m.code, m.count),
                    is_main=m.code == main,
                )
                for i, m in enumerate(metrics.stages)
            ]
            activities = [
                FunnelActivity(a.code, a.name, n, per_day(a.code, n), a.code == main)
                for a in channel.activity_list
                for n in [codes[a.code]]
            ]
            result.append(
                ChannelFunnel(
                    channel,
                    stages,
                    metrics.funnel_conversion,
                    metrics.money,
                    activities,
                    people,
                    self._velocity(channel),
                )
            )
        return result

    @cached_property
    def has_facts(self) -> bool:
        """Any number in the period: stages or revenue per manager, any money, any count."""
        return bool(self.pivot or self.channel_money) or any(self.channel_counts.values())

    # --- trend -------------------------------------------------------------------------
    @cached_property
    def buckets(self) -> list[Bucket]:
        gran, start, end = self.f.granularity, self.f.date_from, self.f.date_to
        result = []
        if gran == "day":
            day = start
            while day <= end:
                result.append(Bucket(day, day, date_format(day, "j M")))
                day += dt.timedelta(days=1)
        elif gran == "week":
            monday = start - dt.timedelta(days=start.weekday())
            while monday <= end:
                sunday = monday + dt.timedelta(days=6)
                first, last = max(monday, start), min(sunday, end)
                label = f"{date_format(first, 'j M')}–{date_format(last, 'j M')}"
                result.append(Bucket(first, last, label))
                monday += dt.timedelta(days=7)
        else:
            month = start.replace(day=1)
            while month <= end:
                last = compute.month_bounds(month)[1]
                result.append(Bucket(max(month, start), min(last, end), date_format(month, "M Y")))
                month = last + dt.timedelta(days=1)
        return result

    @cached_property
    def stage_choices(self) -> list[tuple[str, str]]:
        """Stage codes of the channels shown, in funnel order, each once."""
        seen: dict[str, str] = {}
        for channel in self.catalogue:
            for stage in channel.stage_list:
                seen.setdefault(stage.code, stage.name)
        return list(seen.items())

    @cached_property
    def trend(self) -> Trend:
        gran = self.f.granularity
        choices = self.stage_choices
        codes = [code for code, _name in choices]
        stage = (
            self.f.stage
            if self.f.stage in codes
            else ("invoices_issued" if "invoices_issued" in codes else (codes[0] if codes else ""))
        )
        money, counts = self.trend_money, self.trend_counts
        key_of = {b.start: i for i, b in enumerate(self.buckets)}

        def bucket_index(value: dt.date) -> int | None:
            # Week and month keys are the period's first day, which may precede the range.
            return key_of.get(max(value, self.f.date_from))

        series = []
        for channel in self.catalogue:
            revenue = [ZERO] * len(self.buckets)
            stage_counts = [0] * len(self.buckets)
            stage_ids = {s.pk for s in channel.stage_list if s.code == stage}
            for (when, channel_id), sums in money.items():
                index = bucket_index(when)
                if channel_id == channel.pk and index is not None:
                    revenue[index] += sums.revenue
            for (when, channel_id, indicator_id), value in counts.items():
                index = bucket_index(when)
                if channel_id == channel.pk and indicator_id in stage_ids and index is not None:
                    stage_counts[index] += value
            series.append(TrendSeries(channel, revenue, stage_counts))
        return Trend(gran, stage, dict(choices).get(stage, ""), self.buckets, series, choices)

    # --- charts ------------------------------------------------------------------------
    @cached_property
    def funnel_figures(self) -> list[tuple[ChannelFunnel, dict | None, str]]:
        """(funnel, figure, id of its JSON element) per channel."""
        return [
            (f, charts.funnel_figure(f, drill=self.drill_url), f"fig-funnel-{f.channel.code}")
            for f in self.funnels
        ]

    @cached_property
    def trend_figures(self) -> dict[str, dict]:
        return charts.trend_figures(self.trend, drill=self.drill_url)
