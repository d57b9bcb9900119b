"""Maintained totals: the daily facts summed without the manager dimension.

Why
---
A dashboard sums facts over a period. Summed from the raw facts, a year view of 500 managers
reads millions of count rows and grows with the length of history. `DailyTotal` keeps one row
per (team_key, date, channel, code), on two levels:

* team_key = ALL_TEAMS (-1): every manager. Unfiltered (director's) views read only these rows:
  a year is 365 × (stages + activities + money codes) rows, whatever the number of managers.
* team_key = the team of the facts — the team their manager was in on that day, stored on
  each fact (DailyFact.team) — or NO_TEAM (0) for days in no team: a team view reads its
  team's rows. A dedicated value rather than NULL because NULLs are distinct in unique keys,
  so an upsert would never meet the existing row.

A manager's own view reads the facts themselves (index fact_manager_date). `code` is a
stage/activity code of the channel or a money code. `value` is an integer: counts as they
are and money in hundredths, because integer sums are exact on both databases (SQLite keeps
decimals as binary floating point) and cheaper; `total_value()` turns a sum back into money.

`MonthTotal` holds the same sums per calendar month (same keys, `date` = the month's 1st),
kept by the same functions in the same statements' transactions: a year view reads its whole
months there and only the days at its ends here (metrics.selectors).

Team means the team ON THE FACT'S DAY (teams.Membership): a move dated today or later
changes no recorded row; a move dated in the past re-attributes only the facts from that day
on (`facts_reattribute`), so the closed months of other days never change.

Consistency
-----------
Every change adds (new − old) to the two rows it belongs to, in the transaction of the change:

* `facts_write` (day form, grid, import, admin, demo) computes old → new for every value and
  calls `totals_add` once with all the differences;
* direct ORM `save()`/`delete()` of a DailyFact or DailyCount (shell, admin actions) are caught
  by the signals below (queryset `update()` of facts is not: use facts_write);
* saving a User whose team changed records a membership from `user.team_since` (set by the
  admin and the people import; today otherwise); saving or deleting a Membership
  re-attributes that person's facts from the earliest day it touches (`facts_reattribute`:
  the facts' team, then the differences out of the old team's rows and into the new one's),
  inside the caller's transaction. Deleting a team merges its rows into NO_TEAM, as its
  facts' and memberships' team becomes NULL. Renaming an indicator's code renames its rows.
* `User.objects.filter(...).update(team=...)`, raw SQL and `loaddata` (raw saves) send no
  usable signals: the facts' teams and the totals then miss those changes.
  `totals_verify` reports every difference (facts whose team is not their membership's
  included) and `totals_rebuild` repairs them.

Concurrency: increments are atomic upserts (INSERT … ON CONFLICT DO UPDATE SET value =
value + excluded.value, the same SQL on SQLite ≥ 3.24 and PostgreSQL), so two transactions
changing different managers' facts of the same (date, channel, team) both land; nothing is
recomputed from a snapshot. Locks are taken in one order everywhere so that writers do not
deadlock: the managers' user rows (FOR NO KEY UPDATE, sorted; this also serialises a write
with a team move of the same manager, so a delta never lands on a team the manager just
left), then the facts, then total rows sorted by key. A rebuild locks the table against
writers (PostgreSQL; SQLite writers are serial anyway).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, NullIf
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.utils import timezone

from funnel.models import (
    MONEY_CODES,
    MONEY_DECIMAL_CODES,
    DailyCount,
    DailyFact,
    DailyTotal,
    Indicator,
    MonthTotal,
)
from funnel.pivot import (
    month_sql,
    month_start,
    pivot_add,
    pivot_merge_team,
    pivot_rebuild,
    rebuild_channels_if_reordered,
    stages_signatures,
)
from funnel.rawsql import insert_rows
from teams.membership import TeamCalendar, membership_move, team_calendar
from teams.models import Membership, Team, User

ALL_TEAMS = DailyTotal.ALL_TEAMS
NO_TEAM = DailyTotal.NO_TEAM

# (team key of the fact, date, manager_id, channel_id, code, change in stored units)
Delta = tuple[int, dt.date, int, int, str, int]


def stored_units(code: str, value: Decimal | int) -> int:
    """A fact value in the totals' integer units: money in hundredths, counts as they are."""
    if code in MONEY_DECIMAL_CODES:
        return int(Decimal(value).scaleb(2))
    return int(value)


