"""Plans, as the dashboards, norms, digests and the plan grid read them: one family of
queries (the write rules are plans.services)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet

from metrics.compute import ZERO, month_bounds, months_in, working_days
from metrics.selectors import Scope, from_kopecks, kopeck_sum, working_day_overrides
from plans.models import MonthlyExpense, Plan, PlanChange
from teams.membership import members_ever, team_calendar
from teams.models import User


def plan_sums(*, scope: Scope, months: list[dt.date] | None = None) -> dict[tuple, Decimal]:
    """Plans that apply to the scope: {(month, channel_id, indicator): value}. Two queries,
    three when someone with a plan changed teams inside one of the months.

    `months` defaults to the months the scope's period touches. Which plan applies, the
    way a head of sales reads a plan (docs/metrics.md, "Who counts where"):
    - a team (a view without a manager filter: the company, a head's teams, one team) is
      planned by its team plan where one is set for that month, channel and indicator,
      else by its managers' plans, each prorated by the working days of the month the
      manager spent in the team; the company's plan is the sum over its teams (and the
      plans of managers in no team);
    - a manager (a manager filter) brings their own plan, whole — or, seen by a head of a
      team they have left, prorated to the working days they were in the head's teams.
    """
    months = months_in(scope.date_from, scope.date_to) if months is None else months
    plans = Plan.objects.filter(month__in=months)
    if scope.channel_ids is not None:
        plans = plans.filter(channel_id__in=scope.channel_ids)
    if scope.managers is not None:
        plans = plans.filter(manager__in=scope.managers.values("pk"))
    elif scope.teams is not None:
        ever = User.objects.filter(members_ever(scope.teams)).values("pk")
        plans = plans.filter(Q(manager__in=ever) | Q(team_id__in=scope.teams))
    rows = list(
        plans.values(
            "month", "channel_id", "indicator", "team_id", "manager_id", "manager__team_id"
        )
        .annotate(total=kopeck_sum("value"))
        .order_by()
    )
    team_plans: dict[tuple, Decimal] = {}
    manager_rows = []
    people: dict[int, int | None] = {}  # {manager: current team}
    for row in rows:
        line = (row["month"], row["channel_id"], row["indicator"])
        if row["manager_id"] is None:
            team_plans[(row["team_id"], *line)] = from_kopecks(row["total"])
        else:
            manager_rows.append((row["manager_id"], line, from_kopecks(row["total"])))
            people[row["manager_id"]] = row["manager__team_id"]
    teams = _team_ids(scope)
    result: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    if teams is None and (scope.managers is not None or not team_plans):
        # No team decides anything: every manager's plan counts whole.
        for _manager_id, line, value in manager_rows:
            result[line] += value
        return dict(result)
    shares = _team_shares(people, months)
    if scope.managers is not None:
        for manager_id, line, value in manager_rows:
            for team, share in shares(manager_id, line[0]):
                if team in teams:
                    result[line] += value * share
        return dict(result)
    by_team: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for manager_id, line, value in manager_rows:
        for team, share in shares(manager_id, line[0]):
            if teams is None or team in teams:
                by_team[(team, *line)] += value * share
    for key, value in team_plans.items():
        if teams is None or key[0] in teams:
            result[key[1:]] += value
    for key, value in by_team.items():
        if key not in team_plans:
            result[key[1:]] += value
    return dict(result)


def manager_plans(
    *, scope: Scope, indicator: str, managers: QuerySet
) -> dict[int, dict[dt.date, Decimal]]:
    """Each manager's own plans of `indicator` per month the period touches (over the
    scope's channels): {manager_id: {month: value}}; with `scope.teams`, each prorated to
    the working days of the month the manager was in those teams. Two or three queries."""
    months = months_in(scope.date_from, scope.date_to)
    plans = Plan.objects.filter(manager__in=managers.values("pk"), indicator=indicator)
    plans = plans.filter(month__in=months)
    if scope.channel_ids is not None:
        plans = plans.filter(channel_id__in=scope.channel_ids)
    rows = list(
        plans.values("manager_id", "manager__team_id", "month")
        .annotate(total=kopeck_sum("value"))
        .order_by()
    )
    teams = _team_ids(scope)
    result: dict[int, dict[dt.date, Decimal]] = defaultdict(dict)
    if teams is None:
        for row in rows:
            result[row["manager_id"]][row["month"]] = from_kopecks(row["total"])
        return dict(result)
    shares = _team_shares({row["manager_id"]: row["manager__team_id"] for row in rows}, months)
    for row in rows:
        parts = shares(row["manager_id"], row["month"])
        share = sum((s for team, s in parts if team in teams), Decimal(0))
        if share:
            result[row["manager_id"]][row["month"]] = from_kopecks(row["total"]) * share
    return dict(result)


def _team_ids(scope: Scope) -> set[int] | None:
    """The scope's teams as ids (one query), or None for any team."""
    return None if scope.teams is None else set(scope.teams.values_list("pk", flat=True))


