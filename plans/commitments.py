"""Morning commitments: the switch, what a manager commits to, and the one write path.

A manager commits, for today only, to a number for each channel's main indicator (the
channel's `main_indicator`, or its first stage when none is set). The commitment can be
changed until the day ends; the accuracy against the evening's facts is metrics.commitments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from funnel.selectors import entry_channels
from funnel.values import value_check
from plans.models import Commitment, DepartmentSettings
from teams.models import User


def commitments_enabled() -> bool:
    """The department's switch (off until an administrator turns it on). One query."""
    return DepartmentSettings.objects.filter(commitments_enabled=True).exists()


def commitments_switch(enabled: bool) -> None:
    DepartmentSettings.objects.update_or_create(pk=1, defaults={"commitments_enabled": enabled})


@dataclass(frozen=True)
class Target:
    """One thing a manager commits to: a channel's main indicator."""

    channel: object
    code: str
    label: str

    @property
    def field(self) -> str:
        return f"c{self.channel.pk}_{self.code}"


def commitment_targets(manager: User) -> list[Target]:
    """The main indicator of each active channel the manager reports on (two queries)."""
    targets = []
    for block in entry_channels(manager):
        counted = [row for row in block.rows if row.kind in ("stage", "activity")]
        if not counted:
            continue
        main = block.channel.main_indicator
        row = next((r for r in counted if r.code == main), counted[0])
        targets.append(Target(block.channel, row.code, row.label))
    return targets


def commitments_of(manager: User, day: dt.date) -> dict[tuple[int, str], int]:
    """{(channel id, code): value} of the manager's commitments of the day."""
    rows = Commitment.objects.filter(manager=manager, date=day)
    return {(c, code): v for c, code, v in rows.values_list("channel_id", "code", "value")}


@transaction.atomic
def commitments_save(
    *, manager: User, day: dt.date, values: Mapping[tuple[int, str], Decimal | int | None]
) -> None:
    """Store the day's commitments: a value sets one, None removes it. All or nothing;
    every value passes the rules of a typed count (funnel.values.value_check)."""
    checked = {
        key: None if value is None else int(value_check(value, money=False))
        for key, value in values.items()
    }
    for (channel_id, code), value in checked.items():
        if value is None:
            Commitment.objects.filter(
                manager=manager, date=day, channel_id=channel_id, code=code
            ).delete()
        else:
            Commitment.objects.update_or_create(
                manager=manager,
                date=day,
                channel_id=channel_id,
                code=code,
                defaults={"value": value},
            )
