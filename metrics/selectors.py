"""Reads: sums grouped in the database, returned as plain dicts and dataclasses.

Ratios are never computed in SQL (integer division and NULL handling differ between
SQLite and PostgreSQL); compute.py turns these sums into metrics.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, F, Min, OuterRef, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek

from channels.models import Channel
from funnel.catalogue import catalogue
from funnel.models import MONEY_CODES, DailyCount, DailyFact, Indicator
from funnel.summaries.buckets import STAGE_COLUMNS
from funnel.summaries.read import pivot_rows, totals_rows
from funnel.summaries.units import cents, kopecks
from metrics.compute import ZERO, MoneySums
from plans.models import Holiday
from teams.membership import with_first_team_day
from teams.models import User


@dataclass(frozen=True)
class Scope:
    """Which facts: a date range (both ends included), channels, managers and teams.

    `managers` is a queryset of users (used as a subquery, costs no query of its own);
    None means every manager. `teams` is a queryset of team pks, or None: only the facts of
    days on which their manager was in one of these teams (each fact carries its team of
    the day). Both may be given: a manager's days in a head's teams.
    """

    date_from: dt.date
    date_to: dt.date
    channel_ids: tuple[int, ...] | None = None
    managers: QuerySet | None = None
    teams: QuerySet | None = None

    @property
    def totals_apply(self) -> bool:
        """Whether sums without the manager dimension may read funnel.DailyTotal: every
        manager's facts, of all teams (team_key ALL_TEAMS) or of some (their team keys)."""
        return self.managers is None

    def with_dates(self, date_from: dt.date, date_to: dt.date) -> Scope:
        return Scope(date_from, date_to, self.channel_ids, self.managers, self.teams)


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
    if scope.teams is not None:
        facts = facts.filter(team__in=scope.teams)
    return facts


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _key(row: dict, group_by: tuple[str, ...]) -> tuple:
    return tuple(_as_date(row[f"g_{name}"]) for name in group_by)


def count_sums(scope: Scope, group_by: tuple[str, ...] = ("channel",)) -> dict[tuple, int]:
    """Sum of each indicator's counts: {(*group values, indicator_id): total}. One query.

    Without the manager dimension and with a scope the totals cover, read the maintained
    totals (a year of the whole company is a few thousand rows instead of millions); groups
    that sum to zero are then absent, which every caller reads as 0.
    """
    if "manager" not in group_by and scope.totals_apply:
        return _count_totals(scope, group_by)
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
    """The money block summed per group: {(*group values): MoneySums}. One query.

    With `group_by=()` the whole scope is one group, keyed by `()` (absent when no facts).
    Read from the maintained totals when the scope allows (see `count_sums`): a group is
    then present when one of its money sums is not zero.
    """
    if "manager" not in group_by and scope.totals_apply:
        return _money_totals(scope, group_by)
    annotations = {f"g_{name}": GROUPS[name] for name in group_by}
    sums = {
        "s_invoiced": kopeck_sum("invoiced_amount"),
        "s_payments": Sum("payments_count"),
        "s_revenue": kopeck_sum("revenue"),
        "s_costs": kopeck_sum("variable_costs"),
    }
    facts = facts_in(scope)
    if group_by:
        rows = list(facts.annotate(**annotations).values(*annotations).annotate(**sums).order_by())
    else:
        rows = [row for row in [facts.aggregate(**sums)] if row["s_payments"] is not None]
    return {
        _key(row, group_by): MoneySums(
            invoiced_amount=from_kopecks(row["s_invoiced"]),
            payments_count=row["s_payments"] or 0,
            revenue=from_kopecks(row["s_revenue"]),
            variable_costs=from_kopecks(row["s_costs"]),
        )
        for row in rows
    }


def kopeck_sum(field: str) -> Sum:
    """Sum of a 2-place money column as whole kopecks (funnel.summaries.units.kopecks), an
    exact integer on both databases (SQLite would sum the decimals as floats)."""
    return Sum(kopecks(field))


