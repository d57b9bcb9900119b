"""Plan against fact per channel and indicator."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.utils.translation import gettext as _

from channels.models import Channel
from funnel.models import MONEY_LABELS
from metrics.reports import (
    MONEY_INDICATORS,
    PlanLine,
)


@dataclass(frozen=True)
class PlanRow:
    channel: Channel | None  # None: all channels
    indicator: str
    indicator_name: str
    plan: Decimal | int
    fact: Decimal | int
    completion: Decimal | None
    forecast: Decimal | int | None
    expected: Decimal | int | None = None  # what the plan expects by the end of yesterday
    fact_to_date: Decimal | int | None = None  # the facts dated before today
    pace: Decimal | None = None
    pace_status: str | None = None

    @property
    def is_money(self) -> bool:
        return self.indicator in MONEY_INDICATORS


def _plan_row(channel: Channel | None, name: str, line: PlanLine) -> PlanRow:
    """A report's plan line as shown: money with kopecks, counts (and their run rate) whole."""
    pace = {"pace": line.pace, "pace_status": line.pace_status}
    if line.indicator in MONEY_INDICATORS:
        return PlanRow(
            channel,
            line.indicator,
            name,
            line.plan,
            line.fact,
            line.completion,
            line.forecast,
            line.expected,
            line.fact_to_date,
            **pace,
        )

    def whole(value):
        return None if value is None else int(Decimal(value).quantize(1, ROUND_HALF_UP))

    return PlanRow(
        channel,
        line.indicator,
        name,
        whole(line.plan),
        whole(line.fact),
        line.completion,
        whole(line.forecast),
        whole(line.expected),
        whole(line.fact_to_date),
        **pace,
    )


class PlanPanels:
    """The plan table, from the report's plan lines."""

    # --- plan vs fact ------------------------------------------------------------------
    def _indicator_name(self, code: str, channel: Channel | None) -> str:
        if code in ("margin", "revenue"):
            return _("Margin") if code == "margin" else _("Revenue")
        if code in MONEY_LABELS:
            return str(MONEY_LABELS[code])
        for ch in [channel] if channel else self.catalogue:
            for indicator in (*ch.stage_list, *ch.activity_list):
                if indicator.code == code:
                    return indicator.name
        return code

    @cached_property
    def plan_rows(self) -> list[PlanRow]:
        report = self.report
        rows = [
            _plan_row(c.channel, self._indicator_name(line.indicator, c.channel), line)
            for c in report.channels
            for line in c.plans
        ]
        rows += [
            _plan_row(None, self._indicator_name(line.indicator, None), line)
            for line in report.total.plans
        ]
        return rows
