"""The one write path for daily facts: day form, week grid, import, admin and demo data.

Every write goes through `facts_write` (or `values_write`, its second half, for values that
are already checked, as the import's are), which in one transaction locks the touched managers
and facts, compares old and new values, upserts only what changed, records the history and
adds the differences to the summaries (funnel.summaries).

It is built for imports of 100,000 values as much as for one cell: no model instance per
fact or value (facts travel as rows; `WriteResult.facts` builds instances when asked), one
query per step on PostgreSQL, whose parameters go as array literals joined in one string
per column and whose history goes in by COPY.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from funnel.catalogue import Catalogue, catalogue
from funnel.models import (
    MONEY_CODES,
    MONEY_DECIMAL_CODES,
    DailyCount,
    DailyFact,
    FactChange,
    Indicator,
)
from funnel.plausibility_checks import (
    UnusualValues,
    above_floor,
    hard_check,
    monotonic_channels,
    soft_check,
    unusual_possible,
    values_history,
)
from funnel.summaries.bulk import InsertWriter, insert_rows, pg_array
from funnel.summaries.units import stored_units, team_key
from funnel.summaries.write import managers_lock, totals_add
from funnel.values import value_check
from teams.membership import TeamCalendar

# Keeps every IN (...) list below SQLite's bound-parameter limit.
CHUNK = 900
# A write of this many values or more inserts in the background (bulk.InsertWriter), this
# many counts a statement.
BACKGROUND_VALUES = 5_000

FactKey = tuple[dt.date, int, int]  # (date, manager_id, channel_id)
# A fact travels as a list of its concrete fields' values, in this order.
FACT_FIELDS = tuple(f.attname for f in DailyFact._meta.concrete_fields)
F_ID, F_DATE, F_MANAGER, F_CHANNEL, F_TEAM = (
    FACT_FIELDS.index(name) for name in ("id", "date", "manager_id", "channel_id", "team_id")
)
F_MONEY = {code: FACT_FIELDS.index(code) for code in MONEY_CODES}
F_UPDATED_AT, F_UPDATED_BY = FACT_FIELDS.index("updated_at"), FACT_FIELDS.index("updated_by_id")


@dataclass(frozen=True)
class ValueWrite:
    """Set one value: a stage/activity count or a money code of (date, manager, channel)."""

    date: dt.date
    manager_id: int
    channel_id: int
    code: str
    value: Decimal | int


@dataclass(frozen=True)
class WriteResult:
    changed: int  # values whose stored value changed
    unchanged: int  # values written with the value they already had
    facts: Mapping[FactKey, DailyFact]
    totals: int = 0  # rows of the maintained totals that were updated
    unusual: tuple = ()  # the confirmed unusual values (funnel.plausibility_checks.Unusual)


class _Facts(Mapping):
    """The written facts by (date, manager, channel), each a DailyFact built when first asked
    for: an import touches 10,000+ facts that nobody looks at."""

    def __init__(self, rows: dict[FactKey, list], changed: set[FactKey], by) -> None:
        self._rows, self._changed, self._by = rows, changed, by
        self._built: dict[FactKey, DailyFact] = {}

    def __getitem__(self, key: FactKey) -> DailyFact:
        fact = self._built.get(key)
        if fact is None:
            fact = DailyFact.from_db(connection.alias, FACT_FIELDS, self._rows[key])
            if key in self._changed:
                fact.updated_by = self._by
            self._built[key] = fact
        return fact

    def __iter__(self) -> Iterator[FactKey]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


def chunked(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def indicators_by_channel(
    channel_ids: Iterable[int], known: Catalogue | None = None
) -> dict[int, dict[str, Indicator]]:
    """{channel id: {code: indicator}} of the channels that have indicators, from the
    catalogue (funnel.catalogue: one query, or none with `known`); each indicator carries its
    channel, whose `stages_monotonic` the plausibility check reads. Read-only instances."""
    known = known or catalogue()
    # Copies of the catalogue's dicts: a caller adding to one cannot change the snapshot.
    return {cid: dict(known.codes(cid)) for cid in set(channel_ids) if known.indicators.get(cid)}


def _normalise(code: str, value: Decimal | int) -> Decimal:
    """Check one value against the rules every write path shares; return it as Decimal."""
    return value_check(value, money=code in MONEY_DECIMAL_CODES)


# ---- PostgreSQL parameters as text -------------------------------------------------------
# psycopg adapts a list parameter item by item in Python (~5 µs a value) and COPY's
# write_row likewise per row; a column of numbers joined by str.join costs ~0.1 µs a value.


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


# ---- facts and counts --------------------------------------------------------------------


def _facts_lock(keys: Collection[FactKey]) -> dict[FactKey, list]:
    """Lock the existing facts of `keys` (FOR UPDATE), manager by manager in primary-key
    order, and return them as rows (lists in FACT_FIELDS order)."""
    found: dict[FactKey, list] = {}
    if not keys:
        return found
    if connection.vendor == "postgresql":
        ordered = sorted(keys, key=lambda k: (k[1], k[0], k[2]))
        columns = ", ".join(f"f.{_q(DailyFact._meta.get_field(n).column)}" for n in FACT_FIELDS)
        dates = [k[0] for k in ordered]
        with connection.cursor() as cursor:
            # The ranges are redundant but let the planner read only the facts in them
            # (an index scan) rather than hash the whole table.
            cursor.execute(
                f"SELECT {columns} FROM {_q(DailyFact._meta.db_table)} f "
                f"JOIN unnest(%s::bigint[], %s::bigint[], %s::date[]) AS k(m, c, d) "
                f"ON f.manager_id = k.m AND f.channel_id = k.c AND f.date = k.d "
                f"WHERE f.date BETWEEN %s AND %s AND f.manager_id BETWEEN %s AND %s "
                f"ORDER BY f.manager_id, f.id FOR UPDATE OF f",
                [pg_array([k[i] for k in ordered]) for i in (1, 2, 0)]
                + [min(dates), max(dates), ordered[0][1], ordered[-1][1]],
            )
            for row in cursor.fetchall():
                found[(row[F_DATE], row[F_MANAGER], row[F_CHANNEL])] = list(row)
        return found
    by_manager: dict[int, list[FactKey]] = defaultdict(list)
    for key in keys:
        by_manager[key[1]].append(key)
    for manager_id in sorted(by_manager):
        manager_keys = by_manager[manager_id]
        dates = [k[0] for k in manager_keys]
        # A date range per manager keeps the query short; extra rows are filtered out below.
        rows = (
            DailyFact.objects.select_for_update()
            .filter(
                manager_id=manager_id,
                channel_id__in={k[2] for k in manager_keys},
                date__gte=min(dates),
                date__lte=max(dates),
            )
            .order_by("pk")
            .values_list(*FACT_FIELDS)
        )
        for row in rows:
            key = (row[F_DATE], manager_id, row[F_CHANNEL])
            if key in keys:
                found[key] = list(row)
    return found


def _lock_facts(keys: set[FactKey], *, db_now, calendar: TeamCalendar) -> dict[FactKey, list]:
    """Lock the facts of `keys`, creating the missing ones, for the rest of the transaction.

    The writer holds its managers' locks (managers_lock) already, so no other facts_write
    touches these facts meanwhile; locks go manager by manager in primary-key order, then
    the inserts in (manager, date, channel) order, the same order for every writer. A new
    fact carries its manager's team of that day (`calendar`).
    """
    facts = _facts_lock(keys)
    missing = sorted(keys - facts.keys(), key=lambda k: (k[1], k[0], k[2]))
    if missing:
        zero = (Decimal(0), 0, Decimal(0), Decimal(0))
        insert_rows(
            DailyFact,
            ("date", "manager_id", "channel_id", "team_id", *MONEY_CODES)
            + ("created_at", "updated_at"),
            [(d, m, c, calendar.team_on(m, d), *zero, db_now, db_now) for d, m, c in missing],
            tail="ON CONFLICT DO NOTHING",
        )
        facts.update(_facts_lock(set(missing)))
    return facts


def _counts_read(fact_ids: list[int]) -> dict[tuple[int, int], int]:
    """Stored counts of these facts by (fact_id, indicator_id)."""
    if not fact_ids:
        return {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The range is redundant, for the planner (an index scan, not the whole table).
            cursor.execute(
                f"SELECT fact_id, indicator_id, value FROM {_q(DailyCount._meta.db_table)} "
                f"WHERE fact_id = ANY(%s::bigint[]) AND fact_id BETWEEN %s AND %s",
                [pg_array(fact_ids), min(fact_ids), max(fact_ids)],
            )
            rows = cursor.fetchall()
        return {(fact_id, indicator_id): value for fact_id, indicator_id, value in rows}
    existing: dict[tuple[int, int], int] = {}
    for ids in chunked(fact_ids):
        rows = DailyCount.objects.filter(fact_id__in=ids).values_list(
            "fact_id", "indicator_id", "value"
        )
        existing.update(((fact_id, indicator_id), value) for fact_id, indicator_id, value in rows)
    return existing


# ---- the write path ----------------------------------------------------------------------


@transaction.atomic
def facts_write(
    *,
    writes: Sequence[ValueWrite],
    by,
    source: str,
    source_name: str = "",
    confirm: bool = False,
) -> WriteResult:
    """Upsert values of daily facts, record every change in the history and keep the
    maintained totals equal to the facts.

    Values not named are left as they are; when one value is written twice, the last wins.
    Raises ValidationError (and writes nothing) when a manager or channel does not exist, a
    code does not belong to its channel or a value breaks the rules, above all a value above
    its maximum per day; raises UnusualValues (nothing written) when a value that changes is
    unusual for its manager (funnel.plausibility_checks) unless `confirm`, with which they
    are written and their history rows marked confirmed-unusual.
    """
    if not writes:
        return WriteResult(changed=0, unchanged=0, facts={})
    known = catalogue()
    channel_indicators = indicators_by_channel({w.channel_id for w in writes}, known)
    latest: dict[tuple[FactKey, str], Decimal] = {}
    for write in writes:
        # Every channel has stages; one without indicators does not exist.
        if write.channel_id not in channel_indicators:
            raise ValidationError(_("Unknown channel."))
        if write.code not in MONEY_CODES and write.code not in channel_indicators[write.channel_id]:
            raise ValidationError(
                _("Unknown indicator %(code)s for this channel.") % {"code": write.code}
            )
        key = (write.date, write.manager_id, write.channel_id)
        latest[(key, write.code)] = _normalise(write.code, write.value)
    return _write(
        latest,
        by=by,
        source=source,
        source_name=source_name,
        channel_indicators=channel_indicators,
        limits=known.limits,
        confirm=confirm,
    )


@transaction.atomic
def values_write(
    values: Mapping[tuple[FactKey, str], Decimal | int],
    *,
    by,
    source: str,
    source_name: str = "",
    confirm: bool = False,
) -> WriteResult:
    """`facts_write` for values that passed its rules already, keyed by ((date, manager_id,
    channel_id), code): the import checks them row by row with funnel.forms.value_parse
    (the same limits, money as Decimal with 2 places, counts as int or integral Decimal),
    so 100,000 values are not checked twice. Channels, codes and managers are still checked
    here, in the transaction (ValidationError, nothing written), and so is plausibility
    (ValidationError or UnusualValues, as `facts_write`)."""
    if not values:
        return WriteResult(changed=0, unchanged=0, facts={})
    pairs = {(key[2], code) for key, code in values}
    known = catalogue()
    channel_indicators = indicators_by_channel({channel_id for channel_id, _code in pairs}, known)
    for channel_id, code in sorted(pairs):
        if channel_id not in channel_indicators:
            raise ValidationError(_("Unknown channel."))
        if code not in MONEY_CODES and code not in channel_indicators[channel_id]:
            raise ValidationError(
                _("Unknown indicator %(code)s for this channel.") % {"code": code}
            )
    return _write(
        values,
        by=by,
        source=source,
        source_name=source_name,
        channel_indicators=channel_indicators,
        limits=known.limits,
        confirm=confirm,
    )


def _write(
    latest: Mapping[tuple[FactKey, str], Decimal | int],
    *,
    by,
    source: str,
    channel_indicators: dict[int, dict[str, Indicator]],
    limits: Mapping[tuple[int, str], Decimal] | None = None,
    source_name: str = "",
    confirm: bool = False,
) -> WriteResult:
    if not latest:
        return WriteResult(changed=0, unchanged=0, facts={})

    # Managers first: the lock order every writer and team move shares (see funnel.summaries).
    managers = {key[1] for key, _code in latest}
    calendar = managers_lock(managers)
    if missing := managers - calendar.known:
        raise ValidationError(_("Unknown manager %(id)s.") % {"id": min(missing)})
    now = timezone.now()
    db_now = connection.ops.adapt_datetimefield_value(now)
    facts = _lock_facts({key for key, _code in latest}, db_now=db_now, calendar=calendar)
    indicator_ids = {
        (channel_id, code): indicator.pk
        for channel_id, indicators in channel_indicators.items()
        for code, indicator in indicators.items()
    }
    existing = _counts_read(
        sorted({facts[key][F_ID] for key, code in latest if code not in MONEY_CODES})
    )

    # A large write on PostgreSQL inserts in the background (InsertWriter) as its rows are ready,
    # the counts while this loop still runs: the history the plausibility check reads is read
    # first, for every value that could be unusual (those above the floor).
    writer = InsertWriter(background=len(latest) >= BACKGROUND_VALUES)
    history = None
    if writer.background:
        history = values_history(
            _changing(above_floor(latest), latest, facts, existing, indicator_ids),
            channel_indicators,
        )
    count_upsert = (
        DailyCount,
        ("fact_id", "indicator_id", "value"),
        "ON CONFLICT (fact_id, indicator_id) DO UPDATE SET value = excluded.value",
    )
    # The history rows of values that cannot be unusual stream like the counts; the others
    # wait for the check, which marks the confirmed unusual ones.
    possible = unusual_possible(channel_indicators) if writer.background else None
    history_columns = ("fact_id", "code", "old_value", "new_value", "changed_by_id")
    history_columns += ("changed_at", "source", "source_name")
    streamed: list[tuple] = []
    by_id = getattr(by, "pk", None)
    count_rows: list[tuple] = []
    history_rows: list[tuple] = []
    changed_facts: set[FactKey] = set()
    deltas: list[tuple] = []
    unchanged = 0
    changing: dict[tuple[FactKey, str], Decimal | int] = {}
    teams: dict[FactKey, int] = {}  # each fact's team key, once a fact
    with writer:
        for pair, new in latest.items():
            key, code = pair
            row = facts[key]
            fact_id = row[F_ID]
            column = F_MONEY.get(code)
            if column is not None:
                old = row[column]
                if old == new:
                    unchanged += 1
                    continue
                if code in MONEY_DECIMAL_CODES:
                    row[column] = new
                    change = stored_units(code, new) - stored_units(code, old)
                else:
                    row[column] = new = int(new)
                    change = new - old
            else:
                indicator_id = indicator_ids[(key[2], code)]
                old = existing.get((fact_id, indicator_id))
                if type(new) is not int:
                    new = int(new)
                if old == new:
                    unchanged += 1
                    continue
                count_rows.append((fact_id, indicator_id, new))
                if writer.background and len(count_rows) >= BACKGROUND_VALUES:
                    writer.add(*count_upsert[:2], count_rows, count_upsert[2])
                    count_rows = []
                change = new if old is None else new - old
            changing[pair] = new
            entry = (fact_id, code, old, new, by_id, db_now, source, source_name)
            if possible is None or possible(pair, new):
                history_rows.append(entry)
            else:
                streamed.append(entry)
                if len(streamed) >= BACKGROUND_VALUES:
                    writer.add(FactChange, history_columns, streamed, "")
                    streamed = []
            team = teams.get(key)
            if team is None:
                team = teams[key] = team_key(row[F_TEAM])
                changed_facts.add(key)
            deltas.append((team, *key, code, change))

        unusual = _plausibility(
            changing,
            facts,
            existing,
            channel_indicators,
            confirm=confirm,
            history=history,
            limits=limits,
        )
        marked = {(facts[u.date, u.manager_id, u.channel_id][F_ID], u.code) for u in unusual}
        writer.add(*count_upsert[:2], count_rows, count_upsert[2])
        fact_rows = []
        for key in changed_facts:
            row = facts[key]
            row[F_UPDATED_AT], row[F_UPDATED_BY] = now, by_id
            money = [row[F_MONEY[code]] for code in MONEY_CODES]
            fact_rows.append((row[F_ID], *key, *money, db_now, db_now, by_id))
        fact_rows.sort()
        # Every fact exists by now: the upsert updates, created_at is only there for NOT NULL.
        changed_columns = (*MONEY_CODES, "updated_at", "updated_by_id")
        writer.add(
            DailyFact,
            ("id", "date", "manager_id", "channel_id", *MONEY_CODES)
            + ("created_at", "updated_at", "updated_by_id"),
            fact_rows,
            "ON CONFLICT (id) DO UPDATE SET "
            + ", ".join(f"{column} = excluded.{column}" for column in changed_columns),
        )
        writer.add(FactChange, history_columns, streamed, "")
        if marked:  # the column has a database default: the usual rows go without it
            confirmed = [(*row, True) for row in history_rows if (row[0], row[1]) in marked]
            writer.add(FactChange, (*history_columns, "confirmed_unusual"), confirmed, "")
            history_rows = [row for row in history_rows if (row[0], row[1]) not in marked]
        writer.add(FactChange, history_columns, history_rows, "")
        touched = totals_add(deltas)
    return WriteResult(
        changed=len(changing),
        unchanged=unchanged,
        facts=_Facts(facts, changed_facts, by),
        totals=touched,
        unusual=tuple(unusual),
    )


def _changing(pairs, latest, facts, existing, indicator_ids) -> list:
    """Those of `pairs` ((fact key, code) of `latest`) whose value differs from the stored one."""
    found = []
    for pair in pairs:
        key, code = pair
        row, column = facts[key], F_MONEY.get(code)
        if column is not None:
            old = row[column]
        else:
            old = existing.get((row[F_ID], indicator_ids[(key[2], code)]))
        if old is None or old != latest[pair]:
            found.append(pair)
    return found


def _plausibility(
    changing, facts, existing, channel_indicators, *, confirm: bool, history=None, limits=None
) -> list:
    """Check the values that change (funnel.plausibility_checks): ValidationError above a
    maximum, UnusualValues for unusual ones unless `confirm`; → the unusual ones. `history`:
    values_history read before any write, or None to read it here."""
    if not changing:
        return []
    hard_check(changing, channel_indicators, limits=limits)
    monotonic = monotonic_channels(channel_indicators)
    stored: dict[tuple[FactKey, str], int] = {}
    if monotonic:
        codes = {
            indicator.pk: code
            for channel_id in monotonic
            for code, indicator in channel_indicators[channel_id].items()
        }
        keys = {facts[key][F_ID]: key for key, _code in changing if key[2] in monotonic}
        for (fact_id, indicator_id), value in existing.items():
            if fact_id in keys and indicator_id in codes:
                stored[(keys[fact_id], codes[indicator_id])] = value
    unusual = soft_check(changing, channel_indicators, stored, monotonic=monotonic, history=history)
    if unusual and not confirm:
        raise UnusualValues(unusual)
    return unusual
