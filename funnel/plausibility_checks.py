"""The plausibility checks of the write path (funnel.services): funnel.plausibility's rules
against the database, set-based so that an import of 100,000 values costs a few queries.

- `hard_check`: a value above its channel's maximum per day (ValueLimit, else the defaults)
  raises ValidationError; nothing is written.
- `soft_check`: a value above the manager's usual (5 x their median of the HISTORY_DAYS
  before, with a floor), or a stage above the previous stage of the same day on a channel
  whose stages never grow, is unusual; the write raises UnusualValues listing them unless the
  caller confirms, and then the history marks them confirmed-unusual.

Only values above the floor can be unusual against the history, so only those read it: two
queries (facts, then their counts) for all of them, none when no value is that large.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from funnel.catalogue import catalogue
from funnel.models import (
    MONEY_CODES,
    MONEY_DECIMAL_CODES,
    MONEY_LABELS,
    DailyCount,
    DailyFact,
    Indicator,
)
from funnel.plausibility import (
    HISTORY_DAYS,
    SOFT_FACTOR,
    SOFT_FLOOR_COUNT,
    SOFT_FLOOR_MONEY,
    hard_default,
    soft_limit,
)

FactKey = tuple[dt.date, int, int]  # (date, manager_id, channel_id), as funnel.services
# Managers per history query: below SQLite's bound-parameter limit.
CHUNK = 900


def shown(value: Decimal | int, *, money: bool) -> str:
    """A value in a message: money with its kopecks only when it has some, counts whole."""
    value = Decimal(value)
    if not money or value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    return number_format(value, force_grouping=True)


def label_of(code: str, indicators: Mapping[str, Indicator]) -> str:
    if code in MONEY_LABELS:
        return str(MONEY_LABELS[code])
    indicator = indicators.get(code)
    return indicator.name if indicator else code


@dataclass(frozen=True)
class Unusual:
    """One value that needs confirming: above the manager's usual (`usual` is their median,
    `limit` the largest usual value) or, with `previous`, above the previous stage."""

    date: dt.date
    manager_id: int
    channel_id: int
    code: str
    value: Decimal
    label: str
    usual: Decimal = Decimal(0)
    limit: Decimal = Decimal(0)
    previous: str = ""  # the other stage's name: the previous one, or with `lower` the next
    previous_value: Decimal = Decimal(0)
    lower: bool = False  # this stage is below the next stage of the day (written after it)

    @property
    def money(self) -> bool:
        return self.code in MONEY_DECIMAL_CODES

    @property
    def key(self) -> tuple:
        return (self.date, self.manager_id, self.channel_id, self.code, self.value)

    @property
    def reason(self) -> str:
        """Why it is unusual, without the value's name (the form shows it next to the field)."""
        money = self.money
        if self.previous and self.lower:
            return _(
                "%(value)s is less than the next stage “%(stage)s” (%(previous)s) of the "
                "same day, which this channel does not allow without confirmation."
            ) % {
                "value": shown(self.value, money=money),
                "stage": self.previous,
                "previous": shown(self.previous_value, money=money),
            }
        if self.previous:
            return _(
                "%(value)s is more than the previous stage “%(stage)s” (%(previous)s) of the "
                "same day, which this channel does not allow without confirmation."
            ) % {
                "value": shown(self.value, money=money),
                "stage": self.previous,
                "previous": shown(self.previous_value, money=money),
            }
        if SOFT_FACTOR * self.usual >= soft_limit(Decimal(0), money=money):
            return _("Usually about %(usual)s a day; %(value)s is more than %(factor)s× that.") % {
                "usual": shown(self.usual, money=money),
                "value": shown(self.value, money=money),
                "factor": SOFT_FACTOR,
            }
        return _(
            "%(value)s is more than %(limit)s, unusual for one day (usually about %(usual)s)."
        ) % {
            "value": shown(self.value, money=money),
            "limit": shown(self.limit, money=money),
            "usual": shown(self.usual, money=money),
        }

    @property
    def message(self) -> str:
        return f"{self.date:%Y-%m-%d}, {self.label}: {self.reason}"


class UnusualValues(Exception):
    """The values of a write that need confirming; nothing was written."""

    def __init__(self, items: list[Unusual]):
        super().__init__("; ".join(item.message for item in items))
        self.items = items


class Implausible(ValidationError):
    """Values above their maximum per day; `items`: (fact key, code, reason) of each."""

    def __init__(self, items: list[tuple[FactKey, str, str]], messages: list[str]):
        super().__init__(" ".join(messages), code="implausible")
        self.items = items


def limits_load(channel_ids: Iterable[int]) -> dict[tuple[int, str], Decimal]:
    """The maxima set in the admin for these channels by (channel_id, code), from the
    catalogue (funnel.catalogue: one query)."""
    return catalogue().limits_of(channel_ids)


