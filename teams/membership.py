"""Who was in which team on which day: the dated memberships as a lookup.

A person's team on a day is the team of their latest membership that began on or before
that day; the earliest membership also covers the days before it (so a fact entered for a
day before someone's first recorded move still has a team); a person with no membership is
in `User.team` on every day. The facts carry the team of their day (funnel keeps them in
step when memberships change), so every sum by team reads the team as it was.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from teams.models import Membership, User


class TeamCalendar:
    """The teams of a few people over time: `team_on(person, day)` → team id or None.

    Built from {person id: current team id}; reads the memberships (one query per 900
    people) the first time a day is asked about, so a writer that only touches facts whose
    team is already stored pays nothing."""

    def __init__(self, current: Mapping[int, int | None]):
        self._current = dict(current)
        self.known = set(current)
        self._since: dict[int, list[dt.date]] | None = None
        self._teams: dict[int, list[int | None]] = {}

    def _load(self) -> dict[int, list[dt.date]]:
        if self._since is None:
            rows: dict[int, list[tuple[dt.date, int | None]]] = defaultdict(list)
            ids = sorted(self._current)
            for start in range(0, len(ids), 900):  # below SQLite's default parameter limit
                found = (
                    Membership.objects.filter(user_id__in=ids[start : start + 900])
                    .order_by("user_id", "since")
                    .values_list("user_id", "since", "team_id")
                )
                for user_id, since, team_id in found:
                    rows[user_id].append((since, team_id))
            self._since = {pk: [since for since, _t in found] for pk, found in rows.items()}
            self._teams = {pk: [team for _s, team in found] for pk, found in rows.items()}
        return self._since

    def team_on(self, person_id: int, day: dt.date) -> int | None:
        starts = self._load().get(person_id)
        if not starts:
            return self._current.get(person_id)
        return self._teams[person_id][max(bisect_right(starts, day) - 1, 0)]

    def periods(self, person_id: int) -> list[tuple[dt.date | None, dt.date | None, int | None]]:
        """[(first day or None for "always before", last day or None, team)] in order."""
        starts = self._load().get(person_id)
        if not starts:
            return [(None, None, self._current.get(person_id))]
        teams = self._teams[person_id]
        result = []
        for i, team in enumerate(teams):
            first = None if i == 0 else starts[i]
            last = starts[i + 1] - dt.timedelta(days=1) if i + 1 < len(starts) else None
            result.append((first, last, team))
        return result


def team_calendar(people: Mapping[int, int | None]) -> TeamCalendar:
    """The calendar of these people ({person id: current team id}); see TeamCalendar."""
    return TeamCalendar(people)


def calendar_for(people: Iterable[User]) -> TeamCalendar:
    return team_calendar({p.pk: p.team_id for p in people})


def members_ever(teams: QuerySet | Iterable[int]) -> Q:
    """People who are or were in one of `teams` (a condition on User, no join)."""
    return Q(team__in=teams) | Q(
        Exists(Membership.objects.filter(user=OuterRef("pk"), team__in=teams))
    )


def team_days(
    calendar: TeamCalendar,
    person_id: int,
    teams: set[int],
    date_from: dt.date,
    date_to: dt.date,
) -> list[tuple[dt.date, dt.date]]:
    """The ranges within [date_from, date_to] in which the person was in one of `teams`."""
    result = []
    for first, last, team in calendar.periods(person_id):
        if team not in teams:
            continue
        low = max(first or date_from, date_from)
        high = min(last or date_to, date_to)
        if low <= high:
            if result and result[-1][1] + dt.timedelta(days=1) == low:
                result[-1] = (result[-1][0], high)
            else:
                result.append((low, high))
    return result


def with_first_team_day(people: QuerySet[User]) -> QuerySet[User]:
    """The people, each with `first_team_day`: the first day of their first membership in a
    team (None without one). A subquery, no query of its own."""
    first = (
        Membership.objects.filter(user=OuterRef("pk"), team__isnull=False)
        .order_by("since")
        .values("since")[:1]
    )
    return people.annotate(first_team_day=Subquery(first))


def on_duty(person: User, day: dt.date) -> bool:
    """Whether the person is expected to report for `day`: joined by then, not left yet.

    Joined: the day the account was made, or the first day in a team when that is later
    (an account made ahead of the first day, or "no team" until then). `first_team_day`
    comes from `with_first_team_day`; without it only the account's day counts."""
    joined = timezone.localdate(person.date_joined) if person.date_joined else None
    first_team_day = getattr(person, "first_team_day", None)
    if first_team_day is not None and (joined is None or first_team_day > joined):
        joined = first_team_day
    if joined is not None and day < joined:
        return False
    return person.left_on is None or day < person.left_on


def membership_move(
    *, person: User, team_id: int | None, since: dt.date, previous: int | None
) -> None:
    """Record that `person` is in team `team_id` from `since` on (`previous`: the team they
    were in until now, for a person with no dated history yet). Saving the memberships
    re-attributes the facts (funnel connects to Membership's signals)."""
    memberships = list(person.memberships.order_by("since"))
    if not memberships:
        joined = timezone.localdate(person.date_joined) if person.date_joined else since
        first_fact = person.facts.order_by("date").values_list("date", flat=True).first()
        start = min(d for d in (joined, first_fact, since) if d is not None)
        if start < since:
            Membership.objects.create(user=person, team_id=previous, since=start)
    Membership.objects.update_or_create(user=person, since=since, defaults={"team_id": team_id})


def move_preview(
    *, person: User, team_id: int | None, since: dt.date
) -> list[tuple[dt.date, int | None]]:
    """[(month, team id)] whose numbers a move of `person` into `team_id` from `since` would
    change: the months of their facts from that day (until their next membership) that are
    now counted in another team — both that team's and the new one's months change."""
    later = person.memberships.filter(since__gt=since).order_by("since").first()
    facts = person.facts.filter(date__gte=since).exclude(team_id=team_id)
    if team_id is None:
        facts = person.facts.filter(date__gte=since, team__isnull=False)
    if later is not None:
        facts = facts.filter(date__lt=later.since)
    changed: set[tuple[dt.date, int | None]] = set()
    for day, old_team in facts.values_list("date", "team_id").distinct():
        month = day.replace(day=1)
        changed.add((month, old_team))
        changed.add((month, team_id))
    return sorted(changed, key=lambda item: (item[0], item[1] or 0))
