"""A few anomalies in the demo company, so that the head's review (`/dashboard/review/`)
has something to show: manager2 repeats the same numbers on 5 working days, manager3 reports
a day of zeros, and head1 enters a value of manager3's a week late. Deterministic and written
in seed_demo's own pass, so that running it again changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings

from funnel.models import FactChange, Indicator
from funnel.services import ValueWrite, facts_write
from teams.models import User

REPEATER, ZERO_DAY_MANAGER, LATE_EDITOR = "manager2", "manager3", "head1"


def _working(start: dt.date, end: dt.date, holidays) -> list[dt.date]:
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    return [d for d in days if d.weekday() < 5 and d not in holidays]


def anomaly_days(end: dt.date, holidays) -> tuple[dict[dt.date, dt.date], dt.date | None]:
    """({day of the run: the run's first day}, the zero day): the run is the last 5 working
    days of end's month, or of the month before when end's month has fewer by then; the zero
    day is the first working day of end's month (of the month before when it has none)."""
    month = end.replace(day=1)
    days = _working(month, end, holidays)
    zero_day = days[0] if days else None
    if len(days) < 5:
        previous = (month - dt.timedelta(days=1)).replace(day=1)
        days = _working(previous, month - dt.timedelta(days=1), holidays)
    run = days[-5:] if len(days) >= 5 else []
    return dict.fromkeys(run, run[0]), zero_day or (days[0] if days else None)


def late_edit(people: dict[str, User], end: dt.date, holidays) -> None:
    """Head1 enters, today, a count of manager3's that the manager left empty on the last
    working day the manager can no longer change."""
    window = dt.timedelta(days=settings.KPI_EDIT_WINDOW_DAYS)
    days = _working(end - dt.timedelta(days=40), end + dt.timedelta(days=1) - window, holidays)
    manager = people[ZERO_DAY_MANAGER]
    for day in reversed(days):
        fact = manager.facts.filter(date=day).order_by("channel__display_order").first()
        if fact is None:
            continue
        own = set(fact.changes.filter(changed_by=manager).values_list("code", flat=True))
        free = Indicator.objects.filter(channel=fact.channel).exclude(code__in=own).first()
        if free is not None:
            write = ValueWrite(day, manager.pk, fact.channel_id, free.code, Decimal(1))
            facts_write(writes=[write], by=people[LATE_EDITOR], source=FactChange.Source.DEMO)
            return