def from_kopecks(value) -> Decimal:
    return ZERO if value is None else cents(int(value))


def _prefixed(expression, prefix: str):
    if isinstance(expression, F):
        return F(prefix + expression.name)
    return type(expression)(prefix + expression.source_expressions[0].name)


def channel_catalogue(
    channel_ids: tuple[int, ...] | None = None, *, include_inactive: bool = False
) -> list[Channel]:
    """Active channels in display order with `stage_list` and `activity_list` (each in
    (order, id) order), read from the process's catalogue (funnel.catalogue): one query while
    it holds.

    `include_inactive` also lists switched-off channels (their past facts still count). Each
    channel and indicator is the caller's own copy (an indicator's `channel` is its copy), so
    nothing a request sets on them reaches the process's snapshot.
    """
    known = catalogue()
    wanted = None if channel_ids is None else set(channel_ids)
    result = []
    for shared in known.channels.values():  # in display order
        if not (include_inactive or shared.is_active) or (
            wanted is not None and shared.pk not in wanted
        ):
            continue
        channel = copy.copy(shared)
        channel.stage_list, channel.activity_list = [], []
        for indicator in known.indicators.get(channel.pk, ()):
            indicator = copy.copy(indicator)
            indicator.channel = channel
            if indicator.kind == Indicator.Kind.STAGE:
                channel.stage_list.append(indicator)
            else:
                channel.activity_list.append(indicator)
        result.append(channel)
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


# ---- the same sums from the maintained totals (funnel.summaries) ---------------------------


def _totals_rows(scope: Scope, group_by: tuple[str, ...], *, counts: bool) -> list[tuple]:
    return totals_rows(
        date_from=scope.date_from,
        date_to=scope.date_to,
        group_by=group_by,
        counts=counts,
        channel_ids=scope.channel_ids,
        teams=scope.teams,
    )


def _key_value(value):
    # SQLite returns dates of expressions as ISO strings.
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _count_totals(scope: Scope, group_by: tuple[str, ...]) -> dict[tuple, int]:
    result: dict[tuple, int] = defaultdict(int)
    for *groups, indicator_id, value in _totals_rows(scope, group_by, counts=True):
        result[(*map(_key_value, groups), indicator_id)] += int(value)
    return {key: value for key, value in result.items() if value}


def _money_totals(scope: Scope, group_by: tuple[str, ...]) -> dict[tuple, MoneySums]:
    values: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for *groups, code, value in _totals_rows(scope, group_by, counts=False):
        values[tuple(map(_key_value, groups))][code] += int(value)
    result = {}
    for key, sums in values.items():
        if not any(sums.values()):
            continue
        result[key] = MoneySums(
            invoiced_amount=from_kopecks(sums["invoiced_amount"]),
            payments_count=sums["payments_count"],
            revenue=from_kopecks(sums["revenue"]),
            variable_costs=from_kopecks(sums["variable_costs"]),
        )
    return result


# ---- per-manager sums from the maintained pivot (funnel.summaries) ----------------------


@dataclass(frozen=True)
class ManagerSums:
    """One manager's sums in one channel, as the leaderboard and the conversion table use
    them: stage counts by funnel position, revenue in kopecks, and the part of it from the
    month kept apart for a forecast (see `manager_pivot`)."""

    stages: tuple[int, ...]
    revenue_units: int
    earlier_units: int  # revenue of the period's months before the as-of month
    run_units: int  # revenue of the as-of month dated before the as-of day
    invoiced_units: int = 0
    payments: int = 0
    costs_units: int = 0

    @property
    def money(self) -> MoneySums:
        """The money block, as the channel's sums are kept."""
        return money_of_units(
            self.invoiced_units, self.payments, self.revenue_units, self.costs_units
        )


def money_of_units(invoiced: int, payments: int, revenue: int, costs: int) -> MoneySums:
    """A money block from its sums in the summaries' units (money in whole kopecks): the
    sum of many blocks, summed as integers first, is the same as theirs."""
    return MoneySums(
        invoiced_amount=cents(invoiced),
        payments_count=payments,
        revenue=cents(revenue),
        variable_costs=cents(costs),
    )


