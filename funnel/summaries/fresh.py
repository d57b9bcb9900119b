"""The facts aggregated afresh, as querysets: what the increments add (a fact's values),
what a rebuild inserts and what a verification compares the summaries with.

Every money value goes through `units.kopecks`, every bucket start through
`buckets.start_of`; the statements that combine these querysets (INSERT … SELECT, an
aggregate over a UNION ALL) are in rebuild.py and verify.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db import connection
from django.db.models import Case, CharField, F, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from funnel.models import MONEY_CODES, MONEY_DECIMAL_CODES, DailyCount, DailyFact, Indicator
from funnel.summaries.buckets import (
    DAY,
    HALF,
    MONTH,
    STAGE_COLUMNS,
    VALUE_COLUMNS,
    WEEK,
    month_of,
    start_of,
)
from funnel.summaries.models import ManagerTotal
from funnel.summaries.units import NO_TEAM, kopecks

# Aliases of the querysets' columns (an alias may not be a field of the model).
TEAM, DATE, MANAGER, CHANNEL, CODE, VALUE = "k", "d", "mg", "ch", "cd", "v"
PIVOT_VALUES = tuple(f"v{i}" for i in range(len(STAGE_COLUMNS) + len(MONEY_CODES)))
# The bucket starts of a day row, in fresh_pivot_days(buckets=True).
BUCKET_ALIASES = {HALF: "h", WEEK: "w", MONTH: "m"}


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _money(code: str, prefix: str = ""):
    """A money column in stored units: kopecks, or the payments count as it is."""
    return kopecks(prefix + code) if code in MONEY_DECIMAL_CODES else F(prefix + code)


def _fact_keys(prefix: str, *, manager: bool = True) -> dict:
    keys = {TEAM: Coalesce(f"{prefix}team_id", NO_TEAM), DATE: F(f"{prefix}date")}
    if manager:
        keys[MANAGER] = F(f"{prefix}manager_id")
    keys[CHANNEL] = F(f"{prefix}channel_id")
    return keys


# ---- the values of some facts (increments of the signals and of team moves) --------------


def fact_values(*, fact_ids: Sequence[int] = (), count_id: int | None = None) -> list[tuple]:
    """Every non-zero value of the facts `fact_ids` (or of the one count `count_id`) as rows
    (team key, date, manager_id, channel_id, code, value in stored units). One query."""
    counts = DailyCount.objects.filter(
        **({"pk": count_id} if count_id is not None else {"fact_id__in": fact_ids})
    )
    branches = [
        counts.exclude(value=0).values_list(
            *_fact_keys("fact__").values(), F("indicator__code"), F("value")
        )
    ]
    if count_id is None:
        facts = DailyFact.objects.filter(pk__in=fact_ids)
        for code in MONEY_CODES:
            branches.append(
                facts.exclude(**{code: 0}).values_list(
                    *_fact_keys("").values(), Value(code, CharField()), _money(code)
                )
            )
    first, *rest = (branch.order_by() for branch in branches)
    return list(first.union(*rest, all=True)) if rest else list(first)


# ---- the totals (DailyTotal, MonthTotal) ---------------------------------------------------


def fresh_totals(*, months: bool = False) -> QuerySet:
    """The team-level day sums of all facts, by the team each fact carries: rows (team key,
    date, channel_id, code, value), with `months` also the month of the date after the date.
    Zero sums are left out. One UNION ALL of grouped querysets (a count branch and one per
    money code)."""

    def keys(prefix: str) -> dict:
        found = _fact_keys(prefix, manager=False)
        if months:
            found = {TEAM: found[TEAM], DATE: found[DATE], "m": month_of(f"{prefix}date")}
            found[CHANNEL] = F(f"{prefix}channel_id")
        return found

    branches = [
        DailyCount.objects.values(**keys("fact__"), **{CODE: F("indicator__code")})
        .annotate(**{VALUE: Sum("value")})
        .exclude(**{VALUE: 0})
    ]
    for code in MONEY_CODES:
        branches.append(
            DailyFact.objects.values(**keys(""), **{CODE: Value(code, CharField())})
            .annotate(**{VALUE: Sum(_money(code))})
            .exclude(**{VALUE: 0})
        )
    first, *rest = (branch.order_by() for branch in branches)
    return first.union(*rest, all=True)


# ---- the per-manager pivot (ManagerTotal) --------------------------------------------------


def _stage_ids(channel_id: int | None) -> list[list[int]]:
    """The stage ids at each pivot column (1st, 2nd, … stage of every channel). One query."""
    by_position: list[list[int]] = [[] for _ in STAGE_COLUMNS]
    seen: dict[int, int] = defaultdict(int)
    stages = Indicator.objects.filter(kind=Indicator.Kind.STAGE)
    if channel_id is not None:
        stages = stages.filter(channel_id=channel_id)
    for pk, channel in stages.order_by("channel_id", "order", "id").values_list("pk", "channel_id"):
        if seen[channel] < len(STAGE_COLUMNS):
            by_position[seen[channel]].append(pk)
        seen[channel] += 1
    return by_position


def fresh_pivot_days(
    *, channel_id: int | None = None, buckets: bool = False
) -> tuple[QuerySet | None, QuerySet]:
    """The pivot's day rows computed from the facts (of one channel, or all), as two grouped
    querysets: the stage counts by funnel position (money columns 0) and the money (stage
    columns 0). Columns: period (DAY), start, manager_id, channel_id, team key, then
    PIVOT_VALUES — with `buckets`, start's half-week, week and month after the team key.
    Rows of only zeros are left out; None for the stages when no channel has any. Reads
    the channels' stage order first (one query)."""
    stage_ids = _stage_ids(channel_id)

    def keys(prefix: str) -> dict:
        found = {"p": Value(DAY), "st": F(f"{prefix}date")}
        found |= {MANAGER: F(f"{prefix}manager_id"), CHANNEL: F(f"{prefix}channel_id")}
        found[TEAM] = Coalesce(f"{prefix}team_id", NO_TEAM)
        if buckets:
            found |= {alias: start_of(p, f"{prefix}date") for p, alias in BUCKET_ALIASES.items()}
        return found

    zero = Value(0)
    stage_names, money_names = (
        PIVOT_VALUES[: len(STAGE_COLUMNS)],
        PIVOT_VALUES[len(STAGE_COLUMNS) :],
    )
    stage_sums = {
        name: Sum(Case(When(indicator_id__in=ids, then=F("value")), default=0)) if ids else zero
        for name, ids in zip(stage_names, stage_ids, strict=True)
    }
    counts = DailyCount.objects.filter(indicator_id__in=[i for ids in stage_ids for i in ids])
    facts = DailyFact.objects.all()
    if channel_id is not None:
        counts = counts.filter(fact__channel_id=channel_id)
        facts = facts.filter(channel_id=channel_id)
    counts = (
        counts.values(**keys("fact__"))
        .annotate(**stage_sums, **dict.fromkeys(money_names, zero))
        .exclude(**dict.fromkeys(stage_names, 0))
    )
    money = (
        facts.values(**keys(""))
        .annotate(
            **dict.fromkeys(stage_names, zero),
            **{
                name: Sum(_money(code)) for name, code in zip(money_names, MONEY_CODES, strict=True)
            },
        )
        .exclude(**dict.fromkeys(money_names, 0))
    )
    # No stages at all (the last channel's last stage deleted): no stage rows.
    return (counts.order_by() if any(stage_ids) else None), money.order_by()


