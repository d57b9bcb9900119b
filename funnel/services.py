"""The one write path for daily facts: day form, week grid, import, admin and demo data.

Every write goes through `facts_write`, which in one transaction locks the touched facts,
compares old and new values, upserts only what changed and records the history.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from funnel.models import (
    MONEY_CODES,
    MONEY_DECIMAL_CODES,
    DailyCount,
    DailyFact,
    FactChange,
    Indicator,
)

CENT = Decimal("0.01")
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
    number = Decimal(value)
    if not number.is_finite():
        raise ValidationError(_("Enter a number."))
    if number < 0:
        raise ValidationError(_("The value cannot be negative."))
    if code in MONEY_DECIMAL_CODES:
        if number != number.quantize(CENT):
            raise ValidationError(_("Money has at most 2 decimal places."))
        return number.quantize(CENT)
    if number != number.to_integral_value():
        raise ValidationError(_("A count must be a whole number."))
    return number.quantize(Decimal(1))


def _lock_facts(keys: set[tuple[dt.date, int, int]]) -> dict[tuple, DailyFact]:
    """Create missing facts, then lock all of them for the rest of the transaction."""
    DailyFact.objects.bulk_create(
        [DailyFact(date=d, manager_id=m, channel_id=c) for d, m, c in keys],
        ignore_conflicts=True,
        batch_size=500,
    )
    facts: dict[tuple, DailyFact] = {}
    by_manager: dict[int, list[tuple]] = defaultdict(list)
    for key in keys:
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
    """Upsert values of daily facts and record every change in the history.

    Values not named are left as they are. Raises ValidationError (and writes nothing)
    when a code does not belong to its channel or a value breaks the rules.
    """
    channel_indicators = indicators_by_channel({w.channel_id for w in writes})
    latest: dict[tuple, Decimal] = {}
    for write in writes:
        if write.code not in MONEY_CODES and write.code not in channel_indicators[write.channel_id]:
            raise ValidationError(
                _("Unknown indicator %(code)s for this channel.") % {"code": write.code}
            )
        key = (write.date, write.manager_id, write.channel_id)
        latest[(key, write.code)] = _normalise(write.code, write.value)
    if not latest:
        return WriteResult(changed=0, unchanged=0, facts={})

    facts = _lock_facts({key for key, _code in latest})
    existing: dict[tuple[int, int], DailyCount] = {}
    fact_ids = [f.pk for f in facts.values()]
    for ids in chunked(fact_ids):
        for count in DailyCount.objects.filter(fact_id__in=ids):
            existing[(count.fact_id, count.indicator_id)] = count

    counts_to_save: list[DailyCount] = []
    facts_to_save: dict[int, DailyFact] = {}
    history: list[FactChange] = []
    unchanged = 0
    for (key, code), new in latest.items():
        fact = facts[key]
        if code in MONEY_CODES:
            old = Decimal(getattr(fact, code))
            if old == new:
                unchanged += 1
                continue
            setattr(fact, code, new if code in MONEY_DECIMAL_CODES else int(new))
            facts_to_save[fact.pk] = fact
        else:
            indicator = channel_indicators[fact.channel_id][code]
            count = existing.get((fact.pk, indicator.pk))
            old = Decimal(count.value) if count else None
            if old == new:
                unchanged += 1
                continue
            counts_to_save.append(DailyCount(fact=fact, indicator=indicator, value=int(new)))
        history.append(
            FactChange(
                fact=fact, code=code, old_value=old, new_value=new, changed_by=by, source=source
            )
        )
        facts_to_save.setdefault(fact.pk, fact)

    if counts_to_save:
        DailyCount.objects.bulk_create(
            counts_to_save,
            update_conflicts=True,
            unique_fields=["fact", "indicator"],
            update_fields=["value"],
            batch_size=500,
        )
    if facts_to_save:
        for fact in facts_to_save.values():
            fact.updated_by = by
        DailyFact.objects.bulk_create(
            list(facts_to_save.values()),
            update_conflicts=True,
            unique_fields=["manager", "channel", "date"],
            update_fields=[*MONEY_CODES, "updated_at", "updated_by"],
            batch_size=500,
        )
    FactChange.objects.bulk_create(history, batch_size=500)
    return WriteResult(changed=len(history), unchanged=unchanged, facts=facts)