def hard_max(limits: Mapping[tuple[int, str], Decimal], channel_id: int, code: str) -> Decimal:
    found = limits.get((channel_id, code))
    return found if found is not None else hard_default(money=code in MONEY_DECIMAL_CODES)


def hard_message(value: Decimal | int, limit: Decimal, *, money: bool) -> str:
    return _("%(value)s is more than the most allowed for one day (%(limit)s).") % {
        "value": shown(value, money=money),
        "limit": shown(limit, money=money),
    }


def hard_check(
    latest: Mapping[tuple[FactKey, str], Decimal | int],
    channel_indicators: Mapping[int, Mapping[str, Indicator]],
    *,
    limits: Mapping[tuple[int, str], Decimal] | None = None,
) -> None:
    """Implausible (a ValidationError) naming every value above its maximum per day;
    `limits`: the maxima by (channel id, code) when the caller has them, else read (one
    query)."""
    if limits is None:
        limits = limits_load(channel_indicators)
    items, problems = [], []
    known: dict[tuple[int, str], Decimal] = {}  # 100,000 values, a few dozen maxima
    for (key, code), value in latest.items():
        limit = known.get((key[2], code))
        if limit is None:
            limit = known[(key[2], code)] = hard_max(limits, key[2], code)
        if value > limit:
            label = label_of(code, channel_indicators.get(key[2], {}))
            reason = hard_message(value, limit, money=code in MONEY_DECIMAL_CODES)
            items.append((key, code, reason))
            problems.append(f"{key[0]:%Y-%m-%d}, {label}: {reason}")
    if problems:
        raise Implausible(items, problems)


def _history_reads(managers, channels, money, wanted, first, last):
    """The managers' facts in the channels from `first` to the day before `last` — (id,
    manager_id, channel_id, date, *money) — and their counts of the `wanted` indicators —
    (fact_id, indicator_id, value): two queries, the second none without `wanted`.
    PostgreSQL: statements written here (the ORM's cost a cell save more to build than to
    run); elsewhere the ORM's, whose converters make SQLite's decimals exact."""
    if connection.vendor == "postgresql":
        q = connection.ops.quote_name
        facts_table = q(DailyFact._meta.db_table)
        where = (
            " WHERE f.manager_id = ANY(%s::bigint[]) AND f.channel_id = ANY(%s::bigint[])"
            " AND f.date >= %s AND f.date < %s"
        )
        params = [list(managers), sorted(channels), first, last]
        columns = "".join(f", f.{q(DailyFact._meta.get_field(code).column)}" for code in money)
        counts = []
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT f.id, f.manager_id, f.channel_id, f.date{columns}"
                f" FROM {facts_table} f{where}",
                params,
            )
            facts = cursor.fetchall()
            if wanted:
                cursor.execute(
                    "SELECT c.fact_id, c.indicator_id, c.value"
                    f" FROM {q(DailyCount._meta.db_table)} c JOIN {facts_table} f"
                    f" ON f.id = c.fact_id{where} AND c.indicator_id = ANY(%s::bigint[])",
                    [*params, sorted(wanted)],
                )
                counts = cursor.fetchall()
        return facts, counts
    facts = DailyFact.objects.filter(
        manager_id__in=managers, channel_id__in=channels, date__gte=first, date__lt=last
    )
    counts = DailyCount.objects.none()
    if wanted:
        counts = DailyCount.objects.filter(
            fact__manager_id__in=managers,
            fact__channel_id__in=channels,
            fact__date__gte=first,
            fact__date__lt=last,
            indicator_id__in=wanted,
        )
    return (
        facts.order_by().values_list("id", "manager_id", "channel_id", "date", *money),
        counts.order_by().values_list("fact_id", "indicator_id", "value"),
    )


def _history(candidates: list[tuple[FactKey, str]], indicator_ids: Mapping[tuple[int, str], int]):
    """The stored values of the candidates' managers and channels over the HISTORY_DAYS before
    their days: (manager, channel) → (sorted dates, {date: {code: value}}); two queries for
    up to CHUNK managers (facts, then the counts of the candidates' indicators)."""
    first = min(key[0] for key, _code in candidates) - dt.timedelta(days=HISTORY_DAYS)
    last = max(key[0] for key, _code in candidates)
    managers = sorted({key[1] for key, _code in candidates})
    channels = {key[2] for key, _code in candidates}
    money = sorted({code for _key, code in candidates if code in MONEY_CODES})
    wanted = {indicator_ids[(key[2], code)] for key, code in candidates if code not in MONEY_CODES}
    days: dict[tuple[int, int], dict[dt.date, dict]] = defaultdict(dict)
    for start in range(0, len(managers), CHUNK):
        facts, counts = _history_reads(
            managers[start : start + CHUNK], channels, money, wanted, first, last
        )
        fact_days: dict[int, dict] = {}
        for fact_id, manager_id, channel_id, day, *values in facts:
            # A reported day without a count of an indicator counts 0 for it.
            fact_days[fact_id] = days[(manager_id, channel_id)][day] = dict(
                zip(money, values, strict=True)
            )
        for fact_id, indicator_id, value in counts:
            if (found := fact_days.get(fact_id)) is not None:
                found[indicator_id] = value
    return {pair: (sorted(by_day), by_day) for pair, by_day in days.items()}


