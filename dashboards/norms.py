"""A monthly plan broken down into norms: how many of each stage are needed, and today.

Backwards from money to the first stage of a channel:

    payments still needed = remaining revenue / average check
    needed at the last stage = needed payments / conversion(last stage -> payment)
    needed at stage i = needed at stage i+1 / conversion(stage i -> stage i+1)

Conversions and the average check come from the manager's own last HISTORY_DAYS days, or
from the team's when the manager's history is too thin (the result says so). Counts are
rounded up at every step: nobody holds 2.3 meetings, and rounding down leaves the plan short.

    daily norm = (needed this month - done before today) / working days left, today included

"Done" stops at yesterday so that today's norm stays put while the day's numbers are typed
in. The pure part (top) takes numbers; `norms_read` (bottom) fetches them in a fixed
number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, Decimal

from metrics.compute import (
    ZERO,
    MoneySums,
    average_check,
    margin,
    month_bounds,
    working_days,
)
from metrics.plan_selectors import manager_plan_values
from metrics.selectors import (
    Scope,
    channel_catalogue,
    count_sums,
    money_sums,
    working_day_overrides,
)
from teams.models import User

HISTORY_DAYS = 90
# Fewer first-stage contacts than this in the window and the conversions are noise.
MIN_FIRST_STAGE = 20


@dataclass(frozen=True)
class Funnel:
    """Sums of a history window for one channel: stage counts in funnel order, money."""

    stage_counts: tuple[tuple[str, int], ...]
    payments_count: int = 0
    revenue: Decimal = ZERO
    variable_costs: Decimal = ZERO

    def __add__(self, other: Funnel) -> Funnel:
        theirs = dict(other.stage_counts)
        return Funnel(
            stage_counts=tuple((c, n + theirs.get(c, 0)) for c, n in self.stage_counts),
            payments_count=self.payments_count + other.payments_count,
            revenue=self.revenue + other.revenue,
            variable_costs=self.variable_costs + other.variable_costs,
        )


@dataclass(frozen=True)
class Need:
    """One indicator's norm: needed this month, done before today, left, today's share."""

    code: str
    needed: int
    done: int
    remaining: int
    daily: int | None  # None when no working day is left this month
    label: str = ""  # display name, filled in by the reader


@dataclass(frozen=True)
class ChannelNorms:
    basis: str  # "revenue" or "margin" (broken down from money), "plans" or "none"
    plan: Decimal | None  # the revenue or margin plan broken down
    money_done: Decimal
    money_remaining: Decimal
    average_check: Decimal | None
    uses_team: bool  # the manager's own history was too thin: team figures used
    no_history: bool  # neither the manager's nor the team's history allows a breakdown
    payments: Need | None
    stages: tuple[Need, ...]
    activities: tuple[Need, ...]
    days_left: int

    @property
    def rows(self) -> list[Need]:
        """Stages in funnel order, then payments, then activities."""
        payments = [self.payments] if self.payments else []
        return [*self.stages, *payments, *self.activities]

    @property
    def today(self) -> list[Need]:
        """What is left to do today, in the order of `rows`."""
        return [n for n in self.rows if n.daily]


def ceil(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def days_left(today: dt.date, overrides: Mapping[dt.date, bool]) -> int:
    """Working days from today to the month's end, both included."""
    return working_days(today, month_bounds(today)[1], overrides)


def history_is_enough(funnel: Funnel, *, min_first_stage: int = MIN_FIRST_STAGE) -> bool:
    """Every conversion of the chain defined and non-zero, enough volume, some payments."""
    counts = [n for _code, n in funnel.stage_counts]
    return (
        bool(counts)
        and counts[0] >= min_first_stage
        and all(counts)
        and funnel.payments_count > 0
        and funnel.revenue > 0
    )


