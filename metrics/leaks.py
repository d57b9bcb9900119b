"""Where the money leaks: a stage conversion below its reference, priced in money
(docs/metrics.md, "Money lost at a stage"). Pure functions, no ORM, like `metrics.compute`.

For a manager, a channel and a stage (from the second on), over a period:

    own conversion  c = count at the stage ÷ count at the previous stage
    reference       r = the plan's conversion (plan of the stage ÷ plan of the previous
                        stage) where both are planned, else the team's median conversion
    revenue per unit  = revenue ÷ count at the stage (the team's where the manager's count
                        at the stage is below MIN_SAMPLE)
    money lost        = count at the previous stage × max(0, r − c) × revenue per unit

and the margin lost with the margin per unit. Never negative: a manager at or above the
reference loses nothing. Unrounded: round once for display.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from metrics.compute import ratio
from metrics.pace import is_small_sample

ZERO = Decimal(0)


def median(values: Sequence[Decimal]) -> Decimal | None:
    """The middle value (the mean of the two middle ones for an even count); None if empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def reference_conversion(
    *,
    planned: tuple[Decimal | None, Decimal | None] = (None, None),
    peers: Sequence[tuple[int, int]] = (),
) -> tuple[Decimal | None, str]:
    """(reference, where from): the plan's conversion where both stages are planned ("plan"),
    else the median conversion of `peers` — (previous count, count) pairs of the team's
    managers — over those with enough at the previous stage ("team"); None, "" without any.
    """
    previous_plan, plan = planned
    if previous_plan and plan is not None:
        return Decimal(plan) / Decimal(previous_plan), "plan"
    usable = [Decimal(n) / Decimal(prev) for prev, n in peers if not is_small_sample(prev)]
    found = median(usable)
    return (found, "team") if found is not None else (None, "")


def per_unit(
    value: Decimal, count: int, *, team_value: Decimal, team_count: int
) -> tuple[Decimal | None, bool]:
    """(value per unit at a stage, whether the team's was used): the manager's own value ÷
    count, or the team's where the manager's count is below MIN_SAMPLE (or has no value);
    None when neither has one."""
    own = ratio(value, count) if value else None
    if own is not None and not is_small_sample(count):
        return own, False
    team = ratio(team_value, team_count) if team_value else None
    if team is not None:
        return team, True
    return own, False


def _gap_base(previous_count: int, conversion: Decimal | None, reference: Decimal | None):
    """previous count × (reference − own conversion), the part of the money lost that a
    stage's revenue and margin share; None when nothing is lost."""
    if conversion is None or reference is None:
        return None
    gap = reference - conversion
    if gap <= 0 or previous_count <= 0:
        return None
    return previous_count * gap


def _priced(base, value_per_unit: Decimal | None) -> Decimal:
    """The gap's base (`_gap_base`) × the value per unit, never below 0."""
    if base is None or value_per_unit is None:
        return ZERO
    return base * max(value_per_unit, ZERO)


def money_lost(
    *,
    previous_count: int,
    conversion: Decimal | None,
    reference: Decimal | None,
    value_per_unit: Decimal | None,
) -> Decimal:
    """previous count × (reference − own conversion) × value per unit; 0 when the manager is
    at or above the reference, or when any part is undefined. Never negative."""
    return _priced(_gap_base(previous_count, conversion, reference), value_per_unit)


class Leak(NamedTuple):
    """One manager's gap at one stage of one channel (a named tuple: a dashboard makes
    thousands of them a request)."""

    manager_id: int
    channel_id: int
    stage_index: int  # position in the funnel (1 = the second stage)
    previous_count: int
    count: int
    conversion: Decimal | None
    reference: Decimal | None
    reference_from: str  # "plan", "team" or ""
    money: Decimal  # revenue lost, unrounded
    margin: Decimal  # margin lost, unrounded (negative margin per unit counts as 0)
    team_value: bool  # the team's value per unit was used

    @property
    def small_sample(self) -> bool:
        return is_small_sample(self.previous_count)

    @property
    def missing(self) -> Decimal | None:
        """How many more at the stage the reference would have given."""
        if self.reference is None or self.conversion is None:
            return None
        return max(self.previous_count * (self.reference - self.conversion), Decimal(0))


def stage_leaks(
    *,
    manager_id: int,
    channel_id: int,
    counts: Sequence[int],
    revenue: Decimal,
    margin: Decimal,
    team_counts: Sequence[int],
    team_revenue: Decimal,
    team_margin: Decimal,
    references: Sequence[tuple[Decimal | None, str]],
    gaps_only: bool = False,
) -> list[Leak]:
    """A manager's leaks at each stage after the first of one channel. `references[i]` is the
    reference of stage i (index 0 unused); stages without a previous count are skipped, and
    with `gaps_only` so are stages at or above their reference (nothing lost there)."""
    result = []
    for i in range(1, len(counts)):
        previous, count = counts[i - 1], counts[i]
        if not previous:
            continue
        conversion = Decimal(count) / Decimal(previous)
        reference, source = references[i]
        if gaps_only and (reference is None or reference <= conversion):
            continue
        team_count = team_counts[i]
        revenue_unit, team_used = per_unit(
            revenue, count, team_value=team_revenue, team_count=team_count
        )
        margin_unit, _ = per_unit(margin, count, team_value=team_margin, team_count=team_count)
        base = _gap_base(previous, conversion, reference)
        result.append(
            Leak(
                manager_id,
                channel_id,
                i,
                previous,
                count,
                conversion,
                reference,
                source,
                _priced(base, revenue_unit),
                _priced(base, margin_unit),
                team_used,
            )
        )
    return result
