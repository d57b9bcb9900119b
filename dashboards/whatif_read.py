"""Reads of the what-if planner: whom it plans, their history and their revenue target.

The history is the norms' (dashboards.norms): the last HISTORY_DAYS days before today, the
manager's own, or their team's when the manager's is too short (`history_is_enough`).
The arithmetic is metrics.whatif.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet
from django.http import Http404

from dashboards.norms import HISTORY_DAYS, Funnel, history_is_enough
from metrics.compute import MoneySums, month_bounds, working_days
from metrics.plan_selectors import manager_plan_values, plan_sums
from metrics.selectors import (
    Scope,
    channel_catalogue,
    count_sums,
    money_sums,
    working_day_overrides,
)
from metrics.whatif import Levers, history_levers
from teams.models import Team, User
from teams.scope import managers_visible_to, teams_visible_to


@dataclass(frozen=True)
class Who:
    """A team or one manager, and the active managers the plan is for."""

    team: Team | None
    manager: User | None
    managers: tuple[User, ...]

    @property
    def value(self) -> str:
        return f"team-{self.team.pk}" if self.team else f"manager-{self.manager.pk}"

    @property
    def name(self) -> str:
        return self.team.name if self.team else self.manager.display_name

    def in_channel(self, channel) -> list[User]:
        """The managers of the plan who work in `channel` (channels prefetched)."""
        return [m for m in self.managers if any(c.pk == channel.pk for c in m.channels.all())]


def who_choices(user: User) -> tuple[list[Team], list[User]]:
    """The teams and the active managers `user` may plan for."""
    teams = list(teams_visible_to(user).order_by("name"))
    managers = list(managers_visible_to(user).order_by("full_name", "username"))
    return teams, managers


def who_parse(user: User, raw: str | None) -> Who | None:
    """'team-<id>' or 'manager-<id>' among those `user` may see (404 otherwise); empty: the
    first team, else the first manager, else None (nobody to plan for)."""
    managers = managers_visible_to(user).prefetch_related("channels")
    if not raw:
        teams, people = who_choices(user)
        if teams:
            raw = f"team-{teams[0].pk}"
        elif people:
            raw = f"manager-{people[0].pk}"
        else:
            return None
    kind, _sep, pk = raw.partition("-")
    if not pk.isdigit() or len(pk) > 18:
        raise Http404
    if kind == "team":
        team = teams_visible_to(user).filter(pk=int(pk)).first()
        if team is None:
            raise Http404
        members = managers.filter(team=team).order_by("full_name", "username")
        return Who(team=team, manager=None, managers=tuple(members))
    if kind == "manager":
        manager = managers.filter(pk=int(pk)).first()
        if manager is None:
            raise Http404
        return Who(team=None, manager=manager, managers=(manager,))
    raise Http404


def channels_of(who: Who) -> list:
    """The active channels (with their stages) that the plan's managers work in."""
    ids = {c.pk for m in who.managers for c in m.channels.all()}
    return [c for c in channel_catalogue() if c.pk in ids]


@dataclass(frozen=True)
class History:
    funnel: Funnel
    levers: Levers  # as the history shows them
    uses_team: bool  # the manager's own history was too short
    no_history: bool  # neither the manager's nor the team's history is enough
    window: tuple[dt.date, dt.date]


def _funnel(channel, counts: dict, money: dict, member_ids) -> tuple[Funnel, int]:
    """The members' summed funnel in the channel, and how many of them had any count."""
    total = Funnel(stage_counts=tuple((s.code, 0) for s in channel.stage_list))
    active = 0
    for member_id in member_ids:
        sums = money.get((member_id, channel.pk), MoneySums())
        funnel = Funnel(
            stage_counts=tuple(
                (s.code, counts.get((member_id, channel.pk, s.pk), 0)) for s in channel.stage_list
            ),
            payments_count=sums.payments_count,
            revenue=sums.revenue,
            variable_costs=sums.variable_costs,
        )
        if any(n for _code, n in funnel.stage_counts) or funnel.payments_count:
            active += 1
        total = total + funnel
    return total, active


def history_read(who: Who, channels: list, *, today: dt.date) -> dict[int, History]:
    """The last HISTORY_DAYS days before today in each channel: {channel pk: History}. The
    manager's own funnel, or the team's (every current member of the manager's team, or of
    the team planned) when the manager's is too short. Four queries for all the channels."""
    yesterday = today - dt.timedelta(days=1)
    start = yesterday - dt.timedelta(days=HISTORY_DAYS - 1)
    team_id = who.team.pk if who.team else who.manager.team_id
    members = User.objects.filter(role=User.Role.MANAGER, team_id=team_id) if team_id else None
    people = members if who.team else User.objects.filter(pk=who.manager.pk)
    if members is not None and who.manager:
        people = people | members
    ids = tuple(c.pk for c in channels)
    window = Scope(start, yesterday, channel_ids=ids, managers=people)
    counts = count_sums(window, group_by=("manager", "channel"))
    money = money_sums(window, group_by=("manager", "channel"))
    days = working_days(start, yesterday, working_day_overrides(start, yesterday))
    team_ids = list(members.values_list("pk", flat=True)) if members is not None else []
    return {
        channel.pk: _history(who, channel, counts, money, team_ids, days, (start, yesterday))
        for channel in channels
    }


def _history(who: Who, channel, counts, money, team_ids, days, window) -> History:
    own, _own_active = _funnel(channel, counts, money, [who.manager.pk] if who.manager else [])
    team, team_active = _funnel(channel, counts, money, team_ids)
    uses_team = False
    if who.manager and (history_is_enough(own) or not team_ids):
        source, active = own, 1
    else:
        source, active = team, team_active
        uses_team = who.manager is not None and history_is_enough(team)
    no_history = not history_is_enough(source)
    if no_history and who.manager:
        source, active, uses_team = own, 1, False
    levers = history_levers(
        [n for _code, n in source.stage_counts],
        source.payments_count,
        source.revenue,
        managers=len(who.in_channel(channel)) or 1,
        history_managers=active or 1,
        history_days=days,
    )
    return History(
        funnel=source, levers=levers, uses_team=uses_team, no_history=no_history, window=window
    )


def month_working_days(month: dt.date) -> int:
    first, last = month_bounds(month)
    return working_days(first, last, working_day_overrides(first, last))


def revenue_plans(who: Who, month: dt.date) -> dict[int, Decimal]:
    """The month's revenue plan per channel of the team (its team plan, else its managers'
    plans, as the dashboard reads it) or of the manager: {channel pk: value}."""
    if who.manager:
        plans = manager_plan_values(months=[month], managers=[who.manager.pk], indicator="revenue")
        return {channel_id: value for (_m, _month, channel_id, _code), value in plans.items()}
    first, last = month_bounds(month)
    teams: QuerySet = Team.objects.filter(pk=who.team.pk).values("pk")
    plans = plan_sums(scope=Scope(first, last, teams=teams), months=[month])
    return {
        channel_id: value
        for (_month, channel_id, code), value in plans.items()
        if code == "revenue"
    }
