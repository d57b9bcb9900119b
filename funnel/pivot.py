"""The per-manager pivot: each manager's stage counts and money, summed per bucket of time.

Why
---
The leaderboard and the "where managers lose clients" table need sums per manager and
channel. Summed from the facts, a year of 500 managers is millions of count rows. The daily
totals (funnel.totals) drop the manager dimension, so they cannot serve these panels.
`ManagerTotal` keeps one wide row per (period, start, manager, channel, team_key — the
team of the facts' days, as in the daily totals): the channel's stages by funnel position
(stage_1 … stage_6) and the money block, for four periods:

* DAY: the day itself;
* HALF_WEEK: Monday to Wednesday or Thursday to Sunday, inside one month;
* WEEK: the part of an ISO week that lies in one month (start = the Monday, or the 1st of
  the month when the week began in the month before);
* MONTH: the calendar month.

Every bucket lies inside one month, so sums split by month (a forecast's run rate) come out
of the same rows. Any date range is covered exactly by whole months, whole week and
half-week parts and at most three days at each end of each partial month (`cover`): a year
reads about 12 month rows and a dozen others per manager and channel, whatever the length
of history.

Consistency
-----------
`funnel.totals.totals_add` — which every write path reaches, `facts_write` and the model
signals alike — calls `pivot_add` with the same value changes in the same transaction. Rows
are keyed by manager, so writers of different managers never touch the same row; writers of
one manager are already serialised by the manager's row lock. A team move dated today or
later changes nothing here; one dated in the past moves the re-attributed days' values from
the old team's rows to the new one's (funnel.totals.facts_reattribute), as in the totals.
Positions follow the channel's stages ordered by
(order, id): when an admin adds, removes, reorders or re-kinds a stage, the channel's rows
are rebuilt from the facts in that transaction (`rebuild_channel`). `pivot_rebuild` and
`pivot_differences` back `totals_rebuild` and `totals_verify`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction

from funnel.models import (
    MAX_STAGES,
    MONEY_CODES,
    MONEY_DECIMAL_CODES,
    DailyCount,
    DailyFact,
    Indicator,
    ManagerTotal,
)
from funnel.rawsql import insert_rows

DAY, HALF, WEEK, MONTH = (
    ManagerTotal.Period.DAY.value,
    ManagerTotal.Period.HALF_WEEK.value,
    ManagerTotal.Period.WEEK.value,
    ManagerTotal.Period.MONTH.value,
)
STAGE_COLUMNS = tuple(f"stage_{n}" for n in range(1, MAX_STAGES + 1))
VALUE_COLUMNS = (*STAGE_COLUMNS, *MONEY_CODES)
KEY_COLUMNS = ("period", "start", "manager_id", "channel_id", "team_key")
MONEY_COLUMN = {code: len(STAGE_COLUMNS) + i for i, code in enumerate(MONEY_CODES)}


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


T_PIVOT = _q(ManagerTotal._meta.db_table)


# ---- buckets -----------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def week_start(day: dt.date) -> dt.date:
    """Start of the week part holding `day`: its Monday, or the 1st of its month."""
    return max(day - dt.timedelta(days=day.weekday()), month_start(day))


def week_end(day: dt.date) -> dt.date:
    return min(day + dt.timedelta(days=6 - day.weekday()), month_end(day))


def half_start(day: dt.date) -> dt.date:
    """Start of the half-week part holding `day`: Monday or Thursday, or the 1st of its
    month."""
    weekday = day.weekday()
    return max(day - dt.timedelta(days=weekday if weekday < 3 else weekday - 3), month_start(day))


def half_end(day: dt.date) -> dt.date:
    weekday = day.weekday()
    return min(day + dt.timedelta(days=(2 if weekday < 3 else 6) - weekday), month_end(day))


def buckets(day: dt.date) -> tuple[tuple[int, dt.date], ...]:
    """The four buckets a day's values are added to."""
    return (
        (DAY, day),
        (HALF, half_start(day)),
        (WEEK, week_start(day)),
        (MONTH, month_start(day)),
    )


def _cover_part(low: dt.date, high: dt.date, result: dict, period: int, start, end) -> None:
    """Cover [low, high] with whole parts of `period` (start/end: a part's bounds from any
    of its days), the finer periods below taking what is left at either end."""
    part = start(low)
    while part <= high:
        last = end(part)
        if low <= part and last <= high:
            result[period].append(part)
        elif period == WEEK:
            _cover_part(max(part, low), min(last, high), result, HALF, half_start, half_end)
        else:
            day = max(part, low)
            while day <= min(last, high):
                result[DAY].append(day)
                day += dt.timedelta(days=1)
        part = last + dt.timedelta(days=1)


