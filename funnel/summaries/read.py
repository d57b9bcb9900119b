"""Reading the summaries: the sums metrics.selectors turns into its results, one query each.

Raw SQL text on purpose: these run several times per dashboard page, and building and
compiling the same statements as querysets cost 0.5–2 ms each in Python (measured on the
bench's S database: the page p50s rose by 10–15 %). What comes from the ORM is compiled
once: the bucket expressions (TruncWeek, TruncMonth, cached per database vendor) — and per
call only the scope's subqueries (teams, managers). Each statement is an aggregate over a
UNION ALL of branches (the ORM cannot aggregate over a union), with the filters inside
each branch (PostgreSQL does not push a filter with a subquery into a UNION).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache

from django.db import connection
from django.db.models import DateField, F, QuerySet
from django.db.models.functions import Cast, TruncWeek

from funnel.models import MONEY_CODES, Indicator
from funnel.summaries.buckets import MONTH, STAGE_COLUMNS, cover, month_end, month_of
from funnel.summaries.models import DailyTotal, ManagerTotal, MonthTotal
from funnel.summaries.units import ALL_TEAMS


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


@cache
def _group_sql(name: str, vendor: str) -> tuple[str, tuple]:
    """A group's expression over the totals' `date` column, compiled by the ORM once."""
    expression = {
        "channel": F("channel_id"),
        "day": F("date"),
        "week": Cast(TruncWeek("date", output_field=DateField()), DateField()),
        "month": month_of("date"),
    }[name]
    query = DailyTotal.objects.all().query
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.compile(expression.resolve_expression(query))
    # The branches select from both total tables: refer to the column unqualified.
    return sql.replace(f"{_q(DailyTotal._meta.db_table)}.", ""), tuple(params)


def _sql(queryset: QuerySet) -> tuple[str, tuple]:
    return queryset.query.sql_with_params()


def _in(values: Sequence) -> str:
    return f"IN ({', '.join(['%s'] * len(values))})"


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
    teams with None), grouped by `group_by` (channel, day, week, month): the range's days
    from DailyTotal, or — when no group is finer than a month — its whole months from
    MonthTotal and only the days at its ends from DailyTotal."""
    where: list[str] = []
    params: list = []
    if teams is None:
        where.append(f"team_key = {ALL_TEAMS}")
    else:
        teams_sql, teams_params = _sql(teams)
        where.append(f"team_key IN ({teams_sql})")
        params += teams_params
    if channel_ids is not None:
        where.append(f"channel_id {_in(channel_ids)}")
        params += channel_ids
    if not counts:
        where.append(f"code {_in(MONEY_CODES)}")
        params += MONEY_CODES
    groups = [_group_sql(name, connection.vendor) for name in group_by]
    columns = ", ".join(
        [*(f"{sql} AS g{i}" for i, (sql, _p) in enumerate(groups)), "channel_id, code, value"]
    )
    group_params = [p for _sql_, group in groups for p in group]
    t_total = _q(DailyTotal._meta.db_table)
    days = ["date >= %s", "date <= %s", *where]
    day_params = [*group_params, date_from, date_to, *params]
    months = cover(date_from, date_to)[MONTH]
    if not months or {"day", "week"} & set(group_by):
        source = f"SELECT {columns} FROM {t_total} WHERE {' AND '.join(days)}"
        source_params = day_params
    else:
        first, last = months[0], month_end(months[-1])
        in_months = " AND ".join(["date >= %s", "date <= %s", *where])
        source = (
            f"SELECT {columns} FROM {t_total} WHERE {' AND '.join(days)} "
            f"AND (date < %s OR date > %s) UNION ALL "
            f"SELECT {columns} FROM {_q(MonthTotal._meta.db_table)} WHERE {in_months}"
        )
        source_params = [*day_params, first, last, *group_params, first, months[-1], *params]
    if counts:
        t_ind = _q(Indicator._meta.db_table)
        what, join = "i.id", f"JOIN {t_ind} i ON i.channel_id = t.channel_id AND i.code = t.code"
    else:
        what, join = "t.code", ""
    select = ", ".join([*(f"t.g{i}" for i in range(len(groups))), what])
    sql = f"SELECT {select}, SUM(t.value) FROM ({source}) t {join} GROUP BY {select}"
    with connection.cursor() as cursor:
        cursor.execute(sql, source_params)
        return cursor.fetchall()


# The money block of the pivot beyond revenue, in the order pivot_rows returns it.
PIVOT_MONEY = ("invoiced_amount", "payments_count", "variable_costs")


def pivot_rows(
    *,
    date_from: dt.date,
    date_to: dt.date,
    as_of: dt.date | None = None,
    channel_ids: Sequence[int] | None = None,
    managers: QuerySet | None = None,
    teams: QuerySet | None = None,
) -> list[tuple]:
    """Rows (manager_id, channel_id, stage_1 … stage_6, revenue, earlier, run, invoiced,
    payments, costs) of the
    per-manager pivot over [date_from, date_to]: the months, week parts and days that cover
    it exactly (buckets.cover), so a year costs about the same as a month. With `as_of`
    inside the range (after its first day), the cover is cut at the as-of day, `earlier` is
    the revenue of the months before the as-of month and `run` that of the as-of month
    dated before the as-of day; else both are 0. Money is in hundredths."""
    if as_of is not None and not date_from < as_of <= date_to:
        as_of = None
    if as_of is not None:
        covered = cover(date_from, as_of - dt.timedelta(days=1))
        for period, starts in cover(as_of, date_to).items():
            covered[period] += starts
    else:
        covered = cover(date_from, date_to)
    filters, filter_params = [], []
    if channel_ids is not None:
        filters.append(f"channel_id {_in(channel_ids)}")
        filter_params += channel_ids
    if managers is not None:
        managers_sql, managers_params = _sql(managers.values("pk"))
        filters.append(f"manager_id IN ({managers_sql})")
        filter_params += managers_params
    if teams is not None:
        teams_sql, teams_params = _sql(teams)
        filters.append(f"team_key IN ({teams_sql})")
        filter_params += teams_params
    t_pivot = _q(ManagerTotal._meta.db_table)
    columns = ", ".join((*STAGE_COLUMNS, "revenue", *PIVOT_MONEY))
    branches, params = [], []
    for period, starts in covered.items():
        if not starts:
            continue
        where = [f"period = {int(period)}", f"start {_in(starts)}"]
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
    money = ", ".join(f"CAST(SUM({c}) AS BIGINT)" for c in PIVOT_MONEY)
    sql = (
        f"SELECT manager_id, channel_id, {sums}, CAST({earlier} AS BIGINT), "
        f"CAST({run} AS BIGINT), {money} FROM ({' UNION ALL '.join(branches)}) p "
        f"GROUP BY manager_id, channel_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*split_params, *params])
        return cursor.fetchall()
