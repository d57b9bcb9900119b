"""Commitment accuracy: how close the evening's facts came to the morning's commitments.

Per commitment with a value above 0 (commitments of 0 say nothing and are left out):

    accuracy_i = max(0, 1 − |fact_i − commitment_i| ÷ commitment_i)
    accuracy   = the mean of accuracy_i
    bias       = Σ(fact_i − commitment_i) ÷ Σ commitment_i

A bias below 0 means the facts fell short of the commitments (over-promising), above 0
that they exceeded them (under-promising). The pure part works on exact fractions;
`commitment_read` fetches the pairs for a whole board in one query (see docs/metrics.md,
"Commitment accuracy").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from funnel.models import DailyCount
from plans.models import Commitment, DepartmentSettings

# Flags the row of the union that says the switch is on: no manager has the id 0.
SWITCH_ROW = 0


@dataclass(frozen=True)
class Accuracy:
    accuracy: Decimal  # 0 … 1
    bias: Decimal  # Σ(fact − commitment) ÷ Σ commitment
    count: int  # commitments above 0 counted

    @property
    def bias_size(self) -> Decimal:
        return abs(self.bias)

    @property
    def leaning(self) -> str:
        """ "over" (facts below the commitments), "under" (above them) or "" (on the mark)."""
        return "over" if self.bias < 0 else "under" if self.bias > 0 else ""


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def commitment_accuracy(pairs: Iterable[tuple[int, int]]) -> Accuracy | None:
    """(commitment, fact) pairs → Accuracy, or None when no commitment is above 0."""
    total = Fraction(0)
    count = committed = difference = 0
    for commitment, fact in pairs:
        if commitment <= 0:
            continue
        miss = Fraction(abs(fact - commitment), commitment)
        total += max(Fraction(0), 1 - miss)
        count += 1
        committed += commitment
        difference += fact - commitment
    if not count:
        return None
    return Accuracy(_decimal(total / count), _decimal(Fraction(difference, committed)), count)


def _union(first, second):
    """Rows of both querysets, in no order (a union's ORDER BY could only name its columns)."""
    combined = first.union(second, all=True)
    combined.query.clear_ordering(force=True, clear_default=True)
    return combined


def commitment_read(
    *,
    manager_ids: Sequence[int],
    date_from: dt.date,
    date_to: dt.date,
    channel_ids: Sequence[int] | None = None,
) -> tuple[bool, dict[int, Accuracy]]:
    """Whether commitments are switched on, and each manager's accuracy over the closed days
    of the period (both ends included; pass the day before today as the latest). A fact
    not entered counts as 0. One query: the switch rides along as a row of a union."""
    fact = DailyCount.objects.filter(
        fact__manager_id=OuterRef("manager_id"),
        fact__channel_id=OuterRef("channel_id"),
        fact__date=OuterRef("date"),
        indicator__code=OuterRef("code"),
    ).values("value")[:1]
    pairs = Commitment.objects.filter(
        manager_id__in=list(manager_ids),
        date__range=(date_from, date_to),
        value__gt=0,
    )
    if channel_ids is not None:
        pairs = pairs.filter(channel_id__in=list(channel_ids))
    pairs = (
        pairs.annotate(fact=Coalesce(Subquery(fact), Value(0), output_field=IntegerField()))
        .values_list("manager_id", "value", "fact")
        .annotate(n=Count("pk"))
        .order_by()
    )
    switch = (
        DepartmentSettings.objects.filter(commitments_enabled=True)
        .annotate(
            m=Value(SWITCH_ROW, output_field=IntegerField()),
            v=Value(0, output_field=IntegerField()),
            f=Value(0, output_field=IntegerField()),
            n=Value(0, output_field=IntegerField()),
        )
        .values_list("m", "v", "f", "n")
        .order_by()
    )
    enabled = False
    found: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for manager_id, value, fact_value, n in _union(pairs, switch):
        if manager_id == SWITCH_ROW:
            enabled = True
            continue
        found[manager_id].extend([(value, fact_value)] * n)
    if not enabled:
        return False, {}
    result = {}
    for manager_id, manager_pairs in found.items():
        accuracy = commitment_accuracy(manager_pairs)
        if accuracy is not None:
            result[manager_id] = accuracy
    return True, result