def cover(date_from: dt.date, date_to: dt.date) -> dict[int, list[dt.date]]:
    """Buckets that cover [date_from, date_to] exactly, each day once: {period: starts}.
    At most three days at each end of each partial month are read as days."""
    result: dict[int, list[dt.date]] = {DAY: [], HALF: [], WEEK: [], MONTH: []}
    month = month_start(date_from)
    while month <= date_to:
        last = month_end(month)
        low, high = max(date_from, month), min(date_to, last)
        if (low, high) == (month, last):
            result[MONTH].append(month)
        else:
            _cover_part(low, high, result, WEEK, week_start, week_end)
        month = last + dt.timedelta(days=1)
    for starts in result.values():
        starts.sort()
    return result


# ---- incremental maintenance -------------------------------------------------------------


def stage_positions(channel_ids: Iterable[int]) -> dict[tuple[int, str], int]:
    """{(channel_id, stage code): column index 0…} by funnel order. One query."""
    positions: dict[tuple[int, str], int] = {}
    seen: dict[int, int] = defaultdict(int)
    stages = (
        Indicator.objects.filter(channel_id__in=set(channel_ids), kind=Indicator.Kind.STAGE)
        .order_by("channel_id", "order", "id")
        .values_list("channel_id", "code")
    )
    for channel_id, code in stages:
        positions[(channel_id, code)] = seen[channel_id]
        seen[channel_id] += 1
    return positions


def pivot_add(deltas: Iterable[tuple[int, dt.date, int, int, str, int]]) -> int:
    """Add value changes (team key, date, manager, channel, code, change in stored units) to
    the pivot's day, half-week, week and month rows. Activities are skipped. Returns rows
    touched."""
    deltas = [d for d in deltas if d[5]]
    if not deltas:
        return 0
    if connection.vendor == "postgresql":
        # Before reading the stage order: a channel rebuilt after a reorder (EXCLUSIVE lock,
        # below) is waited for, so its new order is what this write then reads. (Hence the
        # order is read here, not taken from the indicators facts_write read earlier.)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {T_PIVOT} IN ROW EXCLUSIVE MODE")
    channels = {d[3] for d in deltas}
    # (channel, code) → column; activities (and stages beyond the sixth, read from the facts)
    # have none.
    columns = {
        key: position
        for key, position in stage_positions(channels).items()
        if position < len(STAGE_COLUMNS)
    }
    columns |= {(c, code): column for c in channels for code, column in MONEY_COLUMN.items()}
    width = len(VALUE_COLUMNS)
    # First one vector per fact (date, manager, channel), then each vector into its four
    # buckets: an import's 100,000 values are ~10,000 facts.
    facts: dict[tuple, list[int]] = {}
    for team, date, manager_id, channel_id, code, change in deltas:
        column = columns.get((channel_id, code))
        if column is None:
            continue
        key = (date, manager_id, channel_id, team)
        values = facts.get(key)
        if values is None:
            values = facts[key] = [0] * width
        values[column] += change
    starts: dict[dt.date, tuple] = {}
    rows: dict[tuple, list[int]] = {}
    for (date, manager_id, channel_id, team), values in facts.items():
        bucket = starts.get(date)
        if bucket is None:
            bucket = starts[date] = buckets(date)
        for period, start in bucket:
            key = (period, start, manager_id, channel_id, team)
            found = rows.get(key)
            if found is None:
                rows[key] = list(values)
            else:
                rows[key] = [a + b for a, b in zip(found, values, strict=True)]
    ordered = sorted((*key, *values) for key, values in rows.items() if any(values))
    insert_rows(ManagerTotal, (*KEY_COLUMNS, *VALUE_COLUMNS), ordered, tail=_UPSERT_TAIL)
    return len(ordered)


_UPSERT_TAIL = (
    "ON CONFLICT (period, start, manager_id, channel_id, team_key) DO UPDATE SET "
    + ", ".join(f"{c} = {T_PIVOT}.{c} + excluded.{c}" for c in VALUE_COLUMNS)
)