def _team_shares(people: dict[int, int | None], months: list[dt.date]):
    """shares(manager, month) → [(team id or None, share of the month's working days)] of
    these {manager: current team}. One query for the memberships, one for the holidays
    when someone moved inside one of the months."""
    calendar = team_calendar(people)
    overrides: dict[dt.date, bool] | None = None

    def shares(manager_id: int, month: dt.date) -> list[tuple[int | None, Decimal]]:
        nonlocal overrides
        first, last = month_bounds(month)
        days = [
            (max(low or first, first), min(high or last, last), team)
            for low, high, team in calendar.periods(manager_id)
            if (low or first) <= last and (high or last) >= first
        ]
        if len(days) == 1:
            return [(days[0][2], Decimal(1))]
        if overrides is None:
            overrides = working_day_overrides(months[0], month_bounds(months[-1])[1])
        total = working_days(first, last, overrides)
        if not total:  # a month without working days: by calendar days
            return [
                (team, Decimal((hi - lo).days + 1) / ((last - first).days + 1))
                for lo, hi, team in days
            ]
        return [(team, Decimal(working_days(lo, hi, overrides)) / total) for lo, hi, team in days]

    return shares


def manager_plan_values(
    *, months: list[dt.date], managers: QuerySet | list[int], indicator: str | None = None
) -> dict[tuple, Decimal]:
    """Managers' own plans: {(manager_id, month, channel_id, indicator): value}. One query."""
    plans = Plan.objects.filter(month__in=months, manager__in=managers)
    if indicator is not None:
        plans = plans.filter(indicator=indicator)
    return {
        (manager_id, month, channel_id, code): value
        for manager_id, month, channel_id, code, value in plans.values_list(
            "manager_id", "month", "channel_id", "indicator", "value"
        )
    }


def plans_for_grid(*, month: dt.date, managers: list[int]) -> dict[tuple, Plan]:
    """The plan grid's cells of a month: {(manager_id, channel_id, indicator): Plan} with
    their channel, manager and history of changes. Three queries."""
    plans = (
        Plan.objects.filter(month=month, manager__in=managers)
        .select_related("channel", "manager")
        .prefetch_related(
            Prefetch("changes", queryset=PlanChange.objects.select_related("changed_by"))
        )
    )
    return {(p.manager_id, p.channel_id, p.indicator): p for p in plans}


def plan_of(*, month: dt.date, manager: User, channel, indicator: str) -> Plan | None:
    """One manager's plan of one indicator and month, or None. One query."""
    return Plan.objects.filter(
        month=month, manager=manager, channel=channel, indicator=indicator
    ).first()


def monthly_expenses(*, months: list[dt.date]) -> dict[dt.date, MonthlyExpense]:
    """Entered expenses and reserves of the given months: {month: MonthlyExpense}. One query."""
    return {e.month: e for e in MonthlyExpense.objects.filter(month__in=months)}


def stage_plans(
    *, managers: QuerySet, date_from: dt.date, date_to: dt.date, channel_ids=None
) -> dict[tuple, Decimal]:
    """Each manager's own plans over the months the period touches, summed: {(manager_id,
    channel_id, indicator): value} — what a planned conversion (the plan of a stage over
    the plan of the stage before) is read from. One query."""
    plans = Plan.objects.filter(
        manager__in=managers.values("pk"), month__in=months_in(date_from, date_to)
    )
    if channel_ids is not None:
        plans = plans.filter(channel_id__in=channel_ids)
    rows = plans.values("manager_id", "channel_id", "indicator").annotate(total=kopeck_sum("value"))
    return {
        (row["manager_id"], row["channel_id"], row["indicator"]): from_kopecks(row["total"])
        for row in rows.order_by()
    }