def total_value(code: str, stored: int) -> Decimal | int:
    """A stored sum back in the facts' units: Decimal money with 2 places, counts as int."""
    if code in MONEY_DECIMAL_CODES:
        return Decimal(int(stored)).scaleb(-2)
    return int(stored)


def team_key(team_id: int | None) -> int:
    return NO_TEAM if team_id is None else team_id


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


T_TOTAL = _q(DailyTotal._meta.db_table)
T_MONTH = _q(MonthTotal._meta.db_table)
T_FACT = _q(DailyFact._meta.db_table)
T_COUNT = _q(DailyCount._meta.db_table)
T_INDICATOR = _q(Indicator._meta.db_table)


def _upsert_tail(table: str) -> str:
    return (
        f"ON CONFLICT (team_key, date, channel_id, code) "
        f"DO UPDATE SET value = {table}.value + excluded.value"
    )


def _upsert_add(table: str) -> str:
    """INSERT … {rows} … adding to existing rows, for DailyTotal or MonthTotal."""
    return (
        f"INSERT INTO {table} (team_key, date, channel_id, code, value) {{rows}} "
        f"{_upsert_tail(table)}"
    )


UPSERT_TAIL = _upsert_tail(T_TOTAL)


def _values_sql(where: str, *, money: bool = True, counts: bool = True) -> str:
    """Every non-zero value of the facts matching `where` (on alias f, or c for counts) as rows
    (team_key, date, manager_id, channel_id, code, value in stored units). `where` is repeated per
    branch: pass its parameters once per branch (see `_branches`)."""
    branches = []
    if counts:
        branches.append(
            f"SELECT COALESCE(f.team_id, {NO_TEAM}) AS team_key, f.date AS date, "
            f"f.manager_id AS manager_id, f.channel_id AS channel_id, "
            f"i.code AS code, c.value AS value FROM {T_COUNT} c "
            f"JOIN {T_FACT} f ON f.id = c.fact_id JOIN {T_INDICATOR} i ON i.id = c.indicator_id "
            f"WHERE ({where}) AND c.value <> 0"
        )
    if money:
        for code in MONEY_CODES:
            # ROUND first: on SQLite 0.29 * 100 is 28.999…, which CAST would truncate.
            value = f"f.{code}"
            if code in MONEY_DECIMAL_CODES:
                value = f"CAST(ROUND({value} * 100) AS BIGINT)"
            branches.append(
                f"SELECT COALESCE(f.team_id, {NO_TEAM}), f.date, f.manager_id, f.channel_id, "
                f"'{code}', {value} FROM {T_FACT} f "
                f"WHERE ({where}) AND f.{code} <> 0"
            )
    return " UNION ALL ".join(branches)


def _branches(*, money: bool = True, counts: bool = True) -> int:
    return (len(MONEY_CODES) if money else 0) + (1 if counts else 0)


def _fresh_team_sql() -> str:
    """Team-level sums (team_key, date, channel_id, code, value) computed afresh from the
    facts, by the team each fact carries: the truth the maintained totals must equal."""
    return (
        f"SELECT v.team_key AS team_key, v.date AS date, "
        f"v.channel_id AS channel_id, v.code AS code, SUM(v.value) AS value "
        f"FROM ({_values_sql('1 = 1')}) v "
        f"GROUP BY v.team_key, v.date, v.channel_id, v.code"
    )


# ---- incremental maintenance -------------------------------------------------------------


def managers_lock(manager_ids: Iterable[int]) -> TeamCalendar:
    """Lock the managers' user rows (sorted, FOR NO KEY UPDATE) and return their calendar of
    teams (who was in which team on which day). Two queries per 900 managers.

    Holding these locks until commit serialises fact writes with team moves of the same
    managers. Managers that do not exist are missing from `calendar.known`.
    """
    ids = sorted(set(manager_ids))
    current: dict[int, int | None] = {}
    for start in range(0, len(ids), 900):  # below SQLite's default parameter limit
        rows = (
            User.objects.select_for_update(no_key=True)
            .filter(pk__in=ids[start : start + 900])
            .order_by("pk")
            .values_list("pk", "team_id")
        )
        current.update(rows)
    return team_calendar(current)


