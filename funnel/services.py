"""The one write path for daily facts: day form, week grid, import, admin and demo data.

Every write goes through `facts_write`, which in one transaction locks the touched managers
and facts, compares old and new values, upserts only what changed, records the history and
adds the differences to the maintained totals (funnel/totals.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from funnel.models import (
    MONEY_CODES,
    MONEY_DECIMAL_CODES,
    DailyCount,
    DailyFact,
    FactChange,
    Indicator,
)
from funnel.totals import insert_rows, managers_lock, stored_units, totals_add

CENT = Decimal("0.01")
# The columns' limits: DecimalField(max_digits=14, decimal_places=2), PositiveIntegerField.
MAX_MONEY = Decimal("999999999999.99")
MAX_COUNT = 2**31 - 1
# Keeps every IN (...) list below SQLite's bound-parameter limit.
CHUNK = 900


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
    facts: dict[tuple[dt.date, int, int], DailyFact]
    totals: int = 0  # rows of the maintained totals that were updated


def chunked(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def indicators_by_channel(channel_ids: Iterable[int]) -> dict[int, dict[str, Indicator]]:
    result: dict[int, dict[str, Indicator]] = defaultdict(dict)
    for indicator in Indicator.objects.filter(channel_id__in=set(channel_ids)):
        result[indicator.channel_id][indicator.code] = indicator
    return result


def _normalise(code: str, value: Decimal | int) -> Decimal:
    """Check one value against the rules every write path shares; return it as Decimal."""
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(_("Enter a number.")) from None
    if not number.is_finite():
        raise ValidationError(_("Enter a number."))
    if number < 0:
        raise ValidationError(_("The value cannot be negative."))
    if number > (MAX_MONEY if code in MONEY_DECIMAL_CODES else MAX_COUNT):
        raise ValidationError(_("The value is too large."))
    if code in MONEY_DECIMAL_CODES:
        if number != number.quantize(CENT):
            raise ValidationError(_("Money has at most 2 decimal places."))
        return number.quantize(CENT)
    if number != number.to_integral_value():
        raise ValidationError(_("A count must be a whole number."))
    return number.quantize(Decimal(1))


def _lock_facts(keys: set[tuple[dt.date, int, int]], *, now) -> dict[tuple, DailyFact]:
    """Create missing facts, then lock all of them for the rest of the transaction.

    Inserts and locks go in one sorted order (manager, then date / primary key), so two
    writers touching the same facts queue up instead of deadlocking.
    """
    ordered = sorted(keys, key=lambda k: (k[1], k[0], k[2]))
    zero = (Decimal(0), 0, Decimal(0), Decimal(0))
    insert_rows(
        DailyFact,
        ("date", "manager_id", "channel_id", *MONEY_CODES, "created_at", "updated_at"),
        [(d, m, c, *zero, now, now) for d, m, c in ordered],
        tail="ON CONFLICT DO NOTHING",
    )
    facts: dict[tuple, DailyFact] = {}
    by_manager: dict[int, list[tuple]] = defaultdict(list)
    for key in ordered:
        by_manager[key[1]].append(key)
    for manager_id, manager_keys in by_manager.items():
        dates = sorted({k[0] for k in manager_keys})
        channels = {k[2] for k in manager_keys}
        # A date range per manager keeps the query short; extra rows are filtered out below.
        query = DailyFact.objects.select_for_update().filter(
            manager_id=manager_id,
            channel_id__in=channels,
            date__gte=dates[0],
            date__lte=dates[-1],
        )
        for fact in query.order_by("pk"):
            key = (fact.date, fact.manager_id, fact.channel_id)
            if key in keys:
                facts[key] = fact
    return facts


@transaction.atomic
def facts_write(*, writes: Sequence[ValueWrite], by, source: str) -> WriteResult:
    """Upsert values of daily facts, record every change in the history and keep the
    maintained totals equal to the facts.

    Values not named are left as they are; when one value is written twice, the last wins.
    Raises ValidationError (and writes nothing) when a manager or channel does not exist, a
    code does not belong to its channel or a value breaks the rules.
    """
    channel_indicators = indicators_by_channel({w.channel_id for w in writes})
    latest: dict[tuple, Decimal] = {}
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
    if not latest:
        return WriteResult(changed=0, unchanged=0, facts={})

    # Managers first: the lock order every writer and team move shares (see funnel.totals).
    managers = {key[1] for key, _code in latest}
    teams = managers_lock(managers)
    if missing := managers - teams.keys():
        raise ValidationError(_("Unknown manager %(id)s.") % {"id": min(missing)})
    now = timezone.now()
    db_now = connection.ops.adapt_datetimefield_value(now)
    facts = _lock_facts({key for key, _code in latest}, now=db_now)
    existing: dict[tuple[int, int], int] = {}
    fact_ids = [f.pk for f in facts.values()]
    for ids in chunked(fact_ids):
        rows = DailyCount.objects.filter(fact_id__in=ids).values_list(
            "fact_id", "indicator_id", "value"
        )
        existing.update(((fact_id, indicator_id), value) for fact_id, indicator_id, value in rows)

    by_id = getattr(by, "pk", None)
    count_rows: list[tuple] = []
    history_rows: list[tuple] = []
    changed_facts: dict[int, DailyFact] = {}
    deltas: list[tuple] = []
    unchanged = 0
    for (key, code), new in latest.items():
        fact = facts[key]
        if code in MONEY_CODES:
            old = Decimal(getattr(fact, code))
            if old == new:
                unchanged += 1
                continue
            setattr(fact, code, new if code in MONEY_DECIMAL_CODES else int(new))
        else:
            indicator = channel_indicators[fact.channel_id][code]
            stored = existing.get((fact.pk, indicator.pk))
            old = None if stored is None else Decimal(stored)
            if old == new:
                unchanged += 1
                continue
            count_rows.append((fact.pk, indicator.pk, int(new)))
        history_rows.append((fact.pk, code, old, new, by_id, db_now, source))
        deltas.append((*key, code, stored_units(code, new) - stored_units(code, old or 0)))
        changed_facts[fact.pk] = fact

    # Raw multi-row statements: bulk_create would build and prepare a model instance per
    # value, ten times slower for a 100,000-value import.
    insert_rows(
        DailyCount,
        ("fact_id", "indicator_id", "value"),
        count_rows,
        tail="ON CONFLICT (fact_id, indicator_id) DO UPDATE SET value = excluded.value",
    )
    fact_columns = ("id", "date", "manager_id", "channel_id", *MONEY_CODES)
    fact_rows = []
    for fact in changed_facts.values():
        fact.updated_by, fact.updated_at = by, now
        fact_rows.append((*(getattr(fact, c) for c in fact_columns), db_now, db_now, by_id))
    # Every fact exists by now: the upsert updates, created_at is only there for NOT NULL.
    changed_columns = (*MONEY_CODES, "updated_at", "updated_by_id")
    insert_rows(
        DailyFact,
        (*fact_columns, "created_at", "updated_at", "updated_by_id"),
        fact_rows,
        tail="ON CONFLICT (id) DO UPDATE SET "
        + ", ".join(f"{column} = excluded.{column}" for column in changed_columns),
    )
    insert_rows(
        FactChange,
        ("fact_id", "code", "old_value", "new_value", "changed_by_id", "changed_at", "source"),
        history_rows,
    )
    touched = totals_add(deltas, teams=teams)
    return WriteResult(changed=len(history_rows), unchanged=unchanged, facts=facts, totals=touched)
