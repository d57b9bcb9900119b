"""Dashboard reads: every panel from a fixed handful of grouped sums (metrics.selectors).

`Dashboard` holds one viewer's filters and computes each panel lazily (cached), so a page
costs the same queries whatever the number of channels, managers or days, and a fragment
asked alone costs only what that panel needs.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from channels.models import Channel
from dashboards import charts
from dashboards.labels import range_label
from funnel.models import MAX_STAGES, MONEY_LABELS, DailyCount, DailyFact, Indicator
from metrics import compute
from metrics.compute import ZERO, Comparison, MoneyMetrics, MoneySums
from metrics.reports import (
    MONEY_INDICATORS,
    PlanLine,
    Report,
    build_report,
    valuable_final_product_for,
)
from metrics.selectors import (
    ManagerSums,
    Scope,
    cents,
    channel_catalogue,
    count_sums,
    counts_by_code,
    facts_in,
    manager_pivot,
    manager_plans,
    money_sums,
    working_day_overrides,
)
from teams.membership import calendar_for, members_ever, on_duty
from teams.models import Team, User
from teams.scope import days_visible_to, people_visible_to

MONEY_DRILL_CODES = ("revenue", "invoiced_amount", "payments_count", "variable_costs")
# How far back to look for the last working day (long holidays included).
LOOKBACK_DAYS = 40
DRILL_ROWS_SHOWN = 500
# Long tables show their first rows until the reader asks for all (`?all=NAME`).
LEADERBOARD_SHOWN = 20
CONVERSION_ROWS_SHOWN = 10
EXPANDABLE_TABLES = frozenset({"leaderboard", "conversions"})


def pct_points(value: Decimal | None, places: int = 1) -> Decimal | None:
    """A ratio as the percentage the screen shows: 0.12345 → 12.3 (half-up)."""
    if value is None:
        return None
    return (value * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Filters:
    date_from: dt.date
    date_to: dt.date
    period: str
    channel: Channel | None
    team: Team | None
    manager: User | None
    granularity: str
    stage: str
    today: dt.date
    managers: QuerySet  # who may be listed on the board and in "not reported"
    fact_managers: QuerySet | None  # whose facts are summed; None = every manager's
    mine: bool = False
    viewer: User | None = None
    # Only the facts of days their manager was in one of these teams; None = any team.
    fact_teams: QuerySet | None = None

    @property
    def channel_ids(self) -> tuple[int, ...] | None:
        return (self.channel.pk,) if self.channel else None

    @property
    def scope(self) -> Scope:
        return Scope(
            self.date_from, self.date_to, self.channel_ids, self.fact_managers, self.fact_teams
        )

    @property
    def shows_company(self) -> bool:
        """The valuable final product is the director's (and admin's) number."""
        return bool(self.viewer and self.viewer.sees_everything and not self.mine)


def filters_for(*, cleaned: dict, viewer: User, mine: bool, today: dt.date) -> Filters:
    """Turn a valid filter form into the facts the dashboard sums and the people it lists.

    Facts: a manager filter takes that person's facts (all of them, or — for a head whose
    team they have left — the days they were in the head's teams); a team filter, or a
    head's page, takes the facts of the days their people were in those teams; the
    director's page takes every fact. People: whoever is or was in those teams.
    """
    team, manager = cleaned.get("team"), cleaned.get("manager")
    fact_teams = None
    if mine:
        managers = User.objects.filter(pk=viewer.pk)
        fact_managers = managers
    else:
        managers = people_visible_to(viewer)
        if team is not None:
            fact_teams = Team.objects.filter(pk=team.pk).values("pk")
        elif not viewer.sees_everything:
            fact_teams = viewer.led_teams.values("pk")
        if manager is not None:
            managers = managers.filter(pk=manager.pk)
            fact_managers = managers
            if team is None:
                fact_teams = days_visible_to(viewer, manager)
        else:
            fact_managers = None
            if fact_teams is not None:
                managers = managers.filter(members_ever(fact_teams))
    return Filters(
        date_from=cleaned["date_from"],
        date_to=cleaned["date_to"],
        period=cleaned["period"],
        channel=cleaned.get("channel"),
        team=team,
        manager=manager,
        granularity=cleaned["granularity"],
        stage=cleaned.get("stage") or "",
        today=today,
        managers=managers,
        fact_managers=fact_managers,
        mine=mine,
        viewer=viewer,
        fact_teams=fact_teams,
    )


@dataclass(frozen=True)
class Card:
    key: str
    label: str
    value: Decimal | None
    kind: str  # "money" or "pct"
    change: Decimal | None  # relative change for money, percentage-point difference for "pct"
    previous: Decimal | None
    drill: str = ""

    @property
    def change_shown(self) -> Decimal | None:
        """The change as the percentage (or points) on screen, 1 decimal."""
        return pct_points(self.change)

    @property
    def direction(self) -> str:
        """up, down or flat, from the rounded number the reader sees."""
        shown = self.change_shown
        if not shown:
            return "flat"
        return "up" if shown > 0 else "down"


@dataclass(frozen=True)
class PlanCard:
    plan: Decimal | None
    fact: Decimal | None
    completion: Decimal | None
    forecast: Decimal | None
    forecast_completion: Decimal | None  # the forecast against `forecast_plan`
    label: str = ""  # "Plan for 15 Oct – 14 Nov"
    forecast_plan: Decimal | None = None  # the plan of the span the forecast covers
    forecast_label: str = ""  # that span, when it is not the period

    @property
    def bar_width(self) -> int:
        """Width of the progress bar in percent, full at 100 % and beyond."""
        return int(min(self.completion or 0, 1) * 100)


@dataclass(frozen=True)
class FunnelStage:
    code: str
    name: str
    count: int
    conversion: Decimal | None


@dataclass(frozen=True)
class ChannelFunnel:
    channel: Channel
    stages: list[FunnelStage]
    funnel_conversion: Decimal | None
    money: MoneyMetrics

    @property
    def is_empty(self) -> bool:
        return not any(stage.count for stage in self.stages)


@dataclass(frozen=True)
class Bucket:
    start: dt.date
    end: dt.date
    label: str


@dataclass(frozen=True)
class TrendSeries:
    channel: Channel
    revenue: list[Decimal]
    stage: list[int]


@dataclass(frozen=True)
class Trend:
    granularity: str
    stage_code: str
    stage_name: str
    buckets: list[Bucket]
    series: list[TrendSeries]
    stage_choices: list[tuple[str, str]]

    @property
    def is_empty(self) -> bool:
        return not any(any(s.revenue) or any(s.stage) for s in self.series)


@dataclass(frozen=True)
class LeaderRow:
    rank: int
    manager: User
    plan: Decimal | None
    revenue: Decimal
    completion: Decimal | None
    forecast: Decimal | None
    conversions: list[Decimal | None]  # funnel conversion per channel of the catalogue


@dataclass(frozen=True)
class ConvCell:
    indicator_code: str
    count: int
    conversion: Decimal | None
    style: str


class ConvRow:
    """One manager's counts per stage of a channel (manager None: the channel's total).

    The cells (conversions and their colour against the channel's own) are built when read:
    the page shows a few rows of hundreds, the export all of them.
    """

    def __init__(
        self,
        manager: User | None,
        codes: list[str],
        counts: list[int],
        reference: list[Decimal | None],
    ):
        self.manager, self.codes, self.counts, self.reference = manager, codes, counts, reference

    @cached_property
    def cells(self) -> list[ConvCell]:
        conversions = compute.stage_conversions(self.counts)
        return [
            ConvCell(code, n, c, _conversion_style(c, ref) if self.manager else "")
            for code, n, c, ref in zip(
                self.codes, self.counts, conversions, self.reference, strict=True
            )
        ]


@dataclass(frozen=True)
class ConvBlock:
    channel: Channel
    stage_names: list[str]
    rows: list[ConvRow]
    total: ConvRow


@dataclass(frozen=True)
class Shown:
    """The rows of a long table on the screen: the first few, or all when asked for."""

    rows: list
    total: int

    @property
    def truncated(self) -> bool:
        return len(self.rows) < self.total


@dataclass(frozen=True)
class PlanRow:
    channel: Channel | None  # None: all channels
    indicator: str
    indicator_name: str
    plan: Decimal | int
    fact: Decimal | int
    completion: Decimal | None
    forecast: Decimal | int | None

    @property
    def is_money(self) -> bool:
        return self.indicator in MONEY_INDICATORS


def _plan_row(channel: Channel | None, name: str, line: PlanLine) -> PlanRow:
    """A report's plan line as shown: money with kopecks, counts (and their run rate) whole."""
    if line.indicator in MONEY_INDICATORS:
        return PlanRow(
            channel, line.indicator, name, line.plan, line.fact, line.completion, line.forecast
        )

    def whole(value):
        return None if value is None else int(Decimal(value).quantize(1, ROUND_HALF_UP))

    return PlanRow(
        channel,
        line.indicator,
        name,
        whole(line.plan),
        whole(line.fact),
        line.completion,
        whole(line.forecast),
    )


@dataclass(frozen=True)
class TeamRank:
    rank: int | None
    of: int
    team: Team | None
    row: LeaderRow | None


@dataclass(frozen=True)
class DrillRow:
    date: dt.date
    manager: str
    channel: str
    value: Decimal | int


@dataclass(frozen=True)
class Drill:
    code: str
    label: str
    kind: str  # "money" or "count"
    date_from: dt.date
    date_to: dt.date
    channel: Channel | None
    manager: User | None
    rows: list[DrillRow]
    total: Decimal | int

    @property
    def shown(self) -> list[DrillRow]:
        return self.rows[:DRILL_ROWS_SHOWN]

    @property
    def truncated(self) -> bool:
        return len(self.rows) > DRILL_ROWS_SHOWN


def _conversion_style(value: Decimal | None, reference: Decimal | None) -> str:
    """Background from red (well below the channel's own conversion) to green (well above)."""
    if value is None or not reference:
        return ""
    score = min(max(float(value / reference), 0.5), 1.5) - 0.5  # 0 … 1
    return f"background-color: hsl({round(score * 120)} 65% 86%)"


class Dashboard:
    """The panels of one dashboard request; each property runs its queries once, on demand."""

    def __init__(self, filters: Filters, *, drill_url=None, show_all=()):
        self.f = filters
        # Builds the URL of the facts behind a number, keeping the current filters.
        self.drill_url = drill_url or (lambda **params: "")
        # The tables shown whole; any other name means nothing.
        self.show_all = EXPANDABLE_TABLES.intersection(show_all)

    def _shown(self, table: str, rows: list, limit: int) -> Shown:
        return Shown(rows if table in self.show_all else rows[:limit], len(rows))

    # --- shared sums -------------------------------------------------------------------
    @cached_property
    def catalogue(self) -> list[Channel]:
        channels = channel_catalogue(self.f.channel_ids)
        if self.f.mine and self.f.channel is None:
            # A manager's own page: the channels they work in, or had numbers in.
            own = set(self.f.viewer.channels.values_list("pk", flat=True))
            own |= {channel_id for _manager, channel_id in self.pivot}
            channels = [c for c in channels if c.pk in own]
        return channels

    @cached_property
    def pivot(self) -> dict[tuple, ManagerSums]:
        """{(manager, channel): sums}: the leaderboard's and the conversion table's numbers
        in one query on the per-manager pivot."""
        return manager_pivot(self.f.scope, as_of=self.f.today)

    @cached_property
    def stages_mc(self) -> dict[tuple[int, int], list[int]]:
        """{(manager id, channel id): counts of the channel's stages in funnel order}, for
        the channels shown and the managers with any number there."""
        result: dict[tuple[int, int], list[int]] = {}
        if any(len(c.stage_list) > MAX_STAGES for c in self.catalogue):
            # Only an admin bypassing the channel validation gets here: the pivot keeps six.
            counts = count_sums(self.f.scope, ("manager", "channel"))
            stage_ids = {c.id: [s.id for s in c.stage_list] for c in self.catalogue}
            for manager_id, channel_id, _indicator in counts:
                if channel_id in stage_ids and (manager_id, channel_id) not in result:
                    result[manager_id, channel_id] = [
                        counts.get((manager_id, channel_id, s), 0) for s in stage_ids[channel_id]
                    ]
            return result
        widths = {c.id: len(c.stage_list) for c in self.catalogue}
        for (manager_id, channel_id), sums in self.pivot.items():
            width = widths.get(channel_id)
            if width is None:
                continue
            found = result.get((manager_id, channel_id))
            if found is None:
                result[manager_id, channel_id] = list(sums.stages[:width])
            else:
                for i in range(width):
                    found[i] += sums.stages[i]
        return result

    @cached_property
    def previous_range(self) -> Comparison | None:
        """What "vs previous period" compares (compute.previous_period): the period, or its
        part before today, with the previous range; None when nothing has elapsed yet."""
        return compute.previous_period(
            self.f.date_from, self.f.date_to, as_of=self.f.today, overrides=self.overrides
        )

    @cached_property
    def money_previous(self) -> MoneySums:
        """Money of the previous range in the filters' scope. One query (none without one)."""
        if self.previous_range is None:
            return MoneySums()
        start, end = self.previous_range.previous
        scope = Scope(start, end, self.f.channel_ids, self.f.fact_managers, self.f.fact_teams)
        return sum(money_sums(scope, ("channel",)).values(), MoneySums())

    @cached_property
    def money_compared(self) -> MoneySums:
        """Money of the compared part of the period: the period's own sums, or — while the
        period holds today — those of its part before today (one query)."""
        comparison = self.previous_range
        if comparison is None or comparison.current == (self.f.date_from, self.f.date_to):
            return self.money_total
        start, end = comparison.current
        scope = Scope(start, end, self.f.channel_ids, self.f.fact_managers, self.f.fact_teams)
        return sum(money_sums(scope, ("channel",)).values(), MoneySums())

    @cached_property
    def compared_label(self) -> str:
        """ "Compared: 1–4 Dec with 1–4 Nov", or "" without a comparison."""
        comparison = self.previous_range
        if comparison is None:
            return ""
        return _("Compared: %(current)s with %(previous)s") % {
            "current": range_label(*comparison.current),
            "previous": range_label(*comparison.previous),
        }

    @cached_property
    def period_label(self) -> str:
        """ "15 Oct – 14 Nov", "November 2026"."""
        return range_label(self.f.date_from, self.f.date_to)

    @cached_property
    def plan_label(self) -> str:
        """ "Plan for 15 Oct – 14 Nov", "Plan for November 2026"."""
        return _("Plan for %(period)s") % {"period": self.period_label}

    @cached_property
    def money_total(self) -> MoneySums:
        return sum(self.channel_money.values(), MoneySums())

    @cached_property
    def overrides(self) -> dict[dt.date, bool]:
        """The holiday list from well before the period (its previous period and whole
        months, the last working day) to the end of the later of its and today's month."""
        length = (self.f.date_to - self.f.date_from).days + 1
        back = self.f.date_from - dt.timedelta(days=2 * length + LOOKBACK_DAYS)
        start = min(back.replace(day=1), self.f.today - dt.timedelta(days=LOOKBACK_DAYS))
        end = max(compute.month_bounds(self.f.date_to)[1], compute.month_bounds(self.f.today)[1])
        return working_day_overrides(start, end)

    @cached_property
    def last_working_day(self) -> dt.date:
        day = self.f.today - dt.timedelta(days=1)
        for _step in range(LOOKBACK_DAYS):
            if compute.is_working_day(day, self.overrides):
                return day
            day -= dt.timedelta(days=1)
        return self.f.today - dt.timedelta(days=1)

    @cached_property
    def managers(self) -> list[User]:
        """The people on the board: everyone with numbers in the period (people who left
        marked as former), and the active members of the teams in scope, each marked
        whether they reported the last working day and whether they had to."""
        day = self.last_working_day
        reported = DailyFact.objects.filter(manager=OuterRef("pk"), date=day)
        works = User.channels.through.objects.filter(user=OuterRef("pk"))
        if self.f.channel is not None:
            # A channel's view: a report on that channel, due from those who work in it.
            reported = reported.filter(channel=self.f.channel)
            works = works.filter(channel=self.f.channel)
        with_numbers = {manager_id for manager_id, _channel in self.pivot}
        # Only what the panels and exports show: hundreds of rows on a director's board, and
        # each team built once rather than once per member (select_related would).
        people = [
            person
            for person in self.f.managers.only(
                "username", "full_name", "role", "is_active", "team_id", "date_joined", "left_on"
            )
            .annotate(has_reported=Exists(reported), reports=Exists(works))
            .order_by("full_name", "username")
            if person.pk in with_numbers or (person.is_active and self._in_scope_now(person))
        ]
        teams = {t.pk: t for t in Team.objects.filter(pk__in={p.team_id for p in people})}
        calendar = calendar_for(people)
        scope_teams = self.scope_team_ids
        for person in people:
            person.team = teams.get(person.team_id)
            person.on_duty = (
                person.is_active
                and person.reports
                and on_duty(person, day)
                and (scope_teams is None or calendar.team_on(person.pk, day) in scope_teams)
            )
        return people

    @cached_property
    def scope_team_ids(self) -> set[int] | None:
        teams = self.f.fact_teams
        return None if teams is None else set(teams.values_list("pk", flat=True))

    def _in_scope_now(self, person: User) -> bool:
        """Whether an active person belongs on the board without numbers: in a team in
        scope now (any team without a team filter)."""
        teams = self.scope_team_ids
        return teams is None or self.f.manager is not None or person.team_id in teams

    # --- headline cards ----------------------------------------------------------------
    @cached_property
    def cards(self) -> list[Card]:
        """The period's figures; the change compares the ranges of `previous_range` (the
        part of the period before today while it runs, like for like)."""
        now = MoneyMetrics.from_sums(self.money_total)
        current = MoneyMetrics.from_sums(self.money_compared)
        before = MoneyMetrics.from_sums(self.money_previous)
        has_before = self.previous_range is not None and bool(
            self.money_previous.revenue or self.money_previous.variable_costs
        )

        def money_card(key: str, label: str, value, compared, previous, drill="") -> Card:
            delta = None
            if has_before and compared is not None and previous:
                delta = compute.change(compared, previous)
            return Card(key, label, value, "money", delta, previous if has_before else None, drill)

        profit_delta = None
        if has_before and current.profitability is not None and before.profitability is not None:
            profit_delta = current.profitability - before.profitability
        return [
            money_card(
                "revenue", _("Revenue"), now.revenue, current.revenue, before.revenue, "revenue"
            ),
            money_card("margin", _("Margin"), now.margin, current.margin, before.margin),
            Card(
                "profitability",
                _("Profitability"),
                now.profitability,
                "pct",
                profit_delta,
                before.profitability if has_before else None,
            ),
            money_card(
                "average_check",
                _("Average check"),
                now.average_check,
                current.average_check,
                before.average_check,
                "payments_count",
            ),
        ]

    @cached_property
    def report(self) -> Report:
        """The metrics engine's report for the filters: plans, completion, forecast."""
        return build_report(scope=self.f.scope, as_of=self.f.today, month_sums=self.month_sums)

    @cached_property
    def month_sums(self) -> tuple[dict, dict] | None:
        """The trend's sums by month and channel, when its buckets lie within months (days,
        months; not weeks): the report's own two queries are then not needed."""
        if self.f.granularity not in ("day", "month"):
            return None
        counts: dict[tuple, int] = defaultdict(int)
        for (when, channel_id, indicator_id), value in self.trend_counts.items():
            counts[when.replace(day=1), channel_id, indicator_id] += value
        money: dict[tuple, MoneySums] = defaultdict(MoneySums)
        for (when, channel_id), sums in self.trend_money.items():
            money[when.replace(day=1), channel_id] += sums
        return dict(counts), dict(money)

    @cached_property
    def plan_card(self) -> PlanCard | None:
        """The revenue plan of the period (prorated by working days), its completion, and
        the month-end forecast against the plan of the span it covers (the period's start to
        the end of today's month)."""
        line = next((p for p in self.report.total.plans if p.indicator == "revenue"), None)
        if line is None:
            return None
        forecast_completion = None
        forecast_label = ""
        if line.forecast is not None:
            forecast_completion = compute.plan_completion(line.forecast, line.forecast_plan)
            month_end = compute.month_bounds(self.f.today)[1]
            if month_end != self.f.date_to:
                forecast_label = range_label(self.f.date_from, month_end)
        return PlanCard(
            line.plan,
            line.fact,
            line.completion,
            line.forecast,
            forecast_completion,
            label=self.plan_label,
            forecast_plan=line.forecast_plan,
            forecast_label=forecast_label,
        )

    # --- funnels -----------------------------------------------------------------------
    @cached_property
    def trend_counts(self) -> dict[tuple, int]:
        """{(bucket start, channel, indicator): total}; the maintained totals when the scope
        allows. Summed over buckets it is also the funnel: one query serves both."""
        return count_sums(self.f.scope, (self.f.granularity, "channel"))

    @cached_property
    def trend_money(self) -> dict[tuple, MoneySums]:
        return money_sums(self.f.scope, (self.f.granularity, "channel"))

    @cached_property
    def channel_counts(self) -> dict[tuple[int, int], int]:
        """{(channel_id, indicator_id): total} over every manager in scope."""
        totals: dict[tuple[int, int], int] = defaultdict(int)
        for (_when, channel_id, indicator_id), value in self.trend_counts.items():
            totals[channel_id, indicator_id] += value
        return totals

    @cached_property
    def channel_money(self) -> dict[int, MoneySums]:
        totals: dict[int, MoneySums] = defaultdict(MoneySums)
        for (_when, channel_id), sums in self.trend_money.items():
            totals[channel_id] += sums
        return totals

    @cached_property
    def funnels(self) -> list[ChannelFunnel]:
        result = []
        for channel in self.catalogue:
            codes = counts_by_code(self.channel_counts, channel)
            metrics = compute.channel_metrics(
                stage_counts=[(s.code, codes[s.code]) for s in channel.stage_list],
                activity_counts=[(a.code, codes[a.code]) for a in channel.activity_list],
                sums=self.channel_money.get(channel.pk, MoneySums()),
            )
            names = {s.code: s.name for s in channel.stage_list}
            stages = [
                FunnelStage(m.code, names[m.code], m.count, m.conversion) for m in metrics.stages
            ]
            result.append(ChannelFunnel(channel, stages, metrics.funnel_conversion, metrics.money))
        return result

    @cached_property
    def has_facts(self) -> bool:
        """Any number in the period: stages or revenue per manager, any money, any count."""
        return bool(self.pivot or self.channel_money) or any(self.channel_counts.values())

    # --- trend -------------------------------------------------------------------------
    @cached_property
    def buckets(self) -> list[Bucket]:
        gran, start, end = self.f.granularity, self.f.date_from, self.f.date_to
        result = []
        if gran == "day":
            day = start
            while day <= end:
                result.append(Bucket(day, day, date_format(day, "j M")))
                day += dt.timedelta(days=1)
        elif gran == "week":
            monday = start - dt.timedelta(days=start.weekday())
            while monday <= end:
                sunday = monday + dt.timedelta(days=6)
                first, last = max(monday, start), min(sunday, end)
                label = f"{date_format(first, 'j M')}–{date_format(last, 'j M')}"
                result.append(Bucket(first, last, label))
                monday += dt.timedelta(days=7)
        else:
            month = start.replace(day=1)
            while month <= end:
                last = compute.month_bounds(month)[1]
                result.append(Bucket(max(month, start), min(last, end), date_format(month, "M Y")))
                month = last + dt.timedelta(days=1)
        return result

    @cached_property
    def stage_choices(self) -> list[tuple[str, str]]:
        """Stage codes of the channels shown, in funnel order, each once."""
        seen: dict[str, str] = {}
        for channel in self.catalogue:
            for stage in channel.stage_list:
                seen.setdefault(stage.code, stage.name)
        return list(seen.items())

    @cached_property
    def trend(self) -> Trend:
        gran = self.f.granularity
        choices = self.stage_choices
        codes = [code for code, _name in choices]
        stage = (
            self.f.stage
            if self.f.stage in codes
            else ("invoices_issued" if "invoices_issued" in codes else (codes[0] if codes else ""))
        )
        money, counts = self.trend_money, self.trend_counts
        key_of = {b.start: i for i, b in enumerate(self.buckets)}

        def bucket_index(value: dt.date) -> int | None:
            # Week and month keys are the period's first day, which may precede the range.
            return key_of.get(max(value, self.f.date_from))

        series = []
        for channel in self.catalogue:
            revenue = [ZERO] * len(self.buckets)
            stage_counts = [0] * len(self.buckets)
            stage_ids = {s.pk for s in channel.stage_list if s.code == stage}
            for (when, channel_id), sums in money.items():
                index = bucket_index(when)
                if channel_id == channel.pk and index is not None:
                    revenue[index] += sums.revenue
            for (when, channel_id, indicator_id), value in counts.items():
                index = bucket_index(when)
                if channel_id == channel.pk and indicator_id in stage_ids and index is not None:
                    stage_counts[index] += value
            series.append(TrendSeries(channel, revenue, stage_counts))
        return Trend(gran, stage, dict(choices).get(stage, ""), self.buckets, series, choices)

    # --- leaderboard -------------------------------------------------------------------
    def _revenue_plans(self, managers, scope: Scope) -> dict[int, Decimal]:
        """Each manager's own revenue plans over the months the period touches (the part
        of the days in the scope's teams, under a team's view)."""
        plans = manager_plans(scope=scope, indicator="revenue", managers=managers)
        return {
            manager_id: compute.money(sum(months.values(), Decimal(0)))
            for manager_id, months in plans.items()
        }

    @property
    def forecast_basis(self) -> dt.date | None:
        """The last day whose facts a forecast counts (the day before today), while the
        period contains today; None otherwise."""
        if self.f.date_from <= self.f.today <= self.f.date_to:
            return self.f.today - dt.timedelta(days=1)
        return None

    @cached_property
    def run_rate_days(self) -> tuple[int, int] | None:
        """The current month's run-rate days (the same for every manager), or None."""
        today = self.f.today
        if not self.f.date_from <= today <= self.f.date_to:
            return None
        return compute.run_rate_days(
            month=today.replace(day=1),
            as_of=today,
            overrides=self.overrides,
            start=self.f.date_from,
        )

    def _forecast(self, earlier: Decimal, run: Decimal) -> Decimal | None:
        """As the report forecasts: the facts of the period's months before this one plus
        the run rate of this month's facts dated before today; only while the period
        contains today."""
        days = self.run_rate_days
        if days is None:
            return None
        return compute.money(earlier + compute.run_rate(run, days))

    def _board(
        self, managers: list[User], pivot: dict[tuple, ManagerSums], plans: dict
    ) -> list[LeaderRow]:
        """Rows from the per-manager pivot and plans per manager."""
        revenue: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])  # kopecks
        for (manager_id, _channel), sums in pivot.items():
            found = revenue[manager_id]
            found[0] += sums.revenue_units
            found[1] += sums.earlier_units
            found[2] += sums.run_units
        rows = []
        channel_ids = [c.id for c in self.catalogue]
        stages = self.stages_mc
        for manager in managers:
            total, earlier, run = (cents(u) for u in revenue.get(manager.id) or (0, 0, 0))
            fact = compute.money(total)
            plan = plans.get(manager.id)
            conversions = []
            for channel_id in channel_ids:
                counts = stages.get((manager.id, channel_id))
                conversions.append(compute.funnel_conversion(counts) if counts else None)
            rows.append(
                LeaderRow(
                    0,
                    manager,
                    plan,
                    fact,
                    compute.plan_completion(fact, plan),
                    self._forecast(earlier, run),
                    conversions,
                )
            )
        # Ranked by completion of their own plan; without a plan, after everyone, by revenue.
        rows.sort(
            key=lambda r: (
                r.completion is None,
                -(r.completion or 0),
                -r.revenue,
                r.manager.display_name,
            )
        )
        return [
            LeaderRow(i, r.manager, r.plan, r.revenue, r.completion, r.forecast, r.conversions)
            for i, r in enumerate(rows, start=1)
        ]

    @cached_property
    def leaderboard(self) -> list[LeaderRow]:
        return self._board(
            self.managers, self.pivot, self._revenue_plans(self.f.managers, self.f.scope)
        )

    @property
    def leaderboard_shown(self) -> Shown:
        return self._shown("leaderboard", self.leaderboard, LEADERBOARD_SHOWN)

    @cached_property
    def team_rank(self) -> TeamRank:
        """The manager's place among their team, by completion of the revenue plan."""
        viewer = self.f.viewer
        team = viewer.team if viewer else None
        if team is None:
            return TeamRank(None, 0, None, None)
        # The team's board as its head sees it: its members' days in the team.
        members = User.objects.filter(team=team, role=User.Role.MANAGER, is_active=True)
        teams = Team.objects.filter(pk=team.pk).values("pk")
        scope = Scope(self.f.date_from, self.f.date_to, self.f.channel_ids, members, teams)
        board = self._board(
            list(members.order_by("full_name", "username")),
            manager_pivot(scope, as_of=self.f.today),
            self._revenue_plans(members, scope),
        )
        mine = next((row for row in board if row.manager.pk == viewer.pk), None)
        return TeamRank(mine.rank if mine else None, len(board), team, mine)

    # --- channel × stage × manager -----------------------------------------------------
    @cached_property
    def conversion_blocks(self) -> list[ConvBlock]:
        blocks = []
        # The channel's total from the managers' sums already read (the funnel's numbers,
        # without the funnel's own queries).
        by_channel: dict[int, list[int]] = {}
        for (_manager, channel_id), counts in self.stages_mc.items():
            found = by_channel.setdefault(channel_id, [0] * len(counts))
            for i, value in enumerate(counts):
                found[i] += value
        for channel in self.catalogue:
            stage_counts = by_channel.get(channel.id) or [0] * len(channel.stage_list)
            reference = compute.stage_conversions(stage_counts)
            codes = [s.code for s in channel.stage_list]
            total = ConvRow(None, codes, stage_counts, reference)
            ranked = []
            for manager in self.managers:
                counts = self.stages_mc.get((manager.id, channel.id))
                if not counts or not any(counts):
                    continue
                row = ConvRow(manager, codes, counts, reference)
                ranked.append((compute.funnel_conversion(counts), row))
            # Worst funnel conversion first: where the head looks for lost clients. Without
            # a first stage there is no conversion: after everyone, by name.
            ranked.sort(
                key=lambda item: (item[0] is None, item[0] or 0, item[1].manager.display_name)
            )
            rows = [row for _conversion, row in ranked]
            names = [s.name for s in channel.stage_list]
            blocks.append(ConvBlock(channel, names, rows, total))
        return blocks

    @property
    def conversion_tables(self) -> list[tuple[ConvBlock, Shown]]:
        """Each channel's block with the manager rows on the screen."""
        return [
            (block, self._shown("conversions", block.rows, CONVERSION_ROWS_SHOWN))
            for block in self.conversion_blocks
        ]

    # --- plan vs fact ------------------------------------------------------------------
    def _indicator_name(self, code: str, channel: Channel | None) -> str:
        if code in ("margin", "revenue"):
            return _("Margin") if code == "margin" else _("Revenue")
        if code in MONEY_LABELS:
            return str(MONEY_LABELS[code])
        for ch in [channel] if channel else self.catalogue:
            for indicator in (*ch.stage_list, *ch.activity_list):
                if indicator.code == code:
                    return indicator.name
        return code

    @cached_property
    def plan_rows(self) -> list[PlanRow]:
        report = self.report
        rows = [
            _plan_row(c.channel, self._indicator_name(line.indicator, c.channel), line)
            for c in report.channels
            for line in c.plans
        ]
        rows += [
            _plan_row(None, self._indicator_name(line.indicator, None), line)
            for line in report.total.plans
        ]
        return rows

    # --- who has not reported ----------------------------------------------------------
    @cached_property
    def not_reported(self) -> list[User]:
        """Who had to report the last working day and did not: joined by then, not left,
        in a team in scope on that day."""
        return [m for m in self.managers if m.on_duty and not m.has_reported]

    # --- the company's valuable final product ------------------------------------------
    @cached_property
    def vfp(self):
        """The company's valuable final product for the period, whatever the team, channel
        or manager filter: the same comparison as the cards, expenses prorated."""
        if not self.f.shows_company:
            return None
        return valuable_final_product_for(
            date_from=self.f.date_from,
            date_to=self.f.date_to,
            as_of=self.f.today,
            overrides=self.overrides,
        )

    @property
    def vfp_filtered(self) -> bool:
        """Whether a filter is set that the company-wide panel ignores."""
        return bool(self.f.team or self.f.channel or self.f.manager)

    @cached_property
    def vfp_result_label(self) -> str:
        """The range the result covers, when it is not the whole period (the part before
        today of a period that runs)."""
        vfp = self.vfp
        if vfp is None or vfp.result_range in (None, (vfp.date_from, vfp.date_to)):
            return ""
        return _("Result over %(period)s") % {"period": range_label(*vfp.result_range)}

    # --- charts ------------------------------------------------------------------------
    @cached_property
    def funnel_figures(self) -> list[tuple[ChannelFunnel, dict | None, str]]:
        """(funnel, figure, id of its JSON element) per channel."""
        return [
            (f, charts.funnel_figure(f, drill=self.drill_url), f"fig-funnel-{f.channel.code}")
            for f in self.funnels
        ]

    @cached_property
    def trend_figures(self) -> dict[str, dict]:
        return charts.trend_figures(self.trend, drill=self.drill_url)

    @cached_property
    def leaderboard_figure(self) -> dict | None:
        """The top of the board only, whatever the table shows: the figure stays small."""
        return charts.leaderboard_figure(self.leaderboard[:LEADERBOARD_SHOWN], drill=self.drill_url)


