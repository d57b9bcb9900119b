"""Review flags: what a head should look at in the numbers managers report themselves.

The rules (docs/metrics.md, "Review flags") are pure functions over plain rows (`Fact`,
`Change`, `ChannelInfo`), so that tests — hypothesis among them — drive them directly;
`review_read` loads the rows of a whole scope in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from funnel import plausibility
from funnel.decisions import ReviewDecision
from funnel.models import MONEY_CODES, MONEY_DECIMAL_CODES, DailyCount, DailyFact, FactChange
from metrics.compute import is_working_day, month_bounds
from metrics.selectors import channel_catalogue, working_day_overrides

Kind = ReviewDecision.Kind
REPEAT_DAYS = 5  # working days in a row with the same stage counts
MONTH_END_DAYS = 2  # the month's last working days whose edits are weighed
MONTH_END_SHARE = Decimal("0.2")  # more than this share of the month's value changed


@dataclass(frozen=True)
class Fact:
    """One manager's numbers of one channel and day: {code: value}, a count never entered
    absent. `in_scope`: the day is in the viewer's teams (the history reads every day)."""

    manager_id: int
    channel_id: int
    day: dt.date
    values: dict[str, Decimal]
    in_scope: bool = True


@dataclass(frozen=True)
class Change:
    """One history row: the fact's manager, channel and day, the value's code, old and new,
    whether a leader (anyone but the manager) made it, and the local day it was made."""

    manager_id: int
    channel_id: int
    day: dt.date
    code: str
    old: Decimal | None
    new: Decimal
    by_leader: bool
    on: dt.date
    in_scope: bool = True


@dataclass(frozen=True)
class ChannelInfo:
    id: int
    code: str
    stages: tuple[str, ...]


@dataclass
class Flag:
    kind: str
    manager_id: int
    date_from: dt.date
    date_to: dt.date
    channel_code: str = ""
    code: str = ""
    value: Decimal | None = None  # the value flagged (a count, money, a sum of edits)
    reference: Decimal | None = None  # what it is compared with (the limit, the stage before)
    decision: ReviewDecision | None = None

    @property
    def key(self) -> tuple:
        return (
            self.manager_id,
            self.kind,
            self.date_from,
            self.date_to,
            self.channel_code,
            self.code,
        )

    @property
    def is_open(self) -> bool:
        return self.decision is None


def _sort_key(flag: Flag) -> tuple:
    return (flag.date_to, flag.date_from, flag.manager_id, flag.kind, flag.channel_code, flag.code)


def unusual_flags(
    facts: list[Fact], channels: dict[int, ChannelInfo], date_from, date_to, overrides
) -> list[Flag]:
    """A value above max(5 × the manager's median, the floor) (funnel.plausibility): the
    median of the same channel and code over the working days of the 90 days before, on
    which the manager reported the channel (a count not entered there counts 0)."""
    series: dict[tuple[int, int], list[Fact]] = defaultdict(list)
    for fact in sorted(facts, key=lambda f: f.day):
        if is_working_day(fact.day, overrides):
            series[fact.manager_id, fact.channel_id].append(fact)
    flags = []
    for fact in facts:
        if not (fact.in_scope and date_from <= fact.day <= date_to) or fact.channel_id not in (
            channels
        ):
            continue
        past = series[fact.manager_id, fact.channel_id]
        days = [f.day for f in past]
        start = bisect_left(days, fact.day - dt.timedelta(days=plausibility.HISTORY_DAYS))
        history = past[start : bisect_left(days, fact.day)]
        for code, value in fact.values.items():
            if value <= 0:
                continue
            money = code in MONEY_DECIMAL_CODES
            usual = plausibility.median(f.values.get(code, Decimal(0)) for f in history)
            if plausibility.is_unusual(value, usual, money=money):
                flags.append(
                    Flag(
                        Kind.UNUSUAL,
                        fact.manager_id,
                        fact.day,
                        fact.day,
                        channels[fact.channel_id].code,
                        code,
                        value=value,
                        reference=plausibility.soft_limit(usual, money=money),
                    )
                )
    return flags


