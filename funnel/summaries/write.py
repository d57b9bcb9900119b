"""The increments: every change of the facts adds (new − old) to the summary rows it
belongs to, in the transaction of the change (see the package's docstring)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from operator import add

from django.db import connection, transaction

from funnel.catalogue import catalogue
from funnel.models import MONEY_CODES, DailyFact
from funnel.summaries.buckets import KEY_COLUMNS, STAGE_COLUMNS, VALUE_COLUMNS, buckets, month_start
from funnel.summaries.bulk import insert_rows
from funnel.summaries.fresh import fact_values
from funnel.summaries.models import DailyTotal, ManagerTotal, MonthTotal
from funnel.summaries.rebuild import pivot_upsert_tail
from funnel.summaries.units import ALL_TEAMS, team_key
from teams.membership import TeamCalendar, team_calendar
from teams.models import User

# (team key of the fact, date, manager_id, channel_id, code, change in stored units)
Delta = tuple[int, dt.date, int, int, str, int]
TOTAL_COLUMNS = ("team_key", "date", "channel_id", "code", "value")
MONEY_COLUMN = {code: len(STAGE_COLUMNS) + i for i, code in enumerate(MONEY_CODES)}


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _upsert_tail(model) -> str:
    # Raw: the ORM's upsert (bulk_create update_conflicts) replaces a value, it cannot add.
    return (
        "ON CONFLICT (team_key, date, channel_id, code) "
        f"DO UPDATE SET value = {_q(model._meta.db_table)}.value + excluded.value"
    )


def managers_lock(manager_ids: Iterable[int]) -> TeamCalendar:
    """Lock the managers' user rows (sorted, FOR NO KEY UPDATE) and return their calendar of
    teams (who was in which team on which day). Two queries per 900 managers.

    Holding these locks until commit serialises fact writes with team moves of the same
    managers. Managers that do not exist are missing from `calendar.known`.
    """
    ids = sorted(set(manager_ids))
    current: dict[int, int | None] = {}
    for start in range(0, len(ids), 900):  # below SQLite's default parameter limit
        chunk = ids[start : start + 900]
        if connection.vendor == "postgresql":
            # Written here: the ORM's locking query costs a cell save more to build than to run.
            with connection.cursor() as cursor:
                pk, team = _q(User._meta.pk.column), _q(User._meta.get_field("team").column)
                cursor.execute(
                    f"SELECT {pk}, {team} FROM {_q(User._meta.db_table)}"
                    f" WHERE {pk} = ANY(%s::bigint[]) ORDER BY {pk} FOR NO KEY UPDATE",
                    [chunk],
                )
                current.update(cursor.fetchall())
            continue
        rows = (
            User.objects.select_for_update(no_key=True)
            .filter(pk__in=chunk)
            .order_by("pk")
            .values_list("pk", "team_id")
        )
        current.update(rows)
    return team_calendar(current)


def totals_add(deltas: Iterable[Delta]) -> int:
    """Apply value changes of facts to both levels of totals, per day and per month, and to
    the per-manager pivot. A few queries per 20,000 rows. Each delta carries its fact's
    team key. The caller holds the managers' locks (managers_lock). Returns the number of
    rows touched."""
    deltas = list(deltas)
    summed: dict[tuple[int, dt.date, int, str], int] = defaultdict(int)
    for team, date, _manager_id, channel_id, code, change in deltas:
        if change:
            summed[(team, date, channel_id, code)] += change
            summed[(ALL_TEAMS, date, channel_id, code)] += change
    # One global order of row locks: concurrent writers never wait on each other in a cycle.
    rows = sorted((*key, change) for key, change in summed.items() if change)
    insert_rows(DailyTotal, TOTAL_COLUMNS, rows, tail=_upsert_tail(DailyTotal))
    months: dict[tuple, int] = defaultdict(int)
    for team, date, channel_id, code, change in rows:
        months[(team, month_start(date), channel_id, code)] += change
    month_rows = sorted((*key, change) for key, change in months.items() if change)
    insert_rows(MonthTotal, TOTAL_COLUMNS, month_rows, tail=_upsert_tail(MonthTotal))
    return len(rows) + len(month_rows) + pivot_add(deltas)


def pivot_add(deltas: Iterable[Delta]) -> int:
    """Add value changes to the pivot's day, half-week, week and month rows. Activities are
    skipped. Returns rows touched."""
    deltas = [d for d in deltas if d[5]]
    if not deltas:
        return 0
    if connection.vendor == "postgresql":
        # Before reading the stage order: a channel rebuilt after a reorder (EXCLUSIVE lock)
        # is waited for, so its new order is what this write then reads. (Hence the order
        # is read here, not taken from the indicators facts_write read earlier.) Raw: the
        # ORM has no LOCK TABLE.
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {_q(ManagerTotal._meta.db_table)} IN ROW EXCLUSIVE MODE")
    channels = {d[3] for d in deltas}
    # channel → code → column; activities (and stages beyond the sixth) have none.
    columns: dict[int, dict[str, int]] = {c: {} for c in channels}
    # The catalogue's token is read after the lock, so its stage order is the committed one.
    for (channel_id, code), position in catalogue().stage_positions(channels).items():
        if position < len(STAGE_COLUMNS):
            columns[channel_id][code] = position
    for by_code in columns.values():
        by_code.update(MONEY_COLUMN)
    width = len(VALUE_COLUMNS)
    # First one vector per fact (date, manager, channel), then each vector into its four
    # buckets: an import's 100,000 values are ~10,000 facts.
    facts: dict[tuple, list[int]] = {}
    for team, date, manager_id, channel_id, code, change in deltas:
        column = columns[channel_id].get(code)
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
                rows[key] = values
            else:  # a new list: `values` may be another bucket's row as well
                rows[key] = list(map(add, found, values))
    ordered = sorted((*key, *values) for key, values in rows.items() if any(values))
    insert_rows(ManagerTotal, (*KEY_COLUMNS, *VALUE_COLUMNS), ordered, tail=pivot_upsert_tail())
    return len(ordered)


# ---- moves: values from one team key (or code) to another -----------------------------------


def facts_reattribute(*, manager_id: int, since: dt.date | None = None) -> int:
    """Give the manager's facts from `since` on (all of them with None) the team of their day
    by the memberships, and move their values out of the old team's totals and pivot rows
    into the new one's. Inside the caller's transaction; returns the facts re-attributed."""
    with transaction.atomic():
        calendar = managers_lock([manager_id])
        facts = DailyFact.objects.filter(manager_id=manager_id)
        if since is not None:
            facts = facts.filter(date__gte=since)
        moves: dict[int | None, list[int]] = defaultdict(list)
        for pk, date, team_id in facts.values_list("pk", "date", "team_id").order_by("pk"):
            expected = calendar.team_on(manager_id, date)
            if expected != team_id:
                moves[expected].append(pk)
        moved = sorted(pk for pks in moves.values() for pk in pks)
        if not moved:
            return 0
        before = []
        for start in range(0, len(moved), 900):
            before += fact_values(fact_ids=moved[start : start + 900])
        for team_id, pks in moves.items():
            for start in range(0, len(pks), 900):
                DailyFact.objects.filter(pk__in=pks[start : start + 900]).update(team_id=team_id)
        after = [
            (team_key(calendar.team_on(manager_id, as_date(row[1]))), *row[1:]) for row in before
        ]
        apply_difference(before, after, lock=False)
        return len(moved)


def merge_rows(
    *, where: str, params: list, team: str = "team_key", code: str = "code", code_params=()
) -> None:
    """Add the total rows matching `where` into rows whose team key or code is replaced by
    the SQL expressions `team` / `code`, then drop the originals. Raw: an upsert that adds
    (see _upsert_tail)."""
    with connection.cursor() as cursor:
        for model in (DailyTotal, MonthTotal):
            table = _q(model._meta.db_table)
            select = (
                f"SELECT {team}, date, channel_id, {code}, value FROM {table} "
                f"WHERE {where} ORDER BY 1, 2, 3, 4"
            )
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(TOTAL_COLUMNS)}) {select} {_upsert_tail(model)}",
                [*code_params, *params],
            )
            cursor.execute(f"DELETE FROM {table} WHERE {where}", params)


def pivot_merge_team(team: int, into: int) -> None:
    """Add the pivot rows of team key `team` into those of `into` and drop them (a deleted
    team's facts belong to no team). Raw: an upsert that adds."""
    table = _q(ManagerTotal._meta.db_table)
    names = (*KEY_COLUMNS, *VALUE_COLUMNS)
    select = ", ".join(str(int(into)) if c == "team_key" else _q(c) for c in names)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(map(_q, names))}) SELECT {select} FROM {table} "
            f"WHERE team_key = %s ORDER BY 1, 2, 3, 4 {pivot_upsert_tail()}",
            [team],
        )
    ManagerTotal.objects.filter(team_key=team).delete()


def apply_difference(before: list, after: list, *, lock: bool = True) -> None:
    """Add (after − before) of fact_values rows to the summaries."""
    changes: dict[tuple, int] = defaultdict(int)
    for sign, rows in ((-1, before), (1, after)):
        for team, date, manager_id, channel_id, code, value in rows:
            changes[(team, as_date(date), manager_id, channel_id, code)] += sign * int(value)
    deltas = [(*key, change) for key, change in changes.items() if change]
    if deltas:
        if lock:
            managers_lock(d[2] for d in deltas)
        totals_add(deltas)


def as_date(value) -> dt.date:
    # SQLite returns dates from a UNION as ISO strings.
    return dt.date.fromisoformat(value) if isinstance(value, str) else value
