"""The people: leaderboard, conversions by manager, who has not reported, team rank."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.db.models import QuerySet

from channels.models import Channel
from dashboards import charts
from metrics import compute
from metrics.commitments import Accuracy
from metrics.pace import Paced, expected_to_date, is_small_sample
from metrics.plan_selectors import manager_plans
from metrics.selectors import ManagerSums, Scope, cents, manager_pivot, people_with_reports
from teams.membership import calendar_for, on_duty
from teams.models import Team, User

# Long tables show their first rows until the reader asks for all (`?all=NAME`).
LEADERBOARD_SHOWN = 20
CONVERSION_ROWS_SHOWN = 10
EXPANDABLE_TABLES = frozenset({"leaderboard", "conversions", "margin"})


@dataclass(frozen=True)
class LeaderRow(Paced):
    rank: int
    manager: User
    plan: Decimal | None
    revenue: Decimal
    completion: Decimal | None
    forecast: Decimal | None
    conversions: list[Decimal | None]  # funnel conversion per channel of the catalogue
    expected: Decimal | None = None  # the plan expected by the end of the day before today
    fact_to_date: Decimal | None = None  # revenue dated before today
    commitment: Accuracy | None = None  # morning commitments against facts (when switched on)


@dataclass(frozen=True)
class ConvCell:
    indicator_code: str
    count: int
    conversion: Decimal | None
    style: str
    previous: int | None = None  # the previous stage's count: the conversion's sample size
    share_of_first: Decimal | None = None

    @property
    def small_sample(self) -> bool:
        """Too few at the previous stage to read the conversion (greyed, not coloured)."""
        return self.previous is not None and is_small_sample(self.previous)

    signal: str = ""  # "above" or "below" the channel's own conversion: the colour in words


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
        first = self.counts[0] if self.counts else 0
        cells = []
        for i, (code, n, c, ref) in enumerate(
            zip(self.codes, self.counts, conversions, self.reference, strict=True)
        ):
            previous = self.counts[i - 1] if i else None
            small = previous is not None and is_small_sample(previous)
            style, signal = ("", "")
            if self.manager and not small:
                style, signal = _conversion_style(c, ref)
            share = compute.ratio(n, first) if i else None
            cells.append(ConvCell(code, n, c, style, previous, share, signal))
        return cells

    @property
    def ranked(self) -> bool:
        """Whether the row takes part in "worst first": enough at its first stage."""
        return bool(self.counts) and not is_small_sample(self.counts[0])


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
class TeamRank:
    rank: int | None
    of: int
    team: Team | None
    row: LeaderRow | None


def _conversion_style(value: Decimal | None, reference: Decimal | None) -> tuple[str, str]:
    """Background from red (well below the channel's own conversion) to green (well above),
    and the same in words: "below", "above" or "" (equal, or nothing to compare)."""
    if value is None or not reference:
        return "", ""
    score = min(max(float(value / reference), 0.5), 1.5) - 0.5  # 0 … 1
    signal = "above" if value > reference else "below" if value < reference else ""
    return f"background-color: hsl({round(score * 120)} 65% 86%)", signal


class PeoplePanels:
    """Per-manager panels, from one read of the per-manager pivot."""

    @cached_property
    def managers(self) -> list[User]:
        """The people on the board: everyone with numbers in the period (people who left
        marked as former), and the active members of the teams in scope, each marked
        whether they reported the last working day and whether they had to."""
        day = self.last_working_day
        with_numbers = {manager_id for manager_id, _channel in self.pivot}
        channel_id = self.f.channel.pk if self.f.channel else None
        # A channel's view: a report on that channel, due from those who work in it.
        people = [
            person
            for person in people_with_reports(self.f.managers, day=day, channel_id=channel_id)
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

    # --- leaderboard -------------------------------------------------------------------
    def _revenue_plans(self, managers, scope: Scope) -> dict[int, tuple]:
        """Each manager's own revenue plan for the period, prorated by working days (the
        part of the days in the scope's teams, under a team's view), and what it expects
        by the end of yesterday: {manager: (plan, expected or None)}."""
        plans = manager_plans(scope=scope, indicator="revenue", managers=managers)
        f, overrides = self.f, self.overrides
        result = {}
        for manager_id, months in plans.items():
            plan = compute.prorated_plan(months, f.date_from, f.date_to, overrides)
            expected = expected_to_date(
                months, f.date_from, f.date_to, as_of=f.today, overrides=overrides
            )
            result[manager_id] = (
                compute.money(plan),
                None if expected is None else compute.money(expected),
            )
        return result

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
        found = compute.period_forecast(earlier=earlier, before_as_of=run, days=self.run_rate_days)
        return None if found is None else compute.money(found)

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
        over = self.f.today > self.f.date_to
        for manager in managers:
            total, earlier, run = (cents(u) for u in revenue.get(manager.id) or (0, 0, 0))
            fact = compute.money(total)
            plan, expected = plans.get(manager.id, (None, None))
            to_date = None
            if expected is not None:
                to_date = fact if over else compute.money(earlier + run)
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
                    expected,
                    to_date,
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
        return [dataclasses.replace(r, rank=i) for i, r in enumerate(rows, start=1)]

    @cached_property
    def leaderboard(self) -> list[LeaderRow]:
        board = self._board(
            self.managers, self.pivot, self._revenue_plans(self.f.managers, self.f.scope)
        )
        return self.with_commitments(board)

    @property
    def leaderboard_shown(self) -> Shown:
        return self._shown("leaderboard", self.leaderboard, LEADERBOARD_SHOWN)

    @cached_property
    def team_view(self) -> tuple[QuerySet, Scope] | None:
        """The viewer's team as its head sees it (its active managers, their days in the
        team), for a manager's own page; None outside a team."""
        viewer = self.f.viewer
        team = viewer.team if viewer else None
        if team is None:
            return None
        members = User.objects.filter(team=team, role=User.Role.MANAGER, is_active=True)
        teams = Team.objects.filter(pk=team.pk).values("pk")
        return members, Scope(self.f.date_from, self.f.date_to, self.f.channel_ids, members, teams)

    @cached_property
    def team_pivot(self) -> dict[tuple, ManagerSums]:
        """The per-manager sums of the viewer's team (one query; none outside a team)."""
        if self.team_view is None:
            return {}
        return manager_pivot(self.team_view[1], as_of=self.f.today)

    @cached_property
    def team_rank(self) -> TeamRank:
        """The manager's place among their team, by completion of the revenue plan."""
        if self.team_view is None:
            return TeamRank(None, 0, None, None)
        members, scope = self.team_view
        team = self.f.viewer.team
        board = self._board(
            list(members.order_by("full_name", "username")),
            self.team_pivot,
            self._revenue_plans(members, scope),
        )
        mine = next((row for row in board if row.manager.pk == self.f.viewer.pk), None)
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
            # Worst funnel conversion first: where the head looks for lost clients. Fewer
            # than MIN_SAMPLE at the first stage says nothing yet: after everyone, as does
            # a row without a first stage, by name.
            ranked.sort(
                key=lambda item: (
                    not item[1].ranked,
                    item[0] is None,
                    item[0] or 0 if item[1].ranked else 0,
                    item[1].manager.display_name,
                )
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

    # --- who has not reported ----------------------------------------------------------
    @cached_property
    def not_reported(self) -> list[User]:
        """Who had to report the last working day and did not: joined by then, not left,
        in a team in scope on that day."""
        return [m for m in self.managers if m.on_duty and not m.has_reported]

    @cached_property
    def leaderboard_figure(self) -> dict | None:
        """The top of the board only, whatever the table shows: the figure stays small."""
        return charts.leaderboard_figure(self.leaderboard[:LEADERBOARD_SHOWN], drill=self.drill_url)