def pivot_merge_team(team: int, into: int) -> None:
    """Add the rows of team key `team` into those of `into` and drop them (a deleted team's
    facts belong to no team)."""
    columns = ", ".join(_q(c) for c in (*KEY_COLUMNS, *VALUE_COLUMNS))
    select = ", ".join(
        str(int(into)) if c == "team_key" else _q(c) for c in (*KEY_COLUMNS, *VALUE_COLUMNS)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {T_PIVOT} ({columns}) SELECT {select} FROM {T_PIVOT} "
            f"WHERE team_key = %s ORDER BY 1, 2, 3, 4 {_UPSERT_TAIL}",
            [team],
        )
        cursor.execute(f"DELETE FROM {T_PIVOT} WHERE team_key = %s", [team])


# ---- a fresh aggregation of the facts ----------------------------------------------------


def week_sql(column: str) -> str:
    """SQL of the Monday of a date column's week (a date)."""
    if connection.vendor == "postgresql":
        return f"CAST(DATE_TRUNC('week', {column}) AS date)"
    return f"DATE({column}, '-6 days', 'weekday 1')"


def _later(first: str, second: str) -> str:
    return f"{'GREATEST' if connection.vendor == 'postgresql' else 'MAX'}({first}, {second})"


def _week_part_sql(column: str) -> str:
    """SQL of week_start(column)."""
    return _later(week_sql(column), month_sql(column))


def _half_sql(column: str) -> str:
    """SQL of half_start(column)."""
    if connection.vendor == "postgresql":
        weekday = f"(CAST(EXTRACT(ISODOW FROM {column}) AS integer) - 1)"
        back = f"(CASE WHEN {weekday} < 3 THEN {weekday} ELSE {weekday} - 3 END)"
        return _later(f"{column} - {back}", month_sql(column))
    weekday = f"((CAST(strftime('%w', {column}) AS INTEGER) + 6) % 7)"
    back = f"(CASE WHEN {weekday} < 3 THEN {weekday} ELSE {weekday} - 3 END)"
    return _later(f"DATE({column}, '-' || {back} || ' days')", month_sql(column))


def month_sql(column: str) -> str:
    """SQL of the first day of a date column's month (a date)."""
    if connection.vendor == "postgresql":
        return f"CAST(DATE_TRUNC('month', {column}) AS date)"
    return f"DATE({column}, 'start of month')"


def _fresh_days_sql(where: str = "1 = 1") -> str:
    """Day rows (start, manager_id, channel_id, team_key, *values) of the facts matching `where`
    (alias f), computed from the facts and the channels' current stage order."""
    t_fact, t_count = _q(DailyFact._meta.db_table), _q(DailyCount._meta.db_table)
    t_ind = _q(Indicator._meta.db_table)
    stage_sums = ", ".join(
        f"SUM(CASE WHEN p.n = {n} THEN c.value ELSE 0 END) AS s{n}"
        for n in range(1, len(STAGE_COLUMNS) + 1)
    )
    money = []
    for code in MONEY_CODES:
        value = f"f.{code}"
        if code in MONEY_DECIMAL_CODES:
            # ROUND first: on SQLite 0.29 * 100 is 28.999…, which CAST would truncate.
            value = f"CAST(ROUND({value} * 100) AS BIGINT)"
        money.append(value)
    stages = ", ".join(f"COALESCE(s.s{n}, 0)" for n in range(1, len(STAGE_COLUMNS) + 1))
    return (
        f"SELECT f.date AS start, f.manager_id AS manager_id, f.channel_id AS channel_id, "
        f"COALESCE(f.team_id, 0) AS team_key, {stages}, {', '.join(money)} "
        f"FROM {t_fact} f LEFT JOIN ("
        f"SELECT c.fact_id AS fact_id, {stage_sums} FROM {t_count} c JOIN ("
        f'SELECT id, ROW_NUMBER() OVER (PARTITION BY channel_id ORDER BY "order", id) AS n '
        f"FROM {t_ind} WHERE kind = 'stage') p ON p.id = c.indicator_id GROUP BY c.fact_id"
        f") s ON s.fact_id = f.id WHERE {where}"
    )


def _value_names() -> list[str]:
    return [f"v{i}" for i in range(len(VALUE_COLUMNS))]