def _medians(history, candidates, indicator_ids) -> dict[tuple[FactKey, str], Decimal]:
    """funnel.plausibility.median of each candidate's HISTORY_DAYS before its day, for all
    candidates of one series (manager, channel, code) in one pass: a sorted window slides
    over the series' days instead of sorting 90 values per candidate."""
    series: dict[tuple, list[tuple[dt.date, FactKey, str]]] = defaultdict(list)
    for key, code in candidates:
        series[(key[1], key[2], code)].append((key[0], key, code))
    result = {}
    for (manager_id, channel_id, code), wanted in series.items():
        dates, by_day = history.get((manager_id, channel_id), ((), {}))
        field = indicator_ids.get((channel_id, code), code)
        # A reported day without a count of the indicator counts 0 for it.
        values = [by_day[day].get(field, 0) for day in dates]
        window: list = []
        low = high = 0
        for day, key, code_ in sorted(wanted, key=lambda item: item[0]):
            while high < len(dates) and dates[high] < day:
                bisect.insort(window, values[high])
                high += 1
            start = day - dt.timedelta(days=HISTORY_DAYS)
            while low < high and dates[low] < start:
                window.pop(bisect.bisect_left(window, values[low]))
                low += 1
            n = len(window)
            if not n:
                middle = 0
            elif n % 2:
                middle = window[n // 2]
            else:  # as statistics.median: the mean of the two middle values
                middle = (Decimal(window[n // 2 - 1]) + window[n // 2]) / 2
            result[(key, code_)] = middle
    return result


def _ids(channel_indicators: Mapping[int, Mapping[str, Indicator]]) -> dict[tuple[int, str], int]:
    return {
        (channel_id, code): indicator.pk
        for channel_id, indicators in channel_indicators.items()
        for code, indicator in indicators.items()
    }


FLOOR_COUNT = Decimal(SOFT_FLOOR_COUNT)


def _above_floor(pair: tuple[FactKey, str], value: Decimal | int) -> bool:
    return value > (SOFT_FLOOR_MONEY if pair[1] in MONEY_DECIMAL_CODES else FLOOR_COUNT)


def above_floor(latest: Mapping[tuple[FactKey, str], Decimal | int]) -> list:
    """The values that may be unusual: those above the floor."""
    return [pair for pair, value in latest.items() if _above_floor(pair, value)]


def monotonic_channels(channel_indicators: Mapping[int, Mapping[str, Indicator]]) -> set[int]:
    """The channels whose stages never grow (Channel.stages_monotonic)."""
    return {
        channel_id
        for channel_id, indicators in channel_indicators.items()
        if any(indicator.channel.stages_monotonic for indicator in indicators.values())
    }


def unusual_possible(channel_indicators):
    """→ whether soft_check could find (pair, value) unusual: a value above the floor, or any
    on a channel whose stages never grow. A write streams the history of the others."""
    monotonic = monotonic_channels(channel_indicators)

    def possible(pair: tuple[FactKey, str], value: Decimal | int) -> bool:
        return _above_floor(pair, value) or pair[0][2] in monotonic

    return possible


def values_history(candidates: list[tuple[FactKey, str]], channel_indicators):
    """The history soft_check reads for `candidates` (the values above the floor that
    change, or more), read now: for a write that starts writing before it checks. None
    without candidates."""
    return _history(candidates, _ids(channel_indicators)) if candidates else None


def soft_check(
    latest: Mapping[tuple[FactKey, str], Decimal | int],
    channel_indicators: Mapping[int, Mapping[str, Indicator]],
    stored: Mapping[tuple[FactKey, str], int],
    *,
    monotonic: set[int],
    history=None,
) -> list[Unusual]:
    """The unusual values of a write, in the order written. `stored`: the counts stored now
    of the facts written, by (fact key, code); `monotonic`: the channels whose stages never
    grow. Reads the history only for values above the floor, unless given `history`
    (values_history of them or more, read before the write)."""
    indicator_ids = _ids(channel_indicators)
    candidates = above_floor(latest)
    found: dict[tuple[FactKey, str], Unusual] = {}
    labels: dict[tuple[int, str], str] = {}  # a name in the language: once per channel and code
    if candidates:
        if history is None:
            history = _history(candidates, indicator_ids)
        usual_of = _medians(history, candidates, indicator_ids)
        for key, code in candidates:
            value, usual = latest[(key, code)], usual_of[(key, code)]
            if value <= SOFT_FACTOR * usual:  # within the limit whatever the floor
                continue
            money = code in MONEY_DECIMAL_CODES
            value, usual = Decimal(value), Decimal(usual)
            if value > (limit := soft_limit(usual, money=money)):
                label = labels.get((key[2], code))
                if label is None:
                    label = labels[key[2], code] = label_of(code, channel_indicators[key[2]])
                found[(key, code)] = Unusual(*key, code, value, label, usual, limit)
    for key, stage, previous, after, before in _stage_rises(
        latest, channel_indicators, stored, monotonic
    ):
        # The value written is the one to confirm: the later stage, or the earlier one
        # lowered under a stored later stage.
        if (key, stage.code) in latest and (key, stage.code) not in found:
            found[(key, stage.code)] = Unusual(
                *key, stage.code, Decimal(after), stage.name, previous=previous.name,
                previous_value=Decimal(before),
            )  # fmt: skip
        elif (key, stage.code) not in latest and (key, previous.code) not in found:
            found[(key, previous.code)] = Unusual(
                *key, previous.code, Decimal(before), previous.name, previous=stage.name,
                previous_value=Decimal(after), lower=True,
            )  # fmt: skip
    order = {pair: i for i, pair in enumerate(latest)}
    return sorted(
        found.values(), key=lambda u: order.get(((u.date, u.manager_id, u.channel_id), u.code), 0)
    )


def _stage_rises(latest, channel_indicators, stored, monotonic: set[int]):
    """(key, stage, previous stage, the stage's value, the previous one's) for each stage
    above the previous one on a monotonic channel, where either of the two is written now
    and both are known."""
    if not monotonic:
        return
    written: dict[FactKey, set[str]] = defaultdict(set)
    for key, code in latest:
        if key[2] in monotonic and code not in MONEY_CODES:
            written[key].add(code)
    for key, codes in written.items():
        stages = sorted(
            (i for i in channel_indicators[key[2]].values() if i.is_stage),
            key=lambda i: (i.order, i.pk),
        )
        for previous, stage in zip(stages, stages[1:], strict=False):
            if previous.code not in codes and stage.code not in codes:
                continue
            before = latest.get((key, previous.code), stored.get((key, previous.code)))
            after = latest.get((key, stage.code), stored.get((key, stage.code)))
            if before is not None and after is not None and after > before:
                yield key, stage, previous, after, before


def writes_check(writes) -> list[Unusual]:
    """The checks of the write path without writing, for forms that must answer before they
    save (the admin): Implausible above a maximum; → the unusual values. Like the write path
    it checks only values that change (`writes`: funnel.services.ValueWrite)."""
    channel_ids = {w.channel_id for w in writes}
    channel_indicators: dict[int, dict[str, Indicator]] = defaultdict(dict)
    for indicator in Indicator.objects.filter(channel_id__in=channel_ids).select_related("channel"):
        channel_indicators[indicator.channel_id][indicator.code] = indicator
    keys = {(w.date, w.manager_id, w.channel_id) for w in writes}
    facts = DailyFact.objects.filter(
        manager_id__in={k[1] for k in keys},
        channel_id__in=channel_ids,
        date__in={k[0] for k in keys},
    )
    stored: dict[tuple[FactKey, str], Decimal | int] = {}
    fact_keys = {}
    for row in facts.values_list("id", "date", "manager_id", "channel_id", *MONEY_CODES):
        fact_keys[row[0]] = key = tuple(row[1:4])
        stored.update(
            ((key, code), value) for code, value in zip(MONEY_CODES, row[4:], strict=True)
        )
    for fact_id, code, value in DailyCount.objects.filter(fact_id__in=fact_keys).values_list(
        "fact_id", "indicator__code", "value"
    ):
        stored[(fact_keys[fact_id], code)] = value
    changing = {}
    for w in writes:
        key = (w.date, w.manager_id, w.channel_id)
        if stored.get((key, w.code)) != Decimal(w.value):
            changing[(key, w.code)] = Decimal(w.value)
    hard_check(changing, channel_indicators)
    monotonic = monotonic_channels(channel_indicators)
    counts = {pair: value for pair, value in stored.items() if pair[1] not in MONEY_CODES}
    return soft_check(changing, channel_indicators, counts, monotonic=monotonic)