def pivot_from_days(period: int, *, channel_id: int | None = None) -> QuerySet:
    """The pivot's rows of `period` summed from its DAY rows (of one channel, or all), in
    key order: columns as KEY_COLUMNS + VALUE_COLUMNS."""
    days = ManagerTotal.objects.filter(period=DAY)
    if channel_id is not None:
        days = days.filter(channel_id=channel_id)
    columns = dict(zip(PIVOT_VALUES, VALUE_COLUMNS, strict=True))
    return (
        days.values(
            p=Value(period),
            st=start_of(period, "start"),
            **{MANAGER: F("manager_id"), CHANNEL: F("channel_id"), TEAM: F("team_key")},
        )
        .annotate(**{name: Sum(column) for name, column in columns.items()})
        .exclude(**dict.fromkeys(PIVOT_VALUES, 0))
        .order_by("st", MANAGER, CHANNEL, TEAM)
    )


def insert_select(model, columns: Sequence[str], queryset: QuerySet, tail: str = "") -> int:
    """INSERT INTO model's table (columns) the rows of `queryset` (its columns in that
    order), `tail` (ON CONFLICT …) appended. Returns the rows inserted.

    Raw around the ORM's SELECT: the ORM has no INSERT … SELECT. `WHERE true` keeps SQLite
    from reading an upsert's ON as a join's."""
    sql, params = queryset.query.sql_with_params()
    names = ", ".join(_q(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_q(model._meta.db_table)} ({names}) "
            f"SELECT * FROM ({sql}) q WHERE true {tail}",
            params,
        )
        return cursor.rowcount