def manager_pivot(scope: Scope, *, as_of: dt.date | None = None) -> dict[tuple, ManagerSums]:
    """Sums per manager and channel: {(manager_id, channel_id): ManagerSums}. One query.

    Read from funnel.ManagerTotal: the months, week parts and days that cover the period
    exactly (funnel.summaries.buckets.cover), so a year costs about the same as a month. Only
    what the panels use is summed: the stages and the money block; with `as_of` inside the
    period, also what a forecast needs (docs/metrics.md): the revenue of the months before
    the as-of month and that of the as-of month dated before the as-of day (the cover is
    cut at the as-of day so that no bucket straddles it). Stages beyond the sixth of a
    channel are not in the pivot (see funnel.summaries). Managers and channels with only
    zeros are left out.
    """
    rows = pivot_rows(
        date_from=scope.date_from,
        date_to=scope.date_to,
        as_of=as_of,
        channel_ids=scope.channel_ids,
        managers=scope.managers,
        teams=scope.teams,
    )
    result = {}
    stages = len(STAGE_COLUMNS)
    for manager_id, channel_id, *values in rows:
        if not any(values):
            continue
        result[(manager_id, channel_id)] = ManagerSums(tuple(values[:stages]), *values[stages:])
    return result


# ---- who reported, and the facts behind a number -----------------------------------------


def people_with_reports(
    people: QuerySet[User], *, day: dt.date, channel_id: int | None = None
) -> list[User]:
    """The people, by name, with only what boards show, each with `has_reported` (a fact
    dated `day`; of the channel, given one) and `reports` (works in that channel, or in
    any). One query."""
    reported = DailyFact.objects.filter(manager=OuterRef("pk"), date=day)
    works = User.channels.through.objects.filter(user=OuterRef("pk"))
    if channel_id is not None:
        reported = reported.filter(channel_id=channel_id)
        works = works.filter(channel_id=channel_id)
    return list(
        with_first_team_day(
            people.only(
                "username", "full_name", "role", "is_active", "team_id", "date_joined", "left_on"
            )
        )
        .annotate(has_reported=Exists(reported), reports=Exists(works))
        .order_by("full_name", "username")
    )


def first_entered(
    manager_ids: list[int], *, date_from: dt.date, date_to: dt.date, channel_id: int | None
) -> dict[tuple[int, dt.date], dt.datetime]:
    """When each manager's report of each day was first entered: {(manager_id, date): the
    earliest creation of the day's facts (of the channel, given one)}. One query."""
    facts = DailyFact.objects.filter(
        manager__in=manager_ids, date__gte=date_from, date__lte=date_to
    )
    if channel_id is not None:
        facts = facts.filter(channel_id=channel_id)
    rows = facts.values("manager_id", "date").annotate(first=Min("created_at")).order_by()
    return {(row["manager_id"], row["date"]): row["first"] for row in rows}


def fact_values(scope: Scope, code: str) -> list[tuple[dt.date, User, Channel, Decimal | int]]:
    """The non-zero daily values of one money code or stage/activity code in the scope:
    [(date, manager, channel, value)], newest first, then by name and channel. One query."""
    facts = facts_in(scope)
    if code in MONEY_CODES:
        rows = facts.select_related("manager", "channel").order_by(
            "-date", "manager__full_name", "manager__username", "channel__display_order"
        )
        return [(f.date, f.manager, f.channel, getattr(f, code)) for f in rows if getattr(f, code)]
    counts = (
        DailyCount.objects.filter(fact__in=facts, indicator__code=code, value__gt=0)
        .select_related("fact__manager", "fact__channel")
        .order_by(
            "-fact__date",
            "fact__manager__full_name",
            "fact__manager__username",
            "fact__channel__display_order",
        )
    )
    return [(c.fact.date, c.fact.manager, c.fact.channel, c.value) for c in counts]
