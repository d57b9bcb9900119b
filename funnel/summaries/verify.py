"""Compare the summaries with the facts (`manage.py totals_verify`): each comparison is one
statement, so one snapshot of the facts and of the summaries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import F

from funnel.summaries import fresh
from funnel.summaries.buckets import DAY, VALUE_COLUMNS
from funnel.summaries.models import DailyTotal, ManagerTotal, MonthTotal
from funnel.summaries.rebuild import facts_off_team
from funnel.summaries.units import ALL_TEAMS, total_value


def _as_date(value) -> dt.date:
    # SQLite returns dates from a UNION as ISO strings.
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def team_differences(limit: int | None = None) -> tuple[int, list[tuple]]:
    """Facts whose team is not their manager's team of that day: (number, the first `limit`
    as (date, manager_id, channel_id, stored team key, expected team key))."""
    facts = facts_off_team().values_list("date", "manager_id", "channel_id", "stored", "expected")
    found = list(facts)
    return len(found), found[:limit]


@dataclass(frozen=True)
class Difference:
    team_key: int
    date: dt.date
    channel_id: int
    code: str
    stored: Decimal | int
    fresh: Decimal | int
    level: str = "day"  # "day": DailyTotal, "month": MonthTotal (date = the month's 1st)


def _stored(model):
    return model.objects.values("team_key", "date", "channel_id", "code", "value")


def totals_differences(limit: int | None = None) -> tuple[int, list[Difference]]:
    """Compare the totals with a fresh aggregation of the facts (fresh.fresh_totals), in one
    statement. Rows missing on one side count as 0. Returns (number of differences, the
    first `limit` of them)."""
    fresh_sql, fresh_params = fresh.fresh_totals(months=True).query.sql_with_params()
    day_sql, day_params = _stored(DailyTotal).query.sql_with_params()
    month_sql, month_params = _stored(MonthTotal).query.sql_with_params()
    # Raw: the ORM cannot aggregate over a UNION ALL, nor read a CTE (the fresh sums are
    # computed once, read four times).
    sql = (
        f"WITH fresh AS ({fresh_sql}) "
        f"SELECT lvl, k, d, ch, cd, SUM(s), SUM(f) FROM ("
        f"SELECT 'day' AS lvl, team_key AS k, date AS d, channel_id AS ch, code AS cd, "
        f"value AS s, 0 AS f FROM ({day_sql}) t "
        f"UNION ALL SELECT 'day', k, d, ch, cd, 0, v FROM fresh "
        f"UNION ALL SELECT 'day', {ALL_TEAMS}, d, ch, cd, 0, v FROM fresh "
        f"UNION ALL SELECT 'month', team_key, date, channel_id, code, value, 0 "
        f"FROM ({month_sql}) t "
        f"UNION ALL SELECT 'month', k, m, ch, cd, 0, v FROM fresh "
        f"UNION ALL SELECT 'month', {ALL_TEAMS}, m, ch, cd, 0, v FROM fresh"
        f") d GROUP BY lvl, k, d, ch, cd HAVING SUM(s) <> SUM(f) "
        f"ORDER BY lvl, d, ch, k, cd"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*fresh_params, *day_params, *month_params])
        rows = cursor.fetchall()
    found = [
        Difference(
            team, _as_date(date), channel_id, code, *(total_value(code, v) for v in pair), level
        )
        for level, team, date, channel_id, code, *pair in rows[:limit]
    ]
    return len(rows), found


def pivot_differences(limit: int | None = None) -> tuple[int, list[tuple]]:
    """Rows where the pivot differs from a fresh aggregation, in one statement. Missing rows
    count as zeros. Returns (number of differing rows, the first `limit` as tuples
    (period, start, manager_id, channel_id, team_key, column, difference))."""
    names = fresh.PIVOT_VALUES
    counts, money = fresh.fresh_pivot_days(buckets=True)
    days = money if counts is None else counts.union(money, all=True)
    days_sql, days_params = days.query.sql_with_params()
    stored = ManagerTotal.objects.values(
        p=F("period"),
        st=F("start"),
        **{fresh.MANAGER: F("manager_id"), fresh.CHANNEL: F("channel_id")},
        **{fresh.TEAM: F("team_key")},
        **{n: F(c) for n, c in zip(names, VALUE_COLUMNS, strict=True)},
    )
    stored_sql, stored_params = stored.query.sql_with_params()
    keys = ", ".join(("p", "st", fresh.MANAGER, fresh.CHANNEL, fresh.TEAM))
    tail = f"{fresh.MANAGER}, {fresh.CHANNEL}, {fresh.TEAM}, {', '.join(f'-{n}' for n in names)}"
    branches = [f"SELECT {keys}, {', '.join(names)} FROM ({stored_sql}) s"]
    branches.append(f"SELECT {DAY}, st, {tail} FROM days")
    for period, alias in fresh.BUCKET_ALIASES.items():
        branches.append(f"SELECT {period}, {alias}, {tail} FROM days")
    # Raw: the ORM cannot aggregate over a UNION ALL, nor read a CTE (the fresh day rows are
    # computed once and summed into every period).
    sql = (
        f"WITH days AS ({days_sql}) "
        f"SELECT {keys}, {', '.join(f'SUM({n})' for n in names)} FROM ("
        f"{' UNION ALL '.join(branches)}) d GROUP BY {keys} "
        f"HAVING {' OR '.join(f'SUM({n}) <> 0' for n in names)} "
        f"ORDER BY st, p, {fresh.MANAGER}, {fresh.CHANNEL}, {fresh.TEAM}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*days_params, *stored_params])
        rows = cursor.fetchall()
    found = []
    for period, start, manager_id, channel_id, team, *diffs in rows:
        for column, diff in zip(VALUE_COLUMNS, diffs, strict=True):
            if diff:
                found.append(
                    (period, _as_date(start), manager_id, channel_id, team, column, int(diff))
                )
    return len(rows), found[:limit]
