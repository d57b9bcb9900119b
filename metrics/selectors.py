"""Reads: sums grouped in the database, returned as plain dicts and dataclasses.

Ratios are never computed in SQL (integer division and NULL handling differ between
SQLite and PostgreSQL); compute.py turns these sums into metrics.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import BigIntegerField, F, Prefetch, QuerySet, Sum
from django.db.models.functions import Cast, Round, TruncMonth, TruncWeek

from channels.models import Channel
from funnel.models import (
    MONEY_CODES,
    DailyCount,
    DailyFact,
    DailyTotal,
    Indicator,
    ManagerTotal,
    MonthTotal,
)
from funnel.pivot import MONTH, STAGE_COLUMNS, cover, month_end, month_sql, week_sql
from metrics.compute import ZERO, MoneySums
from plans.models import Holiday


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
        "s_invoiced": _kopecks("invoiced_amount"),
        "s_payments": Sum("payments_count"),
        "s_revenue": _kopecks("revenue"),
        "s_costs": _kopecks("variable_costs"),
    }
    facts = facts_in(scope)
    if group_by:
        rows = list(facts.annotate(**annotations).values(*annotations).annotate(**sums).order_by())
    else:
        rows = [row for row in [facts.aggregate(**sums)] if row["s_payments"] is not None]
    return {
        _key(row, group_by): MoneySums(
            invoiced_amount=_from_kopecks(row["s_invoiced"]),
            payments_count=row["s_payments"] or 0,
            revenue=_from_kopecks(row["s_revenue"]),
            variable_costs=_from_kopecks(row["s_costs"]),
        )
        for row in rows
    }


def _kopecks(field: str) -> Sum:
    """Sum of a 2-place money column as whole kopecks, exact on both databases.

    SQLite keeps decimals as floats and sums them as floats; rounding every row to whole
    kopecks first makes the sum an exact integer there, as it already is on PostgreSQL.
    """
    return Sum(Cast(Round(F(field) * 100), BigIntegerField()))


def _from_kopecks(value) -> Decimal:
    return ZERO if value is None else cents(int(value))


def _prefixed(expression, prefix: str):
    if isinstance(expression, F):
        return F(prefix + expression.name)
    return type(expression)(prefix + expression.source_expressions[0].name)


def channel_catalogue(
    channel_ids: tuple[int, ...] | None = None, *, include_inactive: bool = False
) -> list[Channel]:
    """Active channels in display order with `stage_list` and `activity_list`. Two queries.

    `include_inactive` also lists switched-off channels (their past facts still count).
    """
    channels = Channel.objects.all() if include_inactive else Channel.objects.filter(is_active=True)
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


def company_money_by_month(*, date_from: dt.date, date_to: dt.date) -> dict[dt.date, MoneySums]:
    """Every fact of the company summed per month: {first day of month: MoneySums}. One query."""
    sums = money_sums(Scope(date_from, date_to), group_by=("month",))
    return {key[0]: value for key, value in sums.items()}


# ---- the same sums from the maintained totals (funnel.totals) ----------------------------


def _total_group(name: str) -> str:
    if name == "channel":
        return "t.channel_id"
    if name == "day":
        return "t.date"
    return week_sql("t.date") if name == "week" else month_sql("t.date")


def _sql(queryset: QuerySet) -> tuple[str, tuple]:
    return queryset.query.sql_with_params()


def _totals_rows(scope: Scope, group_by: tuple[str, ...], *, counts: bool) -> list[tuple]:
    """Rows (*group values, indicator id or money code, sum) of the scope, from the totals,
    grouped in SQL."""
    groups = [_total_group(name) for name in group_by]
    # Filters on the totals' own columns, repeated inside each branch of the source (a
    # filter with a subquery is not pushed into a UNION by PostgreSQL).
    where: list[str] = []
    params: list = []
    if scope.teams is None:
        where.append(f"team_key = {DailyTotal.ALL_TEAMS}")
    else:
        teams_sql, teams_params = _sql(scope.teams)
        where.append(f"team_key IN ({teams_sql})")
        params += teams_params
    if scope.channel_ids is not None:
        where.append(f"channel_id IN ({', '.join(['%s'] * len(scope.channel_ids))})")
        params += scope.channel_ids
    if not counts:
        where.append(f"code IN ({', '.join(['%s'] * len(MONEY_CODES))})")
        params += MONEY_CODES
    t_ind = connection.ops.quote_name(Indicator._meta.db_table)
    if counts:
        what, join = "i.id", f"JOIN {t_ind} i ON i.channel_id = t.channel_id AND i.code = t.code"
    else:
        what, join = "t.code", ""
    source, source_params = _totals_source(scope, group_by, where, params)
    select = ", ".join([*groups, what])
    sql = f"SELECT {select}, SUM(t.value) FROM {source} t {join} GROUP BY {select}"
    with connection.cursor() as cursor:
        cursor.execute(sql, source_params)
        return cursor.fetchall()


def _totals_source(
    scope: Scope, group_by: tuple[str, ...], where: list[str], params: list
) -> tuple[str, list]:
    """The totals rows to read, filtered by `where`: the range's days from DailyTotal, or —
    when no group is finer than a month — its whole months from MonthTotal and only the
    days at its ends from DailyTotal."""
    t_total = connection.ops.quote_name(DailyTotal._meta.db_table)
    columns = "team_key, date, channel_id, code, value"
    months = cover(scope.date_from, scope.date_to)[MONTH]
    days = ["date >= %s", "date <= %s", *where]
    day_params = [scope.date_from, scope.date_to, *params]
    if not months or {"day", "week"} & set(group_by):
        return f"(SELECT {columns} FROM {t_total} WHERE {' AND '.join(days)})", day_params
    t_month = connection.ops.quote_name(MonthTotal._meta.db_table)
    first, last = months[0], month_end(months[-1])
    edges = f"{' AND '.join(days)} AND (date < %s OR date > %s)"
    in_months = " AND ".join(["date >= %s", "date <= %s", *where])
    source = (
        f"(SELECT {columns} FROM {t_total} WHERE {edges} "
        f"UNION ALL SELECT {columns} FROM {t_month} WHERE {in_months})"
    )
    return source, [*day_params, first, last, first, months[-1], *params]


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
            invoiced_amount=_from_kopecks(sums["invoiced_amount"]),
            payments_count=sums["payments_count"],
            revenue=_from_kopecks(sums["revenue"]),
            variable_costs=_from_kopecks(sums["variable_costs"]),
        )
    return result


# ---- per-manager sums from the maintained pivot (funnel.pivot) ---------------------------


@dataclass(frozen=True)
class ManagerSums:
    """One manager's sums in one channel, as the leaderboard and the conversion table use
    them: stage counts by funnel position, revenue in kopecks, and the part of it from the
    month kept apart for a forecast (see `manager_pivot`)."""

    stages: tuple[int, ...]
    revenue_units: int
    earlier_units: int  # revenue of the period's months before the as-of month
    run_units: int  # revenue of the as-of month dated before the as-of day


def cents(value: int) -> Decimal:
    """Whole kopecks as money with 2 places (exact, as _from_kopecks, and cheaper)."""
    return Decimal(value).scaleb(-2)


def manager_pivot(scope: Scope, *, as_of: dt.date | None = None) -> dict[tuple, ManagerSums]:
    """Sums per manager and channel: {(manager_id, channel_id): ManagerSums}. One query.

    Read from funnel.ManagerTotal: the months, week parts and days that cover the period
    exactly (funnel.pivot.cover), so a year costs about the same as a month. Only what the
    panels use is summed: the stages and revenue; with `as_of` inside the period, also what
    a forecast needs (docs/metrics.md): the revenue of the months before the as-of month
    and that of the as-of month dated before the as-of day (the cover is cut at the as-of
    day so that no bucket straddles it). Stages beyond the sixth of a channel are not in
    the pivot (see funnel.pivot). Managers and channels with only zeros are left out.
    """
    if as_of is not None and not scope.date_from <= as_of <= scope.date_to:
        as_of = None
    if as_of is not None and as_of > scope.date_from:
        covered = cover(scope.date_from, as_of - dt.timedelta(days=1))
        for period, starts in cover(as_of, scope.date_to).items():
            covered[period] += starts
    else:
        covered = cover(scope.date_from, scope.date_to)
    filters, filter_params = [], []
    if scope.channel_ids is not None:
        filters.append(f"channel_id IN ({', '.join(['%s'] * len(scope.channel_ids))})")
        filter_params += scope.channel_ids
    if scope.managers is not None:
        managers_sql, managers_params = _sql(scope.managers.values("pk"))
        filters.append(f"manager_id IN ({managers_sql})")
        filter_params += managers_params
    if scope.teams is not None:
        teams_sql, teams_params = _sql(scope.teams)
        filters.append(f"team_key IN ({teams_sql})")
        filter_params += teams_params
    t_pivot = connection.ops.quote_name(ManagerTotal._meta.db_table)
    columns = ", ".join((*STAGE_COLUMNS, "revenue"))
    branches, params = [], []
    for period, starts in covered.items():
        if not starts:
            continue
        where = [f"period = {int(period)}", f"start IN ({', '.join(['%s'] * len(starts))})"]
        branches.append(
            f"SELECT manager_id, channel_id, start, {columns} FROM {t_pivot} "
            f"WHERE {' AND '.join(where + filters)}"
        )
        params += [*starts, *filter_params]
    earlier, run = "0", "0"
    split_params = []
    if as_of is not None:
        month = as_of.replace(day=1)
        earlier = "SUM(CASE WHEN start < %s THEN revenue ELSE 0 END)"
        run = "SUM(CASE WHEN start >= %s AND start < %s THEN revenue ELSE 0 END)"
        split_params = [month, month, as_of]
    # Integers out of PostgreSQL (its SUM of bigint is numeric, slow to turn into Python).
    sums = ", ".join(f"CAST(SUM({c}) AS BIGINT)" for c in (*STAGE_COLUMNS, "revenue"))
    sql = (
        f"SELECT manager_id, channel_id, {sums}, CAST({earlier} AS BIGINT), "
        f"CAST({run} AS BIGINT) FROM ({' UNION ALL '.join(branches)}) p "
        f"GROUP BY manager_id, channel_id"
    )
    params = [*split_params, *params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = {}
    stages = len(STAGE_COLUMNS)
    for manager_id, channel_id, *values in rows:
        if not any(values):
            continue
        result[(manager_id, channel_id)] = ManagerSums(
            tuple(values[:stages]), values[stages], values[stages + 1], values[stages + 2]
        )
    return result
