"""The demo company's morning commitments (seed_demo): the switch on, and commitments for
the main indicators of the last weeks, each a little off its evening's fact — manager4
promises more than she makes, manager3 less — so that the accuracy column tells a story."""

from __future__ import annotations

import datetime as dt
import random

from funnel.models import DailyCount
from plans.commitments import commitments_switch
from plans.models import Commitment

DEMO_DAYS = 28
# Commitment ÷ fact around which each demo manager's promises sit.
LEANING = {"manager4": 1.35, "manager3": 0.85}


def seed_commitments(*, end: dt.date, main: dict[int, str], seed: int) -> int:
    """Commitments of the demo managers for the days with facts in the DEMO_DAYS up to
    `end`, for each channel's main indicator ({channel id: code}); replaces earlier ones."""
    commitments_switch(True)
    start = end - dt.timedelta(days=DEMO_DAYS - 1)
    Commitment.objects.filter(
        manager__is_demo=True, date__gte=start - dt.timedelta(days=366)
    ).delete()
    counts = DailyCount.objects.filter(
        fact__manager__is_demo=True,
        fact__manager__role="manager",
        fact__date__range=(start, end),
        fact__date__week_day__in=[2, 3, 4, 5, 6],  # Monday … Friday
    ).values_list(
        "fact__manager_id",
        "fact__manager__username",
        "fact__date",
        "fact__channel_id",
        "indicator__code",
        "value",
    )
    rows = []
    for manager_id, username, day, channel_id, code, value in counts:
        if main.get(channel_id) != code:
            continue
        rng = random.Random(f"{seed}:{username}:{channel_id}:{day}:commitment")
        if rng.random() < 0.15:  # not every morning
            continue
        promised = round(value * LEANING.get(username, 1.0) * rng.uniform(0.85, 1.15))
        rows.append(
            Commitment(
                manager_id=manager_id,
                date=day,
                channel_id=channel_id,
                code=code,
                value=max(promised, 1),
            )
        )
    Commitment.objects.bulk_create(rows)
    return len(rows)
