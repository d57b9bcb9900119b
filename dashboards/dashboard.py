"""Dashboard reads: every panel from a fixed handful of grouped sums (metrics.selectors).

`Dashboard` holds one viewer's filters and computes each panel lazily (cached), so a page
costs the same queries whatever the number of channels, managers or days, and a fragment
asked alone costs only what that panel needs. The panels live in `dashboards.panels`, one
module per group; this module has what they share."""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from channels.models import Channel
from dashboards.drill import Drill, drill
from dashboards.filters import Filters, filters_for
from dashboards.panels.commitments import CommitmentPanels
from dashboards.panels.funnels import FunnelPanels
from dashboards.panels.headline import HeadlinePanels, pct_points
from dashboards.panels.leaks import LeakPanels
from dashboards.panels.money import MoneyPanels
from dashboards.panels.people import (
    CONVERSION_ROWS_SHOWN,
    EXPANDABLE_TABLES,
    LEADERBOARD_SHOWN,
    PeoplePanels,
    Shown,
)
from dashboards.panels.plans import PlanPanels
from funnel.models import MAX_STAGES
from metrics import compute
from metrics.pace import a_year_before
from metrics.selectors import (
    ManagerSums,
    channel_catalogue,
    count_sums,
    manager_pivot,
    working_day_overrides,
)

__all__ = [
    "CONVERSION_ROWS_SHOWN",
    "LEADERBOARD_SHOWN",
    "Dashboard",
    "Drill",
    "Filters",
    "drill",
    "filters_for",
    "pct_points",
]


class Dashboard(
    HeadlinePanels,
    FunnelPanels,
    PeoplePanels,
    PlanPanels,
    MoneyPanels,
    LeakPanels,
    CommitmentPanels,
):
    """The panels of one dashboard request; each property runs its queries once, on demand."""

    def __init__(self, filters: Filters, *, drill_url=None, show_all=(), sort=None):
        self.f = filters
        # The margin table's order (`?sort=-margin`); anything unknown means its default.
        self.sort = sort
        # Builds the URL of the facts behind a number, keeping the current filters.
        self.drill_url = drill_url or (lambda **params: "")
        # The tables shown whole; any other name means nothing.
        self.show_all = EXPANDABLE_TABLES.intersection(show_all)

    def _shown(self, table: str, rows: list, limit: int) -> Shown:
        return Shown(rows if table in self.show_all else rows[:limit], len(rows))

    # --- shared sums -------------------------------------------------------------------
    @cached_property
    def channels_all(self) -> list[Channel]:
        """The channels in scope, switched-off ones too (the report lists those with
        facts). One query while the process's catalogue holds (funnel.catalogue)."""
        return channel_catalogue(self.f.channel_ids, include_inactive=True)

    @cached_property
    def catalogue(self) -> list[Channel]:
        channels = [c for c in self.channels_all if c.is_active]
        if self.f.mine and self.f.channel is None:
            # A manager's own page: the channels they work in, or had numbers in.
            own = set(self.f.viewer.channels.values_list("pk", flat=True))
            own |= {channel_id for _manager, channel_id in self.pivot}
            channels = [c for c in channels if c.pk in own]
        return channels

    @cached_property
    def pivot(self) -> dict[tuple, ManagerSums]:
        """{(manager, channel): sums}: the leaderboard's and the conversion table's numbers
        in one query on the per-manager pivot."""
        return manager_pivot(self.f.scope, as_of=self.f.today)

    @cached_property
    def stages_mc(self) -> dict[tuple[int, int], list[int]]:
        """{(manager id, channel id): counts of the channel's stages in funnel order}, for
        the channels shown and the managers with any number there."""
        result: dict[tuple[int, int], list[int]] = {}
        if any(len(c.stage_list) > MAX_STAGES for c in self.catalogue):
            # Only an admin bypassing the channel validation gets here: the pivot keeps six.
            counts = count_sums(self.f.scope, ("manager", "channel"))
            stage_ids = {c.id: [s.id for s in c.stage_list] for c in self.catalogue}
            for manager_id, channel_id, _indicator in counts:
                if channel_id in stage_ids and (manager_id, channel_id) not in result:
                    result[manager_id, channel_id] = [
                        counts.get((manager_id, channel_id, s), 0) for s in stage_ids[channel_id]
                    ]
            return result
        widths = {c.id: len(c.stage_list) for c in self.catalogue}
        for (manager_id, channel_id), sums in self.pivot.items():
            width = widths.get(channel_id)
            if width is None:
                continue
            found = result.get((manager_id, channel_id))
            if found is None:
                result[manager_id, channel_id] = list(sums.stages[:width])
            else:
                for i in range(width):
                    found[i] += sums.stages[i]
        return result

    @cached_property
    def overrides(self) -> dict[dt.date, bool]:
        """The holiday list from well before the period (its previous period and whole
        months, the last working day, the same months a year earlier) to the end of the
        later of its and today's month."""
        length = (self.f.date_to - self.f.date_from).days + 1
        back = self.f.date_from - dt.timedelta(days=2 * length + compute.LOOKBACK_DAYS)
        start = min(
            back.replace(day=1),
            self.f.today - dt.timedelta(days=compute.LOOKBACK_DAYS),
            a_year_before(self.f.date_from).replace(day=1),  # "vs last year"
        )
        end = max(compute.month_bounds(self.f.date_to)[1], compute.month_bounds(self.f.today)[1])
        return working_day_overrides(start, end)

    @cached_property
    def last_working_day(self) -> dt.date:
        """The day whose reports are due ("not reported" looks at it)."""
        found = compute.last_working_day_before(self.f.today, self.overrides)
        return found or self.f.today - dt.timedelta(days=1)