def totals_add(deltas: Iterable[Delta]) -> int:
    """Apply value changes of facts to both levels of totals and to the per-manager pivot
    (funnel.pivot). A few queries per 20,000 rows. Each delta carries its fact's team key.
    The caller holds the managers' locks (managers_lock). Returns the number of rows touched.
    """
    deltas = list(deltas)
    summed: dict[tuple[int, dt.date, int, str], int] = defaultdict(int)
    for team, date, _manager_id, channel_id, code, change in deltas:
        if change:
            summed[(team, date, channel_id, code)] += change
            summed[(ALL_TEAMS, date, channel_id, code)] += change
    # One global order of row locks: concurrent writers never wait on each other in a cycle.
    rows = sorted((*key, change) for key, change in summed.items() if change)
    columns = ("team_key", "date", "channel_id", "code", "value")
    insert_rows(DailyTotal, columns, rows, tail=UPSERT_TAIL)
    months: dict[tuple, int] = defaultdict(int)
    for team, date, channel_id, code, change in rows:
        months[(team, month_start(date), channel_id, code)] += change
    month_rows = sorted((*key, change) for key, change in months.items() if change)
    insert_rows(MonthTotal, columns, month_rows, tail=_upsert_tail(T_MONTH))
    return len(rows) + len(month_rows) + pivot_add(deltas)


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
            ids = moved[start : start + 900]
            where = f"f.id IN ({', '.join(['%s'] * len(ids))})"
            before += _fact_values(where, ids)
        for team_id, pks in moves.items():
            for start in range(0, len(pks), 900):
                DailyFact.objects.filter(pk__in=pks[start : start + 900]).update(team_id=team_id)
        after = [
            (team_key(calendar.team_on(manager_id, _as_date(row[1]))), *row[1:]) for row in before
        ]
        _apply_difference(before, after, lock=False)
        return len(moved)


def _merge_rows(
    *, where: str, params: list, team: str = "team_key", code: str = "code", code_params=()
) -> None:
    """Add the total rows matching `where` into rows whose team key or code is replaced by
    the SQL expressions `team` / `code`, then drop the originals."""
    with connection.cursor() as cursor:
        for table in (T_TOTAL, T_MONTH):
            select = (
                f"SELECT {team}, date, channel_id, {code}, value FROM {table} "
                f"WHERE {where} ORDER BY 1, 2, 3, 4"
            )
            cursor.execute(_upsert_add(table).format(rows=select), [*code_params, *params])
            cursor.execute(f"DELETE FROM {table} WHERE {where}", params)


def _fact_values(where: str, params: list, *, money: bool = True, counts: bool = True) -> list:
    with connection.cursor() as cursor:
        cursor.execute(
            _values_sql(where, money=money, counts=counts),
            params * _branches(money=money, counts=counts),
        )
        return cursor.fetchall()


def _apply_difference(before: list, after: list, *, lock: bool = True) -> None:
    changes: dict[tuple, int] = defaultdict(int)
    for sign, rows in ((-1, before), (1, after)):
        for team, date, manager_id, channel_id, code, value in rows:
            changes[(team, _as_date(date), manager_id, channel_id, code)] += sign * int(value)
    deltas = [(*key, change) for key, change in changes.items() if change]
    if deltas:
        if lock:
            managers_lock(d[2] for d in deltas)
        totals_add(deltas)


def _as_date(value) -> dt.date:
    # SQLite returns dates from a UNION as ISO strings.
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


# ---- rebuild and verify ------------------------------------------------------------------


