"""Reporting discipline: did each manager report each working day, on time?

A manager's report for a day is *submitted* when a daily fact of that day (any channel)
was first entered on that day (local time), *late* when first entered afterwards, and
*missing* when there is none. Only working days (weekends and the holiday list, with
transferred working days) are expected, and only from managers who report on some
channel, between the day they joined and the day they left (people who left stay listed for
the periods they worked in). Today is still open: it counts once reported, never as missing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from metrics.compute import LOOKBACK_DAYS, is_working_day, last_working_day_before, ratio
from metrics.selectors import first_entered, working_day_overrides
from teams.membership import calendar_for, on_duty, with_first_team_day


class Status(StrEnum):
    SUBMITTED = "submitted"
    LATE = "late"
    MISSING = "missing"
    PENDING = "pending"  # today, not reported yet
    NOT_EXPECTED = "not_expected"


def report_status(
    *, day: dt.date, today: dt.date, expected: bool, first_entered: dt.date | None
) -> Status:
    """The status of one manager's report for `day`.

    `expected`: a working day and the manager reports on at least one channel.
    `first_entered`: local date the first fact of the day was entered, None without one.
    """
    if first_entered is not None:
        return Status.SUBMITTED if first_entered <= day else Status.LATE
    if not expected or day > today:
        return Status.NOT_EXPECTED
    return Status.PENDING if day == today else Status.MISSING


@dataclass(frozen=True)
class Completeness:
    expected: int = 0  # expected working days, up to yesterday
    reported: int = 0  # of which submitted or late
    on_time: int = 0  # of which submitted

    def __add__(self, other: Completeness) -> Completeness:
        return Completeness(
            self.expected + other.expected,
            self.reported + other.reported,
            self.on_time + other.on_time,
        )

    @property
    def completeness(self) -> Decimal | None:
        return ratio(self.reported, self.expected)

    @property
    def on_time_rate(self) -> Decimal | None:
        return ratio(self.on_time, self.expected)


@dataclass(frozen=True)
class DayReport:
    day: dt.date
    status: Status
    expected: bool


def completeness(days: list[DayReport], *, today: dt.date) -> Completeness:
    """Completeness over expected days before today (a day-off report is welcome, not due)."""
    counted = [d for d in days if d.expected and d.day < today]
    return Completeness(
        expected=len(counted),
        reported=sum(d.status in (Status.SUBMITTED, Status.LATE) for d in counted),
        on_time=sum(d.status == Status.SUBMITTED for d in counted),
    )


@dataclass
class ManagerDiscipline:
    manager: object
    days: list[DayReport]
    summary: Completeness
    last_day: Status | None = None  # status on the last working day before today


@dataclass
class TeamDiscipline:
    team: object | None
    managers: list[ManagerDiscipline] = field(default_factory=list)
    summary: Completeness = field(default_factory=Completeness)


@dataclass
class DisciplineReport:
    date_from: dt.date
    date_to: dt.date
    today: dt.date
    last_working_day: dt.date | None
    teams: list[TeamDiscipline]
    total: Completeness
    not_reported: list  # managers whose report for the last working day is missing

    @property
    def managers(self) -> list[ManagerDiscipline]:
        return [m for t in self.teams for m in t.managers]


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """This month up to yesterday; on the 1st, the whole previous month."""
    yesterday = today - dt.timedelta(days=1)
    return yesterday.replace(day=1), yesterday


def discipline_read(
    *,
    managers: QuerySet,
    date_from: dt.date,
    date_to: dt.date,
    today: dt.date,
    team_ids: set[int] | None = None,
    channel_id: int | None = None,
) -> DisciplineReport:
    """Report statuses and completeness of `managers` over a period. Four queries.

    A day is expected from a manager who reports on some channel (on `channel_id`, when
    given: then only that channel's facts count), from the day they joined until the day
    they left, and — with `team_ids` — only on the days they were in one of those teams.
    """
    channels = Count("channels", filter=Q(channels=channel_id) if channel_id else None)
    rows = [
        manager
        for manager in with_first_team_day(managers.select_related("team"))
        .annotate(channel_count=channels)
        .order_by("team__name", "full_name", "username")
        if manager.is_active or manager.channel_count
    ]
    calendar = calendar_for(rows)
    look_from = min(date_from, today - dt.timedelta(days=LOOKBACK_DAYS))
    overrides = working_day_overrides(look_from, max(date_to, today))
    last_day = last_working_day_before(today, overrides)
    first_days: dict[tuple[int, dt.date], dt.date] = {}
    dates = [date_from, date_to] + ([last_day] if last_day else [])
    entered = first_entered(
        [m.pk for m in rows], date_from=min(dates), date_to=max(dates), channel_id=channel_id
    )
    for key, first in entered.items():
        first_days[key] = timezone.localtime(first).date()

    period = [date_from + dt.timedelta(days=i) for i in range((date_to - date_from).days + 1)]
    teams: dict[int | None, TeamDiscipline] = {}
    not_reported = []
    for manager in rows:

        def day_report(day: dt.date, manager=manager) -> DayReport:
            expected = (
                manager.channel_count > 0
                and is_working_day(day, overrides)
                and on_duty(manager, day)
                and (team_ids is None or calendar.team_on(manager.pk, day) in team_ids)
            )
            status = report_status(
                day=day,
                today=today,
                expected=expected,
                first_entered=first_days.get((manager.pk, day)),
            )
            return DayReport(day=day, status=status, expected=expected)

        days = [day_report(day) for day in period]
        if not any(d.expected or d.status != Status.NOT_EXPECTED for d in days) and (
            not manager.is_active
        ):
            continue  # someone who left before the period
        entry = ManagerDiscipline(
            manager=manager,
            days=days,
            summary=completeness(days, today=today),
            last_day=day_report(last_day).status if last_day else None,
        )
        if entry.last_day == Status.MISSING:
            not_reported.append(manager)
        team = teams.setdefault(manager.team_id, TeamDiscipline(team=manager.team))
        team.managers.append(entry)
        team.summary = team.summary + entry.summary
    total = sum((t.summary for t in teams.values()), Completeness())
    return DisciplineReport(
        date_from=date_from,
        date_to=date_to,
        today=today,
        last_working_day=last_day,
        teams=list(teams.values()),
        total=total,
        not_reported=not_reported,
    )
