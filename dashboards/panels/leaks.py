"""Where the money leaks: each manager's stage gaps priced in money (metrics.leaks), from
the per-manager sums the page reads already and one query for the planned conversions."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from channels.models import Channel
from metrics import compute
from metrics.leaks import Leak, reference_conversion, stage_leaks
from metrics.plan_selectors import stage_plans
from metrics.selectors import cents
from teams.models import User

LEAKS_ON_DASHBOARD = 3


class LeakRow(NamedTuple):
    """A leak with what a table shows of it (a named tuple: thousands a request)."""

    manager: User
    channel: Channel
    stage_code: str
    stage_name: str
    previous_name: str
    leak: Leak

    @property
    def money(self) -> Decimal:
        return compute.money(self.leak.money)

    @property
    def margin(self) -> Decimal:
        return compute.money(self.leak.margin)


@dataclass(frozen=True)
class LeakTotal:
    """Money lost summed over the rows of a stage of a channel, or of a team."""

    label: str
    channel: Channel | None
    stage_name: str
    money: Decimal
    margin: Decimal
    managers: int


class LeakPanels:
    """The bottleneck finder: rows per manager × channel × stage, ranked by money lost."""

    @cached_property
    def leak_plans(self) -> dict[tuple, Decimal]:
        """The managers' own stage plans over the period's months (one query)."""
        return stage_plans(
            managers=self.f.managers,
            date_from=self.f.date_from,
            date_to=self.f.date_to,
            channel_ids=self.f.channel_ids,
        )

    @cached_property
    def _leak_peers(self) -> dict[tuple[int, int], tuple[list[int], Decimal, Decimal]]:
        """{(manager, channel): (stage counts, revenue, margin)} of the people a reference is
        taken from: everyone in scope, or on a manager's own page their team."""
        widths = {c.id: len(c.stage_list) for c in self.catalogue}
        pivot = self.team_pivot if self.f.mine and self.team_pivot else self.pivot
        result = {}
        for (manager_id, channel_id), sums in pivot.items():
            width = widths.get(channel_id)
            if width is None:
                continue
            counts = list(sums.stages[:width])
            if (manager_id, channel_id) in self.stages_mc and not self.f.mine:
                counts = self.stages_mc[manager_id, channel_id]
            revenue = cents(sums.revenue_units)
            margin = compute.margin(revenue, cents(sums.costs_units))
            result[manager_id, channel_id] = (counts, revenue, margin)
        return result

    @cached_property
    def _peer_teams(self) -> dict[int, int | None]:
        """{manager: their current team}, for the team medians and the team's values."""
        if self.f.mine:
            team = self.f.viewer.team_id
            return {manager_id: team for manager_id, _channel in self._leak_peers}
        return {person.pk: person.team_id for person in self.managers}

    @cached_property
    def leaks(self) -> list[LeakRow]:
        """Every gap with money lost, reliable ones (enough at the previous stage) first,
        each part by money lost, largest first."""
        peers, teams = self._leak_peers, self._peer_teams
        by_team: dict[tuple, list] = defaultdict(list)
        for (manager_id, channel_id), found in peers.items():
            by_team[teams.get(manager_id), channel_id].append(found)
            by_team["all", channel_id].append(found)
        people = {person.pk: person for person in self.managers}
        groups: dict[tuple, tuple] = {}

        def group_of(team, channel, width: int) -> tuple:
            """(counts, revenue, margin, team medians per stage) of a team in a channel,
            worked out once per team however many managers it has."""
            key = (team, channel.id)
            if key not in groups:
                group = by_team.get(key) or by_team["all", channel.id]
                everyone = by_team["all", channel.id]
                medians = [(None, "")]
                for i in range(1, width):
                    found = reference_conversion(peers=[(g[0][i - 1], g[0][i]) for g in group])
                    if found[0] is None:
                        found = reference_conversion(
                            peers=[(g[0][i - 1], g[0][i]) for g in everyone]
                        )
                    medians.append(found)
                groups[key] = (
                    [sum(g[0][i] for g in group) for i in range(width)],
                    sum((g[1] for g in group), Decimal(0)),
                    sum((g[2] for g in group), Decimal(0)),
                    medians,
                )
            return groups[key]

        rows = []
        plans = self.leak_plans
        planned_for = {(manager_id, channel_id) for manager_id, channel_id, _code in plans}
        for channel in self.catalogue:
            stages = channel.stage_list
            # (code, name) of each stage, looked up once (a name follows the language).
            names = [(stage.code, stage.name) for stage in stages]
            for manager_id, person in people.items():
                own = peers.get((manager_id, channel.id))
                if own is None or (self.f.mine and manager_id != self.f.viewer.pk):
                    continue
                team_counts, team_revenue, team_margin, medians = group_of(
                    teams.get(manager_id), channel, len(stages)
                )
                references = medians  # without a stage plan of theirs: the team's medians
                if (manager_id, channel.id) in planned_for:
                    references = [(None, "")]
                    for i in range(1, len(stages)):
                        planned = (
                            plans.get((manager_id, channel.id, names[i - 1][0])),
                            plans.get((manager_id, channel.id, names[i][0])),
                        )
                        reference = medians[i]
                        if planned[0] and planned[1] is not None:
                            reference = reference_conversion(planned=planned)
                        references.append(reference)
                found = stage_leaks(
                    manager_id=manager_id,
                    channel_id=channel.id,
                    counts=own[0],
                    revenue=own[1],
                    margin=own[2],
                    team_counts=team_counts,
                    team_revenue=team_revenue,
                    team_margin=team_margin,
                    references=references,
                    gaps_only=True,  # the rest lose nothing: no row
                )
                for leak in found:
                    if leak.money <= 0 and leak.margin <= 0:
                        continue
                    i = leak.stage_index
                    code, name = names[i]
                    rows.append(LeakRow(person, channel, code, name, names[i - 1][1], leak))
        rows.sort(
            key=lambda r: (
                r.leak.small_sample,
                -r.leak.money,
                -r.leak.margin,
                r.manager.display_name,
            )
        )
        return rows

    @property
    def leaks_top(self) -> list[LeakRow]:
        """The dashboard's panel: the largest reliable leaks."""
        return [row for row in self.leaks if not row.leak.small_sample][:LEAKS_ON_DASHBOARD]

    @cached_property
    def leaks_by_stage(self) -> list[LeakTotal]:
        """Where the department loses most: each channel's stage, over its managers (rows
        with enough at the previous stage only)."""
        totals: dict[tuple, list] = {}
        for row in self.leaks:
            if row.leak.small_sample:
                continue
            key = (row.channel.id, row.leak.stage_index)
            found = totals.setdefault(key, [row, Decimal(0), Decimal(0), 0])
            found[1] += row.leak.money
            found[2] += row.leak.margin
            found[3] += 1
        result = [
            LeakTotal(
                f"{row.previous_name} → {row.stage_name}",
                row.channel,
                row.stage_name,
                compute.money(money),
                compute.money(margin),
                count,
            )
            for row, money, margin, count in totals.values()
        ]
        return sorted(result, key=lambda t: -t.money)

    @cached_property
    def leaks_by_team(self) -> list[LeakTotal]:
        """The same per team (the managers' current teams)."""
        totals: dict[int | None, list] = {}
        for row in self.leaks:
            if row.leak.small_sample:
                continue
            team = getattr(row.manager, "team", None)
            found = totals.setdefault(
                row.manager.team_id, [team.name if team else "—", Decimal(0), Decimal(0), set()]
            )
            found[1] += row.leak.money
            found[2] += row.leak.margin
            found[3].add(row.manager.pk)
        result = [
            LeakTotal(name, None, "", compute.money(money), compute.money(margin), len(people))
            for name, money, margin, people in totals.values()
        ]
        return sorted(result, key=lambda t: -t.money)