def _team_of_the_day() -> Coalesce:
    """The team key (NO_TEAM for none) a fact should carry by its manager's memberships:
    the latest begun by its day, else the earliest, else the manager's team."""
    memberships = Membership.objects.filter(user_id=OuterRef("manager_id"))
    on_day = memberships.filter(since__lte=OuterRef("date")).order_by("-since")
    first = memberships.order_by("since")
    current = User.objects.filter(pk=OuterRef("manager_id"))
    return Coalesce(
        Subquery(on_day.values(key=Coalesce("team_id", NO_TEAM))[:1]),
        Subquery(first.values(key=Coalesce("team_id", NO_TEAM))[:1]),
        Subquery(current.values(key=Coalesce("team_id", NO_TEAM))[:1]),
    )


def _facts_off_team():
    return (
        DailyFact.objects.annotate(expected=_team_of_the_day(), stored=Coalesce("team_id", NO_TEAM))
        .exclude(expected=F("stored"))
        .order_by("date", "manager_id", "channel_id")
    )


def team_differences(limit: int | None = None) -> tuple[int, list[tuple]]:
    """Facts whose team is not their manager's team of that day: (number, the first `limit`
    as (date, manager_id, channel_id, stored team key, expected team key))."""
    facts = _facts_off_team().values_list("date", "manager_id", "channel_id", "stored", "expected")
    found = list(facts)
    return len(found), found[:limit]


