"""The dashboard's filters turned into the facts it sums and the people it lists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from channels.models import Channel
from metrics.selectors import (
    Scope,
)
from teams.membership import members_ever
from teams.models import Team, User
from teams.scope import days_visible_to, people_visible_to


@dataclass(frozen=True)
class Filters:
    date_from: dt.date
    date_to: dt.date
    period: str
    channel: Channel | None
    team: Team | None
    manager: User | None
    granularity: str
    stage: str
    today: dt.date
    managers: QuerySet  # who may be listed on the board and in "not reported"
    fact_managers: QuerySet | None  # whose facts are summed; None = every manager's
    mine: bool = False
    viewer: User | None = None
    # Only the facts of days their manager was in one of these teams; None = any team.
    fact_teams: QuerySet | None = None

    @property
    def channel_ids(self) -> tuple[int, ...] | None:
        return (self.channel.pk,) if self.channel else None

    @property
    def scope(self) -> Scope:
        return Scope(
            self.date_from, self.date_to, self.channel_ids, self.fact_managers, self.fact_teams
        )

    @property
    def shows_company(self) -> bool:
        """The valuable final product is the director's (and admin's) number."""
        return bool(self.viewer and self.viewer.sees_everything and not self.mine)


def filters_for(*, cleaned: dict, viewer: User, mine: bool, today: dt.date) -> Filters:
    """Turn a valid filter form into the facts the dashboard sums and the people it lists.

    Facts: a manager filter takes that person's facts (all of them, or — for a head whose
    team they have left — the days they were in the head's teams); a team filter, or a
    head's page, takes the facts of the days their people were in those teams; the
    director's page takes every fact. People: whoever is or was in those teams.
    """
    team, manager = cleaned.get("team"), cleaned.get("manager")
    fact_teams = None
    if mine:
        managers = User.objects.filter(pk=viewer.pk)
        fact_managers = managers
    else:
        managers = people_visible_to(viewer)
        if team is not None:
            fact_teams = Team.objects.filter(pk=team.pk).values("pk")
        elif not viewer.sees_everything:
            fact_teams = viewer.led_teams.values("pk")
        if manager is not None:
            managers = managers.filter(pk=manager.pk)
            fact_managers = managers
            if team is None:
                fact_teams = days_visible_to(viewer, manager)
        else:
            fact_managers = None
            if fact_teams is not None:
                managers = managers.filter(members_ever(fact_teams))
    return Filters(
        date_from=cleaned["date_from"],
        date_to=cleaned["date_to"],
        period=cleaned["period"],
        channel=cleaned.get("channel"),
        team=team,
        manager=manager,
        granularity=cleaned["granularity"],
        stage=cleaned.get("stage") or "",
        today=today,
        managers=managers,
        fact_managers=fact_managers,
        mine=mine,
        viewer=viewer,
        fact_teams=fact_teams,
    )