def _fresh_sql(where: str = "1 = 1") -> str:
    """Rows (period, start, manager_id, channel_id, team_key, *values) of all four periods,
    fresh."""
    names = _value_names()
    days = f"SELECT * FROM ({_fresh_days_sql(where)}) d0"
    sums = ", ".join(f"SUM({n})" for n in names)
    columns = ", ".join(["start", "manager_id", "channel_id", "team_key", *names])
    branches = [f"SELECT {DAY} AS period, {columns} FROM days"]
    for period, expression in (
        (HALF, _half_sql("start")),
        (WEEK, _week_part_sql("start")),
        (MONTH, month_sql("start")),
    ):
        branches.append(
            f"SELECT {period}, {expression}, manager_id, channel_id, team_key, {sums} FROM days "
            f"GROUP BY {expression}, manager_id, channel_id, team_key"
        )
    return f"WITH days ({columns}) AS ({days}) SELECT * FROM ({' UNION ALL '.join(branches)}) fresh"


def _not_all_zero(names: Iterable[str]) -> str:
    return " OR ".join(f"{n} <> 0" for n in names)


def pivot_rebuild(*, channel_id: int | None = None) -> int:
    """Recompute the pivot (of one channel, or all of it) from the facts, in the caller's
    transaction; writers wait for it (PostgreSQL; SQLite writers are serial anyway).
    Returns the rows written."""
    where, params = ("f.channel_id = %s", [channel_id]) if channel_id is not None else ("1 = 1", [])
    names = _value_names()
    columns = ", ".join(_q(c) for c in (*KEY_COLUMNS, *VALUE_COLUMNS))
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {T_PIVOT} IN EXCLUSIVE MODE")
        if channel_id is None:
            cursor.execute(f"DELETE FROM {T_PIVOT}")
        else:
            cursor.execute(f"DELETE FROM {T_PIVOT} WHERE channel_id = %s", [channel_id])
        # In key order: a period's rows of every manager end up side by side on disk, which
        # is how the dashboards read them.
        cursor.execute(
            f"INSERT INTO {T_PIVOT} ({columns}) SELECT * FROM ({_fresh_sql(where)}) r "
            f"WHERE {_not_all_zero(names)} "
            f"ORDER BY period, start, manager_id, channel_id, team_key",
            params,
        )
        return cursor.rowcount


def pivot_differences(limit: int | None = None) -> tuple[int, list[tuple]]:
    """Rows where the pivot differs from a fresh aggregation, in one statement. Missing rows
    count as zeros. Returns (number of differing rows, the first `limit` as tuples
    (period, start, manager_id, channel_id, team_key, column, difference))."""
    names = _value_names()
    stored = ", ".join(f"{_q(c)} AS {n}" for c, n in zip(VALUE_COLUMNS, names, strict=True))
    key = ", ".join(KEY_COLUMNS)
    fresh = _fresh_sql()
    negated = ", ".join(f"-{n}" for n in names)
    sql = (
        f"SELECT {key}, {', '.join(f'SUM({n})' for n in names)} FROM ("
        f"SELECT {key}, {stored} FROM {T_PIVOT} UNION ALL "
        f"SELECT {key}, {negated} FROM ({fresh}) f1"
        f") d GROUP BY {key} HAVING {' OR '.join(f'SUM({n}) <> 0' for n in names)} "
        f"ORDER BY start, period, manager_id, channel_id, team_key"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    found = []
    for period, start, manager_id, channel_id, team, *diffs in rows:
        for column, diff in zip(VALUE_COLUMNS, diffs, strict=True):
            if diff:
                found.append((period, start, manager_id, channel_id, team, column, int(diff)))
    return len(rows), found[:limit]


# ---- the stage order changes (admin) -----------------------------------------------------


def stages_signatures(channel_ids: Iterable[int | None]) -> dict[int, list[int]]:
    """{channel_id: its stage ids in funnel order}: what the pivot's columns mean."""
    ids = {c for c in channel_ids if c is not None}
    result: dict[int, list[int]] = {c: [] for c in ids}
    stages = (
        Indicator.objects.filter(channel_id__in=ids, kind=Indicator.Kind.STAGE)
        .order_by("channel_id", "order", "id")
        .values_list("channel_id", "id")
    )
    for channel_id, indicator_id in stages:
        result[channel_id].append(indicator_id)
    return result


def rebuild_channels_if_reordered(before: dict[int, list[int]]) -> list[int]:
    """Rebuild the pivot rows of every channel whose stage order differs from `before`
    (a stage added, removed, moved or turned into an activity). Returns those channels."""
    after = stages_signatures(before)
    changed = sorted(c for c, stages in before.items() if after.get(c) != stages)
    for channel_id in changed:
        pivot_rebuild(channel_id=channel_id)
    return changed
