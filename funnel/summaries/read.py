"""Reading the summaries: the sums metrics.selectors turns into its results. Each function is
one query: the rows to read as querysets, summed by one aggregate over their UNION ALL
(raw: the ORM cannot aggregate over a union). Filters stay inside each branch (PostgreSQL
does not push a filter with a subquery into a UNION)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import connection
from django.db.models import DateField, F, Q, QuerySet
from django.db.models.functions import Cast, TruncWeek

from funnel.models import MONEY_CODES, Indicator
from funnel.summaries.buckets import MONTH, STAGE_COLUMNS, cover, month_end, month_of
from funnel.summaries.models import DailyTotal, ManagerTotal, MonthTotal
from funnel.summaries.units import ALL_TEAMS

GROUPS = {
    "channel": lambda: F("channel_id"),
    "day": lambda: F("date"),
    "week": lambda: Cast(TruncWeek("date", output_field=DateField()), DateField()),
    "month": lambda: month_of("date"),
}


def _branch(rows: QuerySet, group_by: Sequence[str]) -> tuple[str, tuple]:
    columns = {f"g_{name}": GROUPS[name]() for name in group_by}
    columns |= {"ch": F("channel_id"), "cd": F("code"), "v": F("value")}
    return rows.values(**columns).order_by().query.sql_with_params()


def totals_rows(
    *,
    date_from: dt.date,
    date_to: dt.date,
    group_by: Sequence[str],
    counts: bool,
    channel_ids: Sequence[int] | None = None,
    teams: QuerySet | None = None,
) -> list[tuple]:
    """Rows (*group values, indicator id — or money code without `counts` —, sum) of the
    totals in [date_from, date_to] (of the teams `teams`, a queryset of team pks; of all
    teams with None), grouped by `group_by` (channel, day, week, month). One query: the
    range's days from DailyTotal, or — when no group is finer than a month — its whole
    months from MonthTotal and only the days at its ends from DailyTotal."""
    where = Q(team_key=ALL_TEAMS) if teams is None else Q(team_key__in=teams)
    if channel_ids is not None:
        where &= Q(channel_id__in=channel_ids)
    if not counts:
        where &= Q(code__in=MONEY_CODES)
    days = DailyTotal.objects.filter(where, date__gte=date_from, date__lte=date_to)
    months = cover(date_from, date_to)[MONTH]
    if months and not {"day", "week"} & set(group_by):
        first, last = months[0], month_end(months[-1])
        branches = [
            _branch(days.filter(Q(date__lt=first) | Q(date__gt=last)), group_by),
            _branch(
                MonthTotal.objects.filter(where, date__gte=first, date__lte=months[-1]), group_by
            ),
        ]
    else:
        branches = [_branch(days, group_by)]
    groups = [f"t.g_{name}" for name in group_by]
    if counts:
        t_ind = connection.ops.quote_name(Indicator._meta.db_table)
        what, join = "i.id", f"JOIN {t_ind} i ON i.channel_id = t.ch AND i.code = t.cd"
    else:
        what, join = "t.cd", ""
    select = ", ".join([*groups, what])
    union = " UNION ALL ".join(sql for sql, _params in branches)
    sql = f"SELECT {select}, SUM(t.v) FROM ({union}) t {join} GROUP BY {select}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [p for _sql, params in branches for p in params])
        return cursor.fetchall()


def pivot_rows(
    *,
    date_from: dt.date,
    date_to: dt.date,
    as_of: dt.date | None = None,
    channel_ids: Sequence[int] | None = None,
    managers: QuerySet | None = None,
    teams: QuerySet | None = None,
) -> list[tuple]:
    """Rows (manager_id, channel_id, stage_1 … stage_6, revenue, earlier, run) of the
    per-manager pivot over [date_from, date_to]: the months, week parts and days that cover
    it exactly (buckets.cover), so a year costs about the same as a month. With `as_of`
    inside the range (after its first day), the cover is cut at the as-of day, `earlier` is
    the revenue of the months before the as-of month and `run` that of the as-of month
    dated before the as-of day; else both are 0. One query."""
    if as_of is not None and not date_from < as_of <= date_to:
        as_of = None
    if as_of is not None:
        covered = cover(date_from, as_of - dt.timedelta(days=1))
        for period, starts in cover(as_of, date_to).items():
            covered[period] += starts
    else:
        covered = cover(date_from, date_to)
    rows = ManagerTotal.objects.all()
    if channel_ids is not None:
        rows = rows.filter(channel_id__in=channel_ids)
    if managers is not None:
        rows = rows.filter(manager_id__in=managers.values("pk"))
    if teams is not None:
        rows = rows.filter(team_key__in=teams)
    columns = (*STAGE_COLUMNS, "revenue")
    branches = [
        rows.filter(period=period, start__in=starts)
        .values("manager_id", "channel_id", "start", *columns)
        .order_by()
        .query.sql_with_params()
        for period, starts in covered.items()
        if starts
    ]
    earlier, run = "0", "0"
    split_params: list = []
    if as_of is not None:
        month = as_of.replace(day=1)
        earlier = "SUM(CASE WHEN start < %s THEN revenue ELSE 0 END)"
        run = "SUM(CASE WHEN start >= %s AND start < %s THEN revenue ELSE 0 END)"
        split_params = [month, month, as_of]
    # Integers out of PostgreSQL (its SUM of bigint is numeric, slow to turn into Python).
    sums = ", ".join(f"CAST(SUM({c}) AS BIGINT)" for c in columns)
    union = " UNION ALL ".join(sql for sql, _params in branches)
    sql = (
        f"SELECT manager_id, channel_id, {sums}, CAST({earlier} AS BIGINT), "
        f"CAST({run} AS BIGINT) FROM ({union}) p GROUP BY manager_id, channel_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*split_params, *(p for _sql, params in branches for p in params)])
        return cursor.fetchall()
