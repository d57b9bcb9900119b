"""Morning commitments on the board: each manager's commitment accuracy (metrics.commitments),
one query for the whole leaderboard, the department's switch read in the same query."""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import cached_property

from metrics.commitments import Accuracy, commitment_read


class CommitmentPanels:
    @cached_property
    def commitments(self) -> tuple[bool, dict[int, Accuracy]]:
        """(switched on, {manager id: accuracy}) over the period's closed days: today's
        commitments wait for the evening, so the days before today count. One query."""
        latest = min(self.f.date_to, self.f.today - dt.timedelta(days=1))
        return commitment_read(
            manager_ids=[m.pk for m in self.managers],
            date_from=self.f.date_from,
            date_to=latest,
            channel_ids=self.f.channel_ids,
        )

    @property
    def commitments_on(self) -> bool:
        return self.commitments[0]

    def with_commitments(self, rows: list) -> list:
        """Leaderboard rows with their commitment accuracy, while the switch is on."""
        on, accuracy = self.commitments
        if not on:
            return rows
        return [dataclasses.replace(r, commitment=accuracy.get(r.manager.pk)) for r in rows]
