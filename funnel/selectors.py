"""Reads for the entry pages: what a manager fills in, what is stored, who changed it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from channels.models import Channel
from funnel.catalogue import catalogue
from funnel.models import (
    MONEY_CODES,
    MONEY_DECIMAL_CODES,
    MONEY_LABELS,
    DailyCount,
    DailyFact,
    FactChange,
    Indicator,
)
from teams.models import User


@dataclass(frozen=True)
class EntryRow:
    """One value a manager enters for a channel and a day: a stage, an activity or money."""

    code: str
    label: str
    kind: str  # "stage", "activity" or "money"

    @property
    def is_decimal(self) -> bool:
        return self.code in MONEY_DECIMAL_CODES

    @property
    def is_money(self) -> bool:
        return self.kind == "money"


@dataclass(frozen=True)
class ChannelBlock:
    channel: Channel
    rows: list[EntryRow]

    def has(self, code: str) -> bool:
        return any(row.code == code for row in self.rows)


def money_rows() -> list[EntryRow]:
    return [
        EntryRow(code=code, label=str(MONEY_LABELS[code]), kind="money") for code in MONEY_CODES
    ]


def entry_channels(manager: User) -> list[ChannelBlock]:
    """The active channels the manager reports on: stages in funnel order, activities, money.

    Labels are resolved in the active language, so call this inside the request. Two
    queries: the manager's channels and the catalogue's token (funnel.catalogue).
    """
    through = User.channels.through._meta
    q = connection.ops.quote_name
    with connection.cursor() as cursor:  # plain ids: the ORM would cost more to build it
        cursor.execute(
            f"SELECT {q(through.get_field('channel').column)} FROM {q(through.db_table)}"
            f" WHERE {q(through.get_field('user').column)} = %s",
            [manager.pk],
        )
        mine = {channel_id for (channel_id,) in cursor.fetchall()}
    known = catalogue()
    blocks = []
    for channel in known.channels.values():  # in display order
        if channel.pk not in mine or not channel.is_active:
            continue
        rows = [
            EntryRow(code=i.code, label=i.name, kind=i.kind)
            for i in known.indicators.get(channel.pk, ())
        ]
        blocks.append(ChannelBlock(channel=channel, rows=rows + money_rows()))
    return blocks


ValueKey = tuple[dt.date, int, str]  # (date, channel id, code)


@dataclass
class StoredValues:
    values: dict[ValueKey, Decimal] = field(default_factory=dict)
    last_saved: dict[dt.date, dt.datetime] = field(default_factory=dict)

    def get(self, day: dt.date, channel_id: int, code: str) -> Decimal | None:
        return self.values.get((day, channel_id, code))


def entry_values(
    manager: User, start: dt.date, end: dt.date, channel_id: int | None = None
) -> StoredValues:
    """Every stored value of the manager between two dates (both included), of one channel
    when given, in one query: each fact with its counts (a fact without counts comes once,
    with None for them)."""
    stored = StoredValues()
    values = stored.values
    for day, channel, updated_at, *money, code, count in _week_rows(
        manager.pk, start, end, channel_id
    ):
        if (day, channel, MONEY_CODES[0]) not in values:  # the fact's first row
            for money_code, value in zip(MONEY_CODES, money, strict=True):
                values[(day, channel, money_code)] = Decimal(value)
            if day not in stored.last_saved or updated_at > stored.last_saved[day]:
                stored.last_saved[day] = updated_at
        if code is not None:
            values[(day, channel, code)] = Decimal(count)
    return stored


def _week_rows(manager_id: int, start: dt.date, end: dt.date, channel_id: int | None):
    """(date, channel_id, updated_at, *money, indicator code, count) of entry_values.
    PostgreSQL: one statement written here (the ORM's two joins cost a cell save more to
    build than to run); elsewhere the ORM's, whose converters make SQLite's decimals exact."""
    if connection.vendor == "postgresql":
        q = connection.ops.quote_name
        fact = DailyFact._meta
        money = "".join(f", f.{q(fact.get_field(code).column)}" for code in MONEY_CODES)
        one_channel = " AND f.channel_id = %s" if channel_id is not None else ""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT f.date, f.channel_id, f.updated_at{money}, i.code, c.value"
                f" FROM {q(fact.db_table)} f"
                f" LEFT JOIN {q(DailyCount._meta.db_table)} c ON c.fact_id = f.id"
                f" LEFT JOIN {q(Indicator._meta.db_table)} i ON i.id = c.indicator_id"
                f" WHERE f.manager_id = %s AND f.date BETWEEN %s AND %s{one_channel}",
                [manager_id, start, end, *([channel_id] if channel_id is not None else [])],
            )
            return cursor.fetchall()
    facts = DailyFact.objects.filter(manager_id=manager_id, date__range=(start, end))
    if channel_id is not None:
        facts = facts.filter(channel_id=channel_id)
    return facts.values_list(
        "date", "channel_id", "updated_at", *MONEY_CODES, "counts__indicator__code", "counts__value"
    )


def value_display(code: str, value: Decimal | None) -> str:
    """A stored value as the text an input shows: "12", "1500.50"; "" when nothing is stored."""
    if value is None:
        return ""
    if code in MONEY_DECIMAL_CODES:
        return f"{value:.2f}"
    return str(int(value))


@dataclass
class GridCell:
    day: dt.date
    channel_id: int
    row: EntryRow
    text: str
    editable: bool
    error: str = ""
    state: str = ""  # "", "saved", "error" or "unusual" (to confirm)
    warning: str = ""  # why the value is unusual (funnel.plausibility_checks)


@dataclass
class GridRow:
    row: EntryRow
    cells: list[GridCell]
    total: Decimal


@dataclass
class GridGroup:
    block: ChannelBlock
    rows: list[GridRow]
    day_totals: list[Decimal]  # counts (stages and activities) per day
    week_total: Decimal


def week_grid(
    blocks: list[ChannelBlock], days: list[dt.date], stored: StoredValues, editable: set[dt.date]
) -> list[GridGroup]:
    """Rows per channel with row totals; per-day totals of the channel's counts."""
    groups = []
    for block in blocks:
        rows = []
        day_totals = [Decimal(0)] * len(days)
        for row in block.rows:
            cells = []
            total = Decimal(0)
            for index, day in enumerate(days):
                value = stored.get(day, block.channel.pk, row.code)
                cells.append(
                    GridCell(
                        day=day,
                        channel_id=block.channel.pk,
                        row=row,
                        text=value_display(row.code, value),
                        editable=day in editable,
                    )
                )
                total += value or 0
                if row.kind != "money":
                    day_totals[index] += value or 0
            rows.append(GridRow(row=row, cells=cells, total=total))
        groups.append(
            GridGroup(block=block, rows=rows, day_totals=day_totals, week_total=sum(day_totals))
        )
    return groups