@transaction.atomic
def totals_rebuild() -> int:
    """Give every fact the team of its day, then recompute all totals and the per-manager
    pivot from the facts. Returns the number of daily total rows."""
    DailyFact.objects.filter(pk__in=list(_facts_off_team().values_list("pk", flat=True))).update(
        team_id=NullIf(_team_of_the_day(), NO_TEAM)
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Writers wait while we rebuild; readers go on reading the old rows.
            cursor.execute(f"LOCK TABLE {T_TOTAL} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {T_TOTAL}")
        columns = f"INSERT INTO {T_TOTAL} (team_key, date, channel_id, code, value)"
        # In key order, as the dashboards read them (see pivot_rebuild).
        cursor.execute(
            f"{columns} SELECT * FROM ({_fresh_team_sql()}) t WHERE value <> 0 "
            f"ORDER BY team_key, date, channel_id, code"
        )
        # The overall level from the team level: far fewer rows than the facts.
        cursor.execute(
            f"{columns} SELECT {ALL_TEAMS}, date, channel_id, code, SUM(value) FROM {T_TOTAL} "
            f"WHERE team_key <> {ALL_TEAMS} GROUP BY date, channel_id, code "
            f"HAVING SUM(value) <> 0 ORDER BY date, channel_id, code"
        )
        cursor.execute(f"SELECT COUNT(*) FROM {T_TOTAL}")
        rows = cursor.fetchone()[0]
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {T_MONTH} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {T_MONTH}")
        month = month_sql("date")
        cursor.execute(
            f"INSERT INTO {T_MONTH} (team_key, date, channel_id, code, value) "
            f"SELECT team_key, {month}, channel_id, code, SUM(value) FROM {T_TOTAL} "
            f"GROUP BY team_key, {month}, channel_id, code HAVING SUM(value) <> 0 "
            f"ORDER BY team_key, {month}, channel_id, code"
        )
    pivot_rebuild()
    return rows


@dataclass(frozen=True)
class Difference:
    team_key: int
    date: dt.date
    channel_id: int
    code: str
    stored: Decimal | int
    fresh: Decimal | int
    level: str = "day"  # "day": DailyTotal, "month": MonthTotal (date = the month's 1st)


def totals_differences(limit: int | None = None) -> tuple[int, list[Difference]]:
    """Compare the totals with a fresh aggregation of the facts, in one statement (one
    snapshot). Rows missing on one side count as 0. Returns (number of differences, the
    first `limit` of them)."""
    month = month_sql("date")
    sql = (
        f"WITH fresh AS ({_fresh_team_sql()}) "
        f"SELECT level, team_key, date, channel_id, code, SUM(stored), SUM(fresh) FROM ("
        f"SELECT 'day' AS level, team_key, date, channel_id, code, value AS stored, 0 AS fresh "
        f"FROM {T_TOTAL} "
        f"UNION ALL SELECT 'day', team_key, date, channel_id, code, 0, value FROM fresh "
        f"UNION ALL SELECT 'day', {ALL_TEAMS}, date, channel_id, code, 0, value FROM fresh "
        f"UNION ALL SELECT 'month', team_key, date, channel_id, code, value, 0 FROM {T_MONTH} "
        f"UNION ALL SELECT 'month', team_key, {month}, channel_id, code, 0, value FROM fresh "
        f"UNION ALL SELECT 'month', {ALL_TEAMS}, {month}, channel_id, code, 0, value FROM fresh"
        f") d GROUP BY level, team_key, date, channel_id, code HAVING SUM(stored) <> SUM(fresh) "
        f"ORDER BY level, date, channel_id, team_key, code"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    found = [
        Difference(
            team, _as_date(date), channel_id, code, *(total_value(code, v) for v in pair), level
        )
        for level, team, date, channel_id, code, *pair in rows[:limit]
    ]
    return len(rows), found


# ---- signals: writes that do not go through facts_write ------------------------------------


def _user_pre_save(sender, instance, raw=False, update_fields=None, using=None, **kwargs):
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"team", "team_id"} & set(update_fields):
        return
    rows = sender._default_manager.using(using).filter(pk=instance.pk)
    if transaction.get_connection(using).in_atomic_block:
        rows = rows.select_for_update(no_key=True)
    found = rows.values_list("team_id").first()
    if found is not None:
        instance._totals_old_team = found[0]


def _user_post_save(sender, instance, created=False, using=None, **kwargs):
    if "_totals_old_team" not in instance.__dict__:
        return
    old = instance.__dict__.pop("_totals_old_team")
    if created or old == instance.team_id:
        return
    since = getattr(instance, "team_since", None) or timezone.localdate()
    with transaction.atomic(using=using):
        managers_lock([instance.pk])
        membership_move(person=instance, team_id=instance.team_id, since=since, previous=old)


def _membership_pre_save(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    instance._totals_old_since = (
        sender._default_manager.filter(pk=instance.pk).values_list("since", flat=True).first()
    )


def _membership_changed(sender, instance, raw=False, **kwargs):
    """A membership saved or deleted: the person's facts from the earliest day it touches
    take the team of their day, and `User.team` mirrors the latest membership."""
    if raw:
        return
    old_since = instance.__dict__.pop("_totals_old_since", None)
    days = [d for d in (instance.since, old_since) if d is not None]
    with transaction.atomic():
        managers_lock([instance.user_id])
        memberships = list(
            Membership.objects.filter(user_id=instance.user_id).values_list("since", "team_id")
        )
        # The earliest membership also covers the days before it: when it changes, all do.
        earliest = min((since for since, _team in memberships), default=None)
        since = None if earliest is None or min(days) <= earliest else min(days)
        latest = max(memberships, default=None)
        if latest is not None:
            User.objects.filter(pk=instance.user_id).exclude(team_id=latest[1]).update(
                team_id=latest[1]
            )
        facts_reattribute(manager_id=instance.user_id, since=since)


def _team_pre_delete(sender, instance, using=None, **kwargs):
    with transaction.atomic(using=using):
        members = DailyFact.objects.filter(team_id=instance.pk).values("manager_id")
        managers_lock(User.objects.filter(pk__in=members).values_list("pk", flat=True))
        # The facts' team becomes NULL (SET_NULL), a bulk update that sends no signals.
        _merge_rows(where="team_key = %s", params=[instance.pk], team=str(NO_TEAM))
        pivot_merge_team(instance.pk, NO_TEAM)


def _indicator_pre_save(sender, instance, raw=False, using=None, **kwargs):
    if raw:
        return
    old = None
    if instance.pk is not None:
        old = (
            sender._default_manager.filter(pk=instance.pk).values_list("code", "channel_id").first()
        )
    # The pivot's columns follow the stage order: compare it after the save.
    instance._pivot_stages = stages_signatures([instance.channel_id, old and old[1]])
    if old is None:
        return
    # Totals carry the channel of the fact, not of the indicator: only the code matters.
    if old and old[0] != instance.code:
        instance._totals_old_code = old


def _indicator_post_save(sender, instance, using=None, **kwargs):
    before = instance.__dict__.pop("_pivot_stages", None)
    if before is not None:
        rebuild_channels_if_reordered(before)
    old = instance.__dict__.pop("_totals_old_code", None)
    if old is None:
        return
    old_code, old_channel = old
    with transaction.atomic(using=using):
        _merge_rows(
            where="code = %s AND channel_id = %s",
            params=[old_code, old_channel],
            code="%s",
            code_params=[instance.code],
        )


def _indicator_pre_delete(sender, instance, **kwargs):
    instance._pivot_stages = stages_signatures([instance.channel_id])


def _indicator_post_delete(sender, instance, **kwargs):
    before = instance.__dict__.pop("_pivot_stages", None)
    if before is not None:
        rebuild_channels_if_reordered(before)


def _fact_pre_save(sender, instance, raw=False, **kwargs):
    if raw:
        return
    # The team of the fact's day, whatever the caller set.
    manager = User.objects.filter(pk=instance.manager_id).values_list("team_id").first()
    if manager is not None:
        calendar = team_calendar({instance.manager_id: manager[0]})
        instance.team_id = calendar.team_on(instance.manager_id, instance.date)
    if instance.pk is not None:
        instance._totals_before = _fact_values("f.id = %s", [instance.pk])


def _fact_post_save(sender, instance, raw=False, using=None, **kwargs):
    if raw:
        return
    before = instance.__dict__.pop("_totals_before", [])
    with transaction.atomic(using=using):
        _apply_difference(before, _fact_values("f.id = %s", [instance.pk]))


def _fact_pre_delete(sender, instance, using=None, **kwargs):
    with transaction.atomic(using=using):
        _apply_difference(_fact_values("f.id = %s", [instance.pk]), [])


def _count_pre_save(sender, instance, raw=False, **kwargs):
    if not raw and instance.pk is not None:
        instance._totals_before = _fact_values("c.id = %s", [instance.pk], money=False)


def _count_post_save(sender, instance, raw=False, using=None, **kwargs):
    if raw:
        return
    before = instance.__dict__.pop("_totals_before", [])
    with transaction.atomic(using=using):
        _apply_difference(before, _fact_values("c.id = %s", [instance.pk], money=False))


def _count_pre_delete(sender, instance, origin=None, using=None, **kwargs):
    deleting_facts = isinstance(origin, DailyFact) or (
        isinstance(origin, QuerySet) and origin.model is DailyFact
    )
    if deleting_facts:
        return  # the fact's own pre_delete took its counts off
    with transaction.atomic(using=using):
        _apply_difference(_fact_values("c.id = %s", [instance.pk], money=False), [])


def connect_signals() -> None:
    pre_save.connect(_user_pre_save, sender=User, dispatch_uid="totals_user_pre")
    post_save.connect(_user_post_save, sender=User, dispatch_uid="totals_user_post")
    pre_delete.connect(_team_pre_delete, sender=Team, dispatch_uid="totals_team_delete")
    pre_save.connect(_membership_pre_save, sender=Membership, dispatch_uid="totals_member_pre")
    post_save.connect(_membership_changed, sender=Membership, dispatch_uid="totals_member_post")
    post_delete.connect(_membership_changed, sender=Membership, dispatch_uid="totals_member_del")
    pre_save.connect(_indicator_pre_save, sender=Indicator, dispatch_uid="totals_ind_pre")
    post_save.connect(_indicator_post_save, sender=Indicator, dispatch_uid="totals_ind_post")
    pre_delete.connect(_indicator_pre_delete, sender=Indicator, dispatch_uid="totals_ind_pre_del")
    post_delete.connect(_indicator_post_delete, sender=Indicator, dispatch_uid="totals_ind_del")
    pre_save.connect(_fact_pre_save, sender=DailyFact, dispatch_uid="totals_fact_pre")
    post_save.connect(_fact_post_save, sender=DailyFact, dispatch_uid="totals_fact_post")
    pre_delete.connect(_fact_pre_delete, sender=DailyFact, dispatch_uid="totals_fact_delete")
    pre_save.connect(_count_pre_save, sender=DailyCount, dispatch_uid="totals_count_pre")
    post_save.connect(_count_post_save, sender=DailyCount, dispatch_uid="totals_count_post")
    pre_delete.connect(_count_pre_delete, sender=DailyCount, dispatch_uid="totals_count_delete")