def repeated_flags(
    facts: list[Fact], channels: dict[int, ChannelInfo], date_from, date_to, overrides
) -> list[Flag]:
    """The same stage counts (not all 0) on 5 or more working days in a row of the period
    on which the manager reported the channel; a working day without a report ends a run."""
    by_day: dict[tuple[int, int], dict[dt.date, Fact]] = defaultdict(dict)
    for fact in facts:
        if fact.in_scope and date_from <= fact.day <= date_to and fact.channel_id in channels:
            by_day[fact.manager_id, fact.channel_id][fact.day] = fact
    working = [
        date_from + dt.timedelta(days=i)
        for i in range((date_to - date_from).days + 1)
        if is_working_day(date_from + dt.timedelta(days=i), overrides)
    ]
    flags = []
    for (manager_id, channel_id), days in by_day.items():
        channel = channels[channel_id]
        run: list[dt.date] = []
        previous = None

        def close(run, manager_id=manager_id, channel=channel):
            if len(run) >= REPEAT_DAYS:
                flags.append(
                    Flag(
                        Kind.REPEATED,
                        manager_id,
                        run[0],
                        run[-1],
                        channel.code,
                        "",
                        value=Decimal(len(run)),
                    )
                )

        for day in working:
            fact = days.get(day)
            vector = tuple(fact.values.get(s, Decimal(0)) for s in channel.stages) if fact else None
            if vector is not None and any(vector) and vector == previous:
                run.append(day)
                continue
            close(run)
            run = [day] if vector is not None and any(vector) else []
            previous = vector
        close(run)
    return flags


def zero_flags(facts: list[Fact], date_from, date_to) -> list[Flag]:
    """A day reported (any channel) with every count and money value 0."""
    days: dict[tuple[int, dt.date], bool] = {}
    for fact in facts:
        if fact.in_scope and date_from <= fact.day <= date_to:
            key = (fact.manager_id, fact.day)
            days[key] = days.get(key, True) and not any(fact.values.values())
    return [Flag(Kind.ZEROS, m, day, day) for (m, day), zero in days.items() if zero]