@dataclass(frozen=True)
class HistoryEntry:
    changed_at: dt.datetime
    author: str
    date: dt.date
    channel: str
    channel_id: int
    code: str
    label: str
    old: Decimal | None
    new: Decimal
    is_money: bool
    source: str
    confirmed_unusual: bool = False


def fact_history(
    manager: User, *, day: dt.date, channel_id: int | None = None, code: str | None = None
) -> list[HistoryEntry]:
    """Changes of a manager's day (all channels), or of one value when channel and code are set."""
    changes = FactChange.objects.filter(fact__manager=manager, fact__date=day).select_related(
        "changed_by", "fact__channel"
    )
    if channel_id is not None:
        changes = changes.filter(fact__channel_id=channel_id)
    if code is not None:
        changes = changes.filter(code=code)
    changes = list(changes.order_by("-changed_at", "-id"))
    labels: dict[int, dict[str, str]] = defaultdict(dict)
    for indicator in Indicator.objects.filter(channel_id__in={c.fact.channel_id for c in changes}):
        labels[indicator.channel_id][indicator.code] = indicator.name
    sources = dict(FactChange.Source.choices)
    return [
        HistoryEntry(
            changed_at=change.changed_at,
            author=str(change.changed_by) if change.changed_by else "—",
            date=change.fact.date,
            channel=change.fact.channel.name,
            channel_id=change.fact.channel_id,
            code=change.code,
            label=str(
                MONEY_LABELS.get(change.code)
                or labels[change.fact.channel_id].get(change.code, change.code)
            ),
            old=change.old_value,
            new=change.new_value,
            is_money=change.code in MONEY_DECIMAL_CODES,
            source=_source_text(sources, change),
            confirmed_unusual=change.confirmed_unusual,
        )
        for change in changes
    ]


def _source_text(sources: dict, change: FactChange) -> str:
    """ "API · crm-sync": the source, and the client (token name) where one is known."""
    text = str(sources.get(change.source, change.source))
    return f"{text} · {change.source_name}" if change.source_name else text
