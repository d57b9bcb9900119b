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


# --- a newcomer is due from their first day -----------------------------------------------

DEC = [dt.date(2026, 12, d) for d in range(1, 7)]  # Tuesday 1 – Sunday 6 December 2026


def december(manager, **kwargs):
    result = discipline_read(
        managers=User.objects.filter(pk=manager.pk),
        date_from=DEC[0],
        date_to=DEC[-1],
        today=dt.date(2026, 12, 7),
        **kwargs,
    )
    (row,) = result.managers
    return [d.status for d in row.days], row.summary, result.not_reported


M, N = Status.MISSING, Status.NOT_EXPECTED


def test_a_newcomer_is_not_missing_before_the_account_was_made(team1):
    newcomer = make_user("new1", team=team1, date_joined=dt.datetime(2026, 12, 3, 10, tzinfo=MSK))
    statuses, summary, _missing = december(newcomer)
    assert statuses == [N, N, M, M, N, N]
    assert summary == Completeness(expected=2, reported=0, on_time=0)


def test_a_newcomer_made_ahead_of_their_first_day_in_a_team_is_due_from_that_day(team1):
    # The account is made on Tuesday the 1st without a team; they start in team 1 on
    # Thursday the 3rd. Before, they were counted missing on the 1st and 2nd (in no team).
    newcomer = make_user("new2", team=None, date_joined=dt.datetime(2026, 12, 1, 9, tzinfo=MSK))
    newcomer.team, newcomer.team_since = team1, dt.date(2026, 12, 3)
    newcomer.save()
    for kwargs in ({}, {"team_ids": {team1.pk}}):
        statuses, summary, _missing = december(newcomer, **kwargs)
        assert statuses == [N, N, M, M, N, N]
        assert summary.expected == 2


def test_a_newcomer_imported_with_a_later_team_since_is_due_from_that_day(team1):
    from teams.services import people_import

    people_import(
        text="username,full_name,email,role,team,channels,team_since\n"
        f"new3,Нина Новикова,,manager,{team1.name},active,2026-12-04\n"
    )
    newcomer = User.objects.get(username="new3")
    User.objects.filter(pk=newcomer.pk).update(date_joined=dt.datetime(2026, 12, 1, 9, tzinfo=MSK))
    statuses, summary, missing = december(newcomer)
    assert statuses == [N, N, N, M, N, N]
    assert summary.expected == 1
    assert missing == [newcomer]  # Friday the 4th was their first day


def test_a_manager_in_a_team_from_the_start_stays_due_from_the_day_they_joined(manager_a, team2):
    # Moving an old hand to another team does not make their earlier days undue.
    manager_a.team, manager_a.team_since = team2, dt.date(2026, 12, 3)
    manager_a.save()
    statuses, summary, _missing = december(manager_a)
    assert statuses == [M, M, M, M, N, N]