def stage_order_flags(
    facts: list[Fact], channels: dict[int, ChannelInfo], date_from, date_to
) -> list[Flag]:
    """A stage whose count over the period is above the previous stage's."""
    sums: dict[tuple[int, int], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for fact in facts:
        if fact.in_scope and date_from <= fact.day <= date_to and fact.channel_id in channels:
            found = sums[fact.manager_id, fact.channel_id]
            for code, value in fact.values.items():
                found[code] += value
    flags = []
    for (manager_id, channel_id), found in sums.items():
        stages = channels[channel_id].stages
        for before, stage in zip(stages, stages[1:], strict=False):
            if found[stage] > found[before]:
                flags.append(
                    Flag(
                        Kind.STAGE_ORDER,
                        manager_id,
                        date_from,
                        date_to,
                        channels[channel_id].code,
                        stage,
                        found[stage],
                        found[before],
                    )
                )
    return flags


def late_edit_flags(
    changes: list[Change], channels: dict[int, ChannelInfo], date_from, date_to, window: int
) -> list[Flag]:
    """A value of a day changed by a leader (not the manager) once the manager's edit
    window for that day had closed: `window` days after the day or later. One flag per
    value; its value is the latest new one, its reference how many such changes."""
    found: dict[tuple, list[Change]] = defaultdict(list)
    for change in changes:
        late = change.on >= change.day + dt.timedelta(days=window)
        if (
            change.by_leader
            and late
            and change.in_scope
            and date_from <= change.day <= date_to
            and change.channel_id in channels
        ):
            found[change.manager_id, change.day, change.channel_id, change.code].append(change)
    return [
        Flag(
            Kind.LATE_EDIT,
            m,
            day,
            day,
            channels[c].code,
            code,
            value=rows[-1].new,
            reference=Decimal(len(rows)),
        )
        for (m, day, c, code), rows in found.items()
    ]


def month_end_days(month: dt.date, overrides) -> list[dt.date]:
    """The month's last MONTH_END_DAYS working days."""
    first, last = month_bounds(month)
    days = [last - dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return sorted([d for d in days if is_working_day(d, overrides)][:MONTH_END_DAYS])


def months_of(date_from: dt.date, date_to: dt.date) -> list[dt.date]:
    months, month = [], date_from.replace(day=1)
    while month <= date_to:
        months.append(month)
        month = month_bounds(month)[1] + dt.timedelta(days=1)
    return months


def month_end_flags(
    facts: list[Fact],
    changes: list[Change],
    channels: dict[int, ChannelInfo],
    date_from,
    date_to,
    overrides,
) -> list[Flag]:
    """For each month of the period: the changes made in its last two working days to its
    earlier days, Σ |new − old| (a first entry from 0), against the month's value of the
    same manager, channel and code; flagged above 20 % of it."""
    flags = []
    for month in months_of(date_from, date_to):
        first, last = month_bounds(month)
        closing = month_end_days(month, overrides)
        if not closing:
            continue
        values: dict[tuple, Decimal] = defaultdict(Decimal)
        for fact in facts:
            if fact.in_scope and first <= fact.day <= last:
                for code, value in fact.values.items():
                    values[fact.manager_id, fact.channel_id, code] += value
        edited: dict[tuple, Decimal] = defaultdict(Decimal)
        for change in changes:
            if (
                change.in_scope
                and first <= change.day < closing[0]
                and closing[0] <= change.on <= last
                and change.channel_id in channels
            ):
                key = (change.manager_id, change.channel_id, change.code)
                edited[key] += abs(change.new - (change.old or 0))
        for (manager_id, channel_id, code), amount in edited.items():
            total = values.get((manager_id, channel_id, code), Decimal(0))
            if amount > 0 and amount > MONTH_END_SHARE * total:
                flags.append(
                    Flag(
                        Kind.MONTH_END,
                        manager_id,
                        first,
                        last,
                        channels[channel_id].code,
                        code,
                        value=amount,
                        reference=total,
                    )
                )
    return flags


@dataclass
class ReviewData:
    date_from: dt.date
    date_to: dt.date
    facts: list[Fact]
    changes: list[Change]
    channels: dict[int, ChannelInfo]
    overrides: dict[dt.date, bool] = field(default_factory=dict)
    window: int = 7


def detect(data: ReviewData) -> list[Flag]:
    """Every flag of the data, in a stable order (latest day first)."""
    args = (data.facts, data.channels, data.date_from, data.date_to)
    flags = [
        *unusual_flags(*args, data.overrides),
        *repeated_flags(*args, data.overrides),
        *zero_flags(data.facts, data.date_from, data.date_to),
        *stage_order_flags(*args),
        *late_edit_flags(data.changes, data.channels, data.date_from, data.date_to, data.window),
        *month_end_flags(
            data.facts, data.changes, data.channels, data.date_from, data.date_to, data.overrides
        ),
    ]
    return sorted(flags, key=_sort_key, reverse=True)


# --- reading a scope ----------------------------------------------------------------------


@dataclass
class Review:
    flags: list[Flag]
    managers: dict[int, object]
    channels: dict[str, object]  # code → Channel (names, stage labels)

    @property
    def open_count(self) -> int:
        return sum(flag.is_open for flag in self.flags)


def _in_scope(teams: QuerySet | None):
    return Q(pk__isnull=False) if teams is None else Q(Exists(teams.filter(pk=OuterRef("team"))))


def review_read(
    *,
    managers: QuerySet,
    date_from: dt.date,
    date_to: dt.date,
    teams: QuerySet | None = None,
    channel_ids: tuple[int, ...] | None = None,
) -> Review:
    """The flags of `managers` over a period: their facts of the days in `teams` (None: any
    day), on `channel_ids` (None: every channel). Eight queries, whatever the number of
    managers and days."""
    people = {m.pk: m for m in managers.order_by("full_name", "username")}
    catalogue = channel_catalogue(channel_ids, include_inactive=True)
    channels = {
        c.pk: ChannelInfo(c.pk, c.code, tuple(s.code for s in c.stage_list)) for c in catalogue
    }
    months = months_of(date_from, date_to)
    load_from = min(months[0], date_from - dt.timedelta(days=plausibility.HISTORY_DAYS))
    load_to = month_bounds(date_to)[1]
    overrides = working_day_overrides(load_from, load_to)
    rows = DailyFact.objects.filter(
        manager__in=managers.values("pk"), date__gte=load_from, date__lte=load_to
    )
    if channel_ids is not None:
        rows = rows.filter(channel_id__in=channel_ids)
    rows = rows.annotate(scoped=_in_scope(teams))
    money = list(MONEY_CODES)
    facts: dict[int, Fact] = {}
    for row in rows.values("id", "manager_id", "channel_id", "date", "scoped", *money):
        values = {code: Decimal(row[code]) for code in money}
        facts[row["id"]] = Fact(
            row["manager_id"], row["channel_id"], row["date"], values, bool(row["scoped"])
        )
    counts = DailyCount.objects.filter(fact__in=rows.values("pk")).values_list(
        "fact_id", "indicator__code", "value"
    )
    for fact_id, code, value in counts:
        if fact_id in facts:
            facts[fact_id].values[code] = Decimal(value)
    changes = _changes_read(rows, months, overrides, date_from, date_to)
    data = ReviewData(
        date_from=date_from,
        date_to=date_to,
        facts=list(facts.values()),
        changes=[
            replace(c, in_scope=facts[fact_id].in_scope)
            for fact_id, c in changes
            if fact_id in facts
        ],
        channels=channels,
        overrides=overrides,
        window=settings.KPI_EDIT_WINDOW_DAYS,
    )
    flags = detect(data)
    decisions = {
        (d.manager_id, d.kind, d.date_from, d.date_to, d.channel_code, d.code): d
        for d in ReviewDecision.objects.filter(
            manager__in=managers.values("pk"), date_to__gte=load_from, date_from__lte=load_to
        ).select_related("decided_by")
    }
    for flag in flags:
        flag.decision = decisions.get(flag.key)
    return Review(flags=flags, managers=people, channels={c.code: c for c in catalogue})


def _changes_read(rows, months, overrides, date_from, date_to) -> list[tuple[int, Change]]:
    """The history the rules weigh: changes of the period's days by someone else than the
    manager, and changes made in the months' last working days. One query."""
    wanted = Q(fact__date__gte=date_from, fact__date__lte=date_to, changed_by__isnull=False) & ~Q(
        changed_by=F("fact__manager")
    )
    tz = timezone.get_current_timezone()
    for month in months:
        closing = month_end_days(month, overrides)
        if closing:
            start = dt.datetime.combine(closing[0], dt.time.min, tzinfo=tz)
            end = dt.datetime.combine(month_bounds(month)[1], dt.time.max, tzinfo=tz)
            wanted |= Q(changed_at__gte=start, changed_at__lte=end)
    history = FactChange.objects.filter(Q(fact__in=rows.values("pk")) & wanted).values_list(
        "fact_id",
        "fact__manager_id",
        "fact__channel_id",
        "fact__date",
        "code",
        "old_value",
        "new_value",
        "changed_by_id",
        "changed_at",
    )
    result = []
    for fact_id, manager, channel, day, code, old, new, by, at in history:
        leader = by is not None and by != manager
        on = timezone.localtime(at).date()
        result.append((fact_id, Change(manager, channel, day, code, old, new, leader, on)))
    return result
