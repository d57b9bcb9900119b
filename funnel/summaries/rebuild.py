"""Recompute the summaries from the facts (`manage.py totals_rebuild`, a stage order
changed), after giving every fact the team of its day."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, NullIf

from funnel.models import DailyFact, Indicator
from funnel.summaries import fresh
from funnel.summaries.buckets import DAY, HALF, KEY_COLUMNS, MONTH, VALUE_COLUMNS, WEEK, month_of
from funnel.summaries.models import DailyTotal, ManagerTotal, MonthTotal
from funnel.summaries.units import ALL_TEAMS, NO_TEAM
from teams.models import Membership, User

TOTAL_COLUMNS = ("team_key", "date", "channel_id", "code", "value")


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def pivot_upsert_tail() -> str:
    """Adds to an existing pivot row (raw: the ORM's upsert replaces, it cannot add)."""
    table = _q(ManagerTotal._meta.db_table)
    return f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET " + ", ".join(
        f"{c} = {table}.{c} + excluded.{c}" for c in VALUE_COLUMNS
    )


def _lock(model) -> None:
    if connection.vendor == "postgresql":
        # Writers wait while we rebuild; readers go on reading the old rows. (Raw: the ORM
        # has no LOCK TABLE.)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {_q(model._meta.db_table)} IN EXCLUSIVE MODE")


# ---- the team of each fact's day ---------------------------------------------------------


def team_of_the_day() -> Coalesce:
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


def facts_off_team():
    return (
        DailyFact.objects.annotate(expected=team_of_the_day(), stored=Coalesce("team_id", NO_TEAM))
        .exclude(expected=F("stored"))
        .order_by("date", "manager_id", "channel_id")
    )


# ---- rebuild -----------------------------------------------------------------------------


@transaction.atomic
def totals_rebuild() -> int:
    """Give every fact the team of its day, then recompute all totals and the per-manager
    pivot from the facts. Returns the number of daily total rows."""
    DailyFact.objects.filter(pk__in=list(facts_off_team().values_list("pk", flat=True))).update(
        team_id=NullIf(team_of_the_day(), NO_TEAM)
    )
    _lock(DailyTotal)
    DailyTotal.objects.all().delete()
    # In key order, as the dashboards read them (see pivot_rebuild).
    fresh.insert_select(
        DailyTotal, TOTAL_COLUMNS, fresh.fresh_totals().order_by(fresh.TEAM, fresh.DATE, "ch", "cd")
    )
    # The overall level from the team level: far fewer rows than the facts.
    overall = (
        DailyTotal.objects.exclude(team_key=ALL_TEAMS)
        .values(k=Value(ALL_TEAMS), d=F("date"), ch=F("channel_id"), cd=F("code"))
        .annotate(v=Sum("value"))
        .exclude(v=0)
        .order_by("d", "ch", "cd")
    )
    fresh.insert_select(DailyTotal, TOTAL_COLUMNS, overall)
    rows = DailyTotal.objects.count()
    _lock(MonthTotal)
    MonthTotal.objects.all().delete()
    months = (
        DailyTotal.objects.values(
            k=F("team_key"), m=month_of("date"), ch=F("channel_id"), cd=F("code")
        )
        .annotate(v=Sum("value"))
        .exclude(v=0)
        .order_by("k", "m", "ch", "cd")
    )
    fresh.insert_select(MonthTotal, TOTAL_COLUMNS, months)
    pivot_rebuild()
    return rows


def pivot_rebuild(*, channel_id: int | None = None) -> int:
    """Recompute the pivot (of one channel, or all of it) from the facts, in the caller's
    transaction; writers wait for it (PostgreSQL; SQLite writers are serial anyway): the day
    rows from the facts, the half-week, week and month rows from the day rows, each in key
    order (a period's rows of every manager side by side on disk, as the dashboards read
    them). Returns the rows written."""
    columns = (*KEY_COLUMNS, *VALUE_COLUMNS)
    with transaction.atomic():
        _lock(ManagerTotal)
        rows = ManagerTotal.objects.all()
        if channel_id is not None:
            rows = rows.filter(channel_id=channel_id)
        rows.delete()
        counts, money = fresh.fresh_pivot_days(channel_id=channel_id)
        order = ("st", fresh.MANAGER, fresh.CHANNEL, fresh.TEAM)
        if counts is not None:
            fresh.insert_select(ManagerTotal, columns, counts.order_by(*order))
        # A day with stages and money: its money adds to the row of its stages.
        fresh.insert_select(ManagerTotal, columns, money.order_by(*order), tail=pivot_upsert_tail())
        written = ManagerTotal.objects.filter(period=DAY)
        if channel_id is not None:
            written = written.filter(channel_id=channel_id)
        total = written.count()
        for period in (HALF, WEEK, MONTH):
            total += fresh.insert_select(
                ManagerTotal, columns, fresh.pivot_from_days(period, channel_id=channel_id)
            )
        return total


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
