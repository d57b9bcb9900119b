"""Reads: sums grouped in the database, returned as plain dicts and dataclasses.

Ratios are never computed in SQL (integer division and NULL handling differ between
SQLite and PostgreSQL); compute.py turns these sums into metrics.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Prefetch, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek

from channels.models import Channel
from funnel.models import DailyCount, DailyFact, Indicator
from metrics.compute import ZERO, MoneySums
from metrics.models import Holiday


@dataclass(frozen=True)
class Scope:
    """Which facts: a date range (both ends included), channels and managers.

    `managers` is a queryset of users (used as a subquery, costs no query of its own);
    None means every manager.
    """

    date_from: dt.date
    date_to: dt.date
    channel_ids: tuple[int, ...] | None = None
    managers: QuerySet | None = None


GROUPS = {
    "channel": F("channel_id"),
    "manager": F("manager_id"),
    "day": F("date"),
    "week": TruncWeek("date"),
    "month": TruncMonth("date"),
}


def facts_in(scope: Scope) -> QuerySet[DailyFact]:
    facts = DailyFact.objects.filter(date__gte=scope.date_from, date__lte=scope.date_to)
    if scope.channel_ids is not None:
        facts = facts.filter(channel_id__in=scope.channel_ids)
    if scope.managers is not None:
        facts = facts.filter(manager__in=scope.managers.values("pk"))
    return facts


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _key(row: dict, group_by: tuple[str, ...]) -> tuple:
    return tuple(_as_date(row[f"g_{name}"]) for name in group_by)


def count_sums(scope: Scope, group_by: tuple[str, ...] = ("channel",)) -> dict[tuple, int]:
    """Sum of each indicator's counts: {(*group values, indicator_id): total}. One query."""
    counts = DailyCount.objects.filter(fact__in=facts_in(scope))
    annotations = {f"g_{name}": _prefixed(GROUPS[name], "fact__") for name in group_by}
    rows = (
        counts.annotate(**annotations)
        .values(*annotations, "indicator_id")
        .annotate(total=Sum("value"))
        .order_by()
    )
    return {(*_key(row, group_by), row["indicator_id"]): row["total"] or 0 for row in rows}


def money_sums(scope: Scope, group_by: tuple[str, ...] = ("channel",)) -> dict[tuple, MoneySums]:
    """The money block summed per group: {(*group values): MoneySums}. One query."""
    annotations = {f"g_{name}": GROUPS[name] for name in group_by}
    rows = (
        facts_in(scope)
        .annotate(**annotations)
        .values(*annotations)
        .annotate(
            s_invoiced=Sum("invoiced_amount"),
            s_payments=Sum("payments_count"),
            s_revenue=Sum("revenue"),
            s_costs=Sum("variable_costs"),
        )
        .order_by()
    )
    return {
        _key(row, group_by): MoneySums(
            invoiced_amount=_dec(row["s_invoiced"]),
            payments_count=row["s_payments"] or 0,
            revenue=_dec(row["s_revenue"]),
            variable_costs=_dec(row["s_costs"]),
        )
        for row in rows
    }


def _dec(value) -> Decimal:
    # SQLite may hand back sums of decimals as float-free strings or Decimals; normalise.
    return ZERO if value is None else Decimal(value).quantize(ZERO)


def _prefixed(expression, prefix: str):
    if isinstance(expression, F):
        return F(prefix + expression.name)
    return type(expression)(prefix + expression.source_expressions[0].name)


def channel_catalogue(channel_ids: tuple[int, ...] | None = None) -> list[Channel]:
    """Active channels in display order with `stage_list` and `activity_list`. Two queries."""
    channels = Channel.objects.filter(is_active=True)
    if channel_ids is not None:
        channels = channels.filter(pk__in=channel_ids)
    channels = channels.prefetch_related(
        Prefetch("indicators", queryset=Indicator.objects.order_by("order", "id"))
    )
    result = list(channels)
    for channel in result:
        indicators = list(channel.indicators.all())
        channel.stage_list = [i for i in indicators if i.kind == Indicator.Kind.STAGE]
        channel.activity_list = [i for i in indicators if i.kind == Indicator.Kind.ACTIVITY]
    return result


def counts_by_code(sums: dict[tuple, int], channel: Channel, prefix: tuple = ()) -> dict[str, int]:
    """{indicator code: total} of one channel from `count_sums` keyed by (*prefix, channel)."""
    totals: dict[str, int] = defaultdict(int)
    for indicator in (*channel.stage_list, *channel.activity_list):
        totals[indicator.code] = sums.get((*prefix, channel.pk, indicator.pk), 0)
    return dict(totals)


def working_day_overrides(date_from: dt.date, date_to: dt.date) -> dict[dt.date, bool]:
    """The admin's holiday list for a range: {date: is_working_day}. One query.

    Feed it to compute.working_days / compute.forecast: True marks a transferred working
    day on a weekend, False a holiday.
    """
    return dict(
        Holiday.objects.filter(date__gte=date_from, date__lte=date_to).values_list(
            "date", "is_working_day"
        )
    )
