import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from dashboards.discipline import Completeness, Status, discipline_read, report_status
from funnel.models import DailyFact
from plans.models import Holiday
from teams.models import User
from tests.factories import make_user, write_fact

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
TODAY = dt.date(2026, 3, 10)  # a Tuesday
MON, TUE, WED, THU, FRI, SAT, SUN = (dt.date(2026, 3, d) for d in range(2, 9))


def report(manager, day: dt.date, entered: dt.datetime) -> None:
    write_fact(manager, "active", day, first_contacts=1)
    DailyFact.objects.filter(manager=manager, date=day).update(created_at=entered)


@pytest.mark.parametrize(
    ("day", "expected", "first", "status"),
    [
        (MON, True, MON, Status.SUBMITTED),
        (MON, True, TUE, Status.LATE),
        (MON, True, None, Status.MISSING),
        (SUN, False, None, Status.NOT_EXPECTED),
        (SUN, False, SUN, Status.SUBMITTED),
        (TODAY, True, None, Status.PENDING),
        (TODAY + dt.timedelta(days=1), True, None, Status.NOT_EXPECTED),
    ],
)
def test_report_status_rules(day, expected, first, status):
    assert report_status(day=day, today=TODAY, expected=expected, first_entered=first) == status


def test_completeness_is_reported_over_expected_days():
    summary = Completeness(expected=5, reported=3, on_time=2)
    assert summary.completeness == Decimal("0.6")
    assert summary.on_time_rate == Decimal("0.4")
    assert Completeness().completeness is None


@pytest.fixture
def week(manager_a, manager_a2):
    Holiday.objects.create(date=THU, name="Holiday", is_working_day=False)
    Holiday.objects.create(date=SAT, name="Transferred", is_working_day=True)
    # 23:30 in Moscow is still the day itself; 00:30 the next day is late even though
    # it is the same date in UTC.
    report(manager_a, MON, dt.datetime(2026, 3, 2, 23, 30, tzinfo=MSK))
    report(manager_a, TUE, dt.datetime(2026, 3, 4, 0, 30, tzinfo=MSK))
    report(manager_a, FRI, dt.datetime(2026, 3, 6, 10, 0, tzinfo=MSK))
    for day in (MON, TUE, WED, FRI, SAT, dt.date(2026, 3, 9)):
        report(manager_a2, day, dt.datetime.combine(day, dt.time(18), tzinfo=MSK))


def test_statuses_of_a_week_with_a_holiday_and_a_worked_saturday(manager_a, week):
    result = discipline_read(
        managers=User.objects.filter(pk=manager_a.pk), date_from=MON, date_to=SUN, today=TODAY
    )
    (row,) = result.managers
    assert [d.status for d in row.days] == [
        Status.SUBMITTED,
        Status.LATE,
        Status.MISSING,
        Status.NOT_EXPECTED,  # holiday
        Status.SUBMITTED,
        Status.MISSING,  # transferred working Saturday: expected
        Status.NOT_EXPECTED,  # Sunday
    ]
    assert row.summary == Completeness(expected=5, reported=3, on_time=2)


def test_team_completeness_and_who_has_not_reported_the_last_working_day(
    team1, manager_a, manager_a2, week
):
    result = discipline_read(
        managers=User.objects.filter(team=team1), date_from=MON, date_to=SUN, today=TODAY
    )
    assert result.last_working_day == dt.date(2026, 3, 9)
    assert result.not_reported == [manager_a]
    (team,) = result.teams
    assert team.summary == Completeness(expected=10, reported=8, on_time=7)
    assert team.summary.completeness == Decimal("0.8")


def test_a_manager_without_channels_is_never_expected(team1):
    idle = make_user("idle", team=team1, channels=())
    result = discipline_read(
        managers=User.objects.filter(pk=idle.pk), date_from=MON, date_to=SUN, today=TODAY
    )
    assert result.managers[0].summary.expected == 0
    assert result.not_reported == []


def test_today_does_not_count_until_it_is_over(manager_a):
    result = discipline_read(
        managers=User.objects.filter(pk=manager_a.pk),
        date_from=TODAY,
        date_to=TODAY,
        today=TODAY,
    )
    assert result.managers[0].days[0].status == Status.PENDING
    assert result.total.expected == 0
