"""The facts behind a number: the daily values a click on the dashboard opens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from channels.models import Channel
from dashboards.filters import Filters
from funnel.models import MONEY_LABELS, Indicator
from metrics.selectors import (
    Scope,
    fact_values,
)
from teams.models import User

MONEY_DRILL_CODES = ("revenue", "invoiced_amount", "payments_count", "variable_costs")
DRILL_ROWS_SHOWN = 500


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
    if code in MONEY_DRILL_CODES:
        kind = "count" if code == "payments_count" else "money"
        label = str(MONEY_LABELS[code])
    else:
        kind = "count"
        indicator = Indicator.objects.filter(code=code).order_by("channel__display_order").first()
        if indicator is None:
            raise Indicator.DoesNotExist(code)
        label = indicator.name
    rows = [
        DrillRow(day, person.board_name, channel.name, value)
        for day, person, channel, value in fact_values(scope, code)
    ]
    total = sum((r.value for r in rows), Decimal(0) if kind == "money" else 0)
    return Drill(code, label, kind, start, end, channel, manager, rows, total)