def need(code: str, needed: int, done: int, left_days: int) -> Need:
    remaining = max(needed - done, 0)
    daily = ceil(Decimal(remaining) / left_days) if left_days else None
    return Need(code=code, needed=needed, done=done, remaining=remaining, daily=daily)


def stage_needs(funnel: Funnel, payments_needed: int) -> list[int]:
    """Needed count of every stage (funnel order) for `payments_needed` payments.

    needed(i) = ceil(needed(i+1) × count(i) / count(i+1)), the last stage leading to
    payments; integer arithmetic, so no rounding error creeps in.
    """
    counts = [n for _code, n in funnel.stage_counts]
    following = [*counts[1:], funnel.payments_count]
    result: list[int] = []
    next_needed = payments_needed
    for count, next_count in zip(reversed(counts), reversed(following), strict=True):
        next_needed = -(-(next_needed * count) // next_count)
        result.append(next_needed)
    return result[::-1]


def channel_norms(
    *,
    plans: Mapping[str, Decimal],
    own: Funnel,
    team: Funnel | None,
    done: Mapping[str, int],
    done_money: MoneySums,
    left_days: int,
    activity_codes: Sequence[str] = (),
    min_first_stage: int = MIN_FIRST_STAGE,
) -> ChannelNorms:
    """Norms of one channel for one manager.

    `plans` maps indicator codes to this month's plan; a revenue plan wins over a margin
    plan, which is turned into revenue through the history's profitability. Without a
    money plan (or any usable history) stages and payments fall back to their own plans.
    """
    stage_codes = [code for code, _n in own.stage_counts]
    basis, plan, money_done, money_remaining = "none", None, ZERO, ZERO
    if "revenue" in plans:
        basis, plan, money_done = "revenue", plans["revenue"], done_money.revenue
    elif "margin" in plans:
        basis, plan = "margin", plans["margin"]
        money_done = margin(done_money.revenue, done_money.variable_costs)
    if plan is not None:
        money_remaining = max(plan - money_done, ZERO)

    def usable(funnel: Funnel | None) -> bool:
        if funnel is None or not history_is_enough(funnel, min_first_stage=min_first_stage):
            return False
        return basis != "margin" or margin(funnel.revenue, funnel.variable_costs) > 0

    source = own if usable(own) else team if usable(team) else None
    uses_team = source is not None and source is team
    check = None
    stages: list[Need] = []
    payments = None
    if plan is not None and source is not None:
        check = average_check(source.revenue, source.payments_count)
        revenue_needed = money_remaining
        if basis == "margin":
            # Revenue that leaves the remaining margin at the history's profitability.
            revenue_needed = (
                money_remaining * source.revenue / margin(source.revenue, source.variable_costs)
            )
        payments_needed = done_money.payments_count + ceil(revenue_needed / check)
        payments = need("payments_count", payments_needed, done_money.payments_count, left_days)
        for code, needed in zip(stage_codes, stage_needs(source, payments_needed), strict=True):
            stages.append(need(code, needed, done.get(code, 0), left_days))
    else:
        if basis != "none":
            basis = "none"  # a money plan that no history can break down
        if "payments_count" in plans:
            payments = need(
                "payments_count",
                ceil(plans["payments_count"]),
                done_money.payments_count,
                left_days,
            )
        for code in stage_codes:
            if code in plans:
                stages.append(need(code, ceil(plans[code]), done.get(code, 0), left_days))
        if plan is None and (stages or payments):
            basis = "plans"
    activities = tuple(
        need(code, ceil(plans[code]), done.get(code, 0), left_days)
        for code in activity_codes
        if code in plans
    )
    if basis == "none" and activities:
        basis = "plans"
    return ChannelNorms(
        basis=basis,
        plan=plan,
        money_done=money_done,
        money_remaining=money_remaining,
        average_check=check,
        uses_team=uses_team,
        no_history=plan is not None and source is None,
        payments=payments,
        stages=tuple(stages),
        activities=activities,
        days_left=left_days,
    )


# --- reads --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManagerNorms:
    manager: object
    today: dt.date
    month: dt.date
    days_left: int
    channels: list  # [(Channel, ChannelNorms)] for the channels the manager works in


def _labelled(norms: ChannelNorms, channel) -> ChannelNorms:
    from django.utils.translation import gettext

    labels = {i.code: i.name for i in (*channel.stage_list, *channel.activity_list)}
    labels["payments_count"] = gettext("Payments received")

    def label(need: Need | None) -> Need | None:
        return need and replace(need, label=labels.get(need.code, need.code))

    return replace(
        norms,
        stages=tuple(label(n) for n in norms.stages),
        activities=tuple(label(n) for n in norms.activities),
        payments=label(norms.payments),
    )


def norms_read(*, managers: Sequence, today: dt.date) -> dict[int, ManagerNorms]:
    """Norms of each manager for `today`, in a fixed number of queries (ten)."""
    if not managers:
        return {}
    ids = [m.pk for m in managers]
    team_ids = {m.team_id for m in managers if m.team_id}
    month, month_end = month_bounds(today)
    yesterday = today - dt.timedelta(days=1)
    catalogue = channel_catalogue()
    works_in: dict[int, set[int]] = defaultdict(set)
    for user_id, channel_id in User.channels.through.objects.filter(user_id__in=ids).values_list(
        "user_id", "channel_id"
    ):
        works_in[user_id].add(channel_id)
    members = User.objects.filter(
        role=User.Role.MANAGER, team_id__in=team_ids
    ) | User.objects.filter(pk__in=ids)
    team_of = dict(members.values_list("pk", "team_id"))
    window = Scope(yesterday - dt.timedelta(days=HISTORY_DAYS - 1), yesterday, managers=members)
    hist_counts = count_sums(window, group_by=("manager", "channel"))
    hist_money = money_sums(window, group_by=("manager", "channel"))
    so_far = Scope(month, yesterday, managers=User.objects.filter(pk__in=ids))
    done_counts = count_sums(so_far, group_by=("manager", "channel"))
    done_money = money_sums(so_far, group_by=("manager", "channel"))
    plans: dict[tuple[int, int], dict[str, Decimal]] = defaultdict(dict)
    for (manager_id, _month, channel_id, code), value in manager_plan_values(
        months=[month], managers=ids
    ).items():
        plans[(manager_id, channel_id)][code] = value
    left = days_left(today, working_day_overrides(today, month_end))

    def funnel(manager_id: int, channel) -> Funnel:
        sums = hist_money.get((manager_id, channel.pk), MoneySums())
        return Funnel(
            stage_counts=tuple(
                (s.code, hist_counts.get((manager_id, channel.pk, s.pk), 0))
                for s in channel.stage_list
            ),
            payments_count=sums.payments_count,
            revenue=sums.revenue,
            variable_costs=sums.variable_costs,
        )

    result = {}
    for manager in managers:
        rows = []
        for channel in catalogue:
            if channel.pk not in works_in[manager.pk]:
                continue
            own = funnel(manager.pk, channel)
            team = None
            if manager.team_id:
                team = own
                for member_id, member_team in team_of.items():
                    if member_team == manager.team_id and member_id != manager.pk:
                        team = team + funnel(member_id, channel)
            done = {
                i.code: done_counts.get((manager.pk, channel.pk, i.pk), 0)
                for i in (*channel.stage_list, *channel.activity_list)
            }
            result_norms = channel_norms(
                plans=plans.get((manager.pk, channel.pk), {}),
                own=own,
                team=team,
                done=done,
                done_money=done_money.get((manager.pk, channel.pk), MoneySums()),
                left_days=left,
                activity_codes=[i.code for i in channel.activity_list],
            )
            rows.append((channel, _labelled(result_norms, channel)))
        result[manager.pk] = ManagerNorms(
            manager=manager, today=today, month=month, days_left=left, channels=rows
        )
    return result