def drill(
    filters: Filters,
    *,
    code: str,
    channel: Channel | None,
    manager: User | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> Drill:
    """The daily values behind one number, within the filters. One query."""
    start = max(date_from or filters.date_from, filters.date_from)
    end = min(date_to or filters.date_to, filters.date_to)
    channel_ids = (channel.pk,) if channel else filters.channel_ids
    managers = filters.fact_managers
    if manager is not None:
        managers = User.objects.filter(pk=manager.pk)
    # Within the filters' teams too: a number on a team's board is its days in the team.
    scope = Scope(start, end, channel_ids, managers, filters.fact_teams)
    facts = facts_in(scope)
    rows: list[DrillRow] = []
    if code in MONEY_DRILL_CODES:
        kind = "count" if code == "payments_count" else "money"
        label = str(MONEY_LABELS[code])
        for fact in facts.select_related("manager", "channel").order_by(
            "-date", "manager__full_name", "manager__username", "channel__display_order"
        ):
            value = getattr(fact, code)
            if value:
                rows.append(
                    DrillRow(fact.date, fact.manager.display_name, fact.channel.name, value)
                )
    else:
        kind = "count"
        indicator = Indicator.objects.filter(code=code).order_by("channel__display_order").first()
        if indicator is None:
            raise Indicator.DoesNotExist(code)
        label = indicator.name
        counts = (
            DailyCount.objects.filter(fact__in=facts, indicator__code=code, value__gt=0)
            .select_related("fact__manager", "fact__channel")
            .order_by(
                "-fact__date",
                "fact__manager__full_name",
                "fact__manager__username",
                "fact__channel__display_order",
            )
        )
        for count in counts:
            rows.append(
                DrillRow(
                    count.fact.date,
                    count.fact.manager.display_name,
                    count.fact.channel.name,
                    count.value,
                )
            )
    total = sum((r.value for r in rows), Decimal(0) if kind == "money" else 0)
    return Drill(code, label, kind, start, end, channel, manager, rows, total)
