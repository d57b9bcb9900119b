"""Maintained totals stay exactly equal to the facts, whatever path wrote them."""

import datetime as dt
import threading
import time
from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnel import pivot
from funnel.models import MONEY_CODES, DailyFact, DailyTotal, Indicator, ManagerTotal
from funnel.services import ValueWrite, facts_write
from funnel.totals import (
    ALL_TEAMS,
    NO_TEAM,
    stored_units,
    total_value,
    totals_differences,
    totals_rebuild,
)
from metrics.compute import MoneySums
from metrics.selectors import Scope, count_sums, money_sums
from teams.models import Team, User
from tests.factories import channel, make_user, write_fact

DAY = dt.date(2026, 11, 2)


def expected_totals() -> dict[tuple, Decimal | int]:
    """The totals computed in Python from the facts, independently of the SQL under test."""
    sums: dict[tuple, Decimal | int] = defaultdict(int)
    facts = DailyFact.objects.select_related("manager").prefetch_related("counts__indicator")
    for fact in facts:
        team = fact.manager.team_id or NO_TEAM
        values = {code: getattr(fact, code) for code in MONEY_CODES}
        values |= {count.indicator.code: count.value for count in fact.counts.all()}
        for code, value in values.items():
            for key in (team, ALL_TEAMS):
                sums[(key, fact.date, fact.channel_id, code)] += value
    return {key: value for key, value in sums.items() if value}


def stored_totals() -> dict[tuple, Decimal | int]:
    rows = DailyTotal.objects.values_list("team_key", "date", "channel_id", "code", "value")
    return {
        (team, date, channel_id, code): total_value(code, value)
        for team, date, channel_id, code, value in rows
        if value
    }


def expected_pivot() -> dict[tuple, int]:
    """The per-manager pivot computed in Python from the facts: {(period, start, manager,
    channel, column): value in stored units}, zeros left out."""
    sums: dict[tuple, int] = defaultdict(int)
    order = {}
    for channel_id in DailyFact.objects.values_list("channel_id", flat=True).distinct():
        stages = Indicator.objects.filter(channel_id=channel_id, kind="stage")
        order[channel_id] = list(stages.order_by("order", "id").values_list("code", flat=True))
    facts = DailyFact.objects.prefetch_related("counts__indicator")
    for fact in facts:
        values = {code: stored_units(code, getattr(fact, code)) for code in MONEY_CODES}
        for count in fact.counts.all():
            if count.indicator.code in order[fact.channel_id]:
                position = order[fact.channel_id].index(count.indicator.code)
                values[f"stage_{position + 1}"] = count.value
        for period, start in pivot.buckets(fact.date):
            for column, value in values.items():
                sums[(period, start, fact.manager_id, fact.channel_id, column)] += value
    return {key: value for key, value in sums.items() if value}


def stored_pivot() -> dict[tuple, int]:
    result = {}
    for row in ManagerTotal.objects.values():
        for column in pivot.VALUE_COLUMNS:
            if row[column]:
                key = (row["period"], row["start"], row["manager_id"], row["channel_id"])
                result[(*key, column)] = row[column]
    return result


def assert_totals_exact():
    assert stored_totals() == expected_totals()
    assert totals_differences() == (0, [])
    assert stored_pivot() == expected_pivot()
    assert pivot.pivot_differences() == (0, [])


def total(code: str, *, team: int = ALL_TEAMS, day: dt.date = DAY, channel_code: str = "active"):
    row = DailyTotal.objects.filter(
        team_key=team, date=day, channel=channel(channel_code), code=code
    ).first()
    return total_value(code, row.value if row else 0)


def test_a_write_adds_to_the_team_and_to_the_overall_totals(manager_a, manager_a2, manager_b):
    write_fact(manager_a, "active", DAY, first_contacts=10, revenue="1500.50")
    write_fact(manager_a2, "active", DAY, first_contacts=5, revenue="0.29")
    write_fact(manager_b, "active", DAY, first_contacts=1)
    assert total("first_contacts") == 16
    assert total("first_contacts", team=manager_a.team_id) == 15
    assert total("first_contacts", team=manager_b.team_id) == 1
    assert total("revenue") == Decimal("1500.79")
    assert_totals_exact()


def test_an_overwrite_adds_only_the_difference(manager_a, manager_a2):
    write_fact(manager_a, "active", DAY, first_contacts=10, revenue="100.10")
    write_fact(manager_a2, "active", DAY, first_contacts=3)
    write_fact(manager_a, "active", DAY, first_contacts=4, revenue="0.05")
    assert total("first_contacts", team=manager_a.team_id) == 7
    assert total("revenue") == Decimal("0.05")
    assert_totals_exact()


def test_managers_without_a_team_are_counted_under_no_team(db):
    loner = make_user("loner")
    write_fact(loner, "inbound", DAY, leads_received=7, payments_count=2)
    assert total("leads_received", team=NO_TEAM, channel_code="inbound") == 7
    assert total("payments_count", team=NO_TEAM, channel_code="inbound") == 2
    assert_totals_exact()


def test_a_team_move_takes_the_managers_history_along(manager_a, manager_b, team2):
    write_fact(manager_a, "active", DAY, first_contacts=10, revenue="12.34")
    write_fact(manager_a, "active", DAY + dt.timedelta(days=1), meetings_set=2)
    write_fact(manager_b, "active", DAY, first_contacts=1)
    old_team = manager_a.team_id
    manager_a.team = team2
    manager_a.save()
    assert total("first_contacts", team=old_team) == 0
    assert total("first_contacts", team=team2.pk) == 11
    assert total("revenue", team=team2.pk) == Decimal("12.34")
    assert total("first_contacts") == 11
    manager_a.team = None
    manager_a.save(update_fields=["team"])
    assert total("first_contacts", team=NO_TEAM) == 10
    assert_totals_exact()


def test_saving_a_user_without_touching_the_team_moves_nothing(
    manager_a, django_assert_num_queries
):
    write_fact(manager_a, "active", DAY, first_contacts=10)
    manager_a.last_login = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    with django_assert_num_queries(1):
        manager_a.save(update_fields=["last_login"])
    assert_totals_exact()


def test_deleting_a_team_moves_its_totals_to_no_team(manager_a, manager_a2, team1):
    write_fact(manager_a, "active", DAY, first_contacts=10)
    write_fact(manager_a2, "active", DAY, first_contacts=5)
    team1.delete()
    assert total("first_contacts", team=NO_TEAM) == 15
    assert_totals_exact()


def test_a_bulk_team_update_is_caught_by_verify_and_repaired_by_rebuild(manager_a, team2):
    write_fact(manager_a, "active", DAY, first_contacts=10)
    User.objects.filter(pk=manager_a.pk).update(team=team2)
    count, differences = totals_differences()
    assert count == 4  # the day's and the month's rows of both teams
    assert {(d.level, d.team_key, d.stored, d.fresh) for d in differences} == {
        (level, team, stored, fresh)
        for level in ("day", "month")
        for team, stored, fresh in ((manager_a.team_id, 10, 0), (team2.pk, 0, 10))
    }
    out = StringIO()
    with pytest.raises(CommandError, match="4 differences"):
        call_command("totals_verify", stdout=out)
    assert "first_contacts" in out.getvalue()
    call_command("totals_rebuild", stdout=StringIO())
    assert_totals_exact()
    call_command("totals_verify", stdout=out)
    assert "Totals match the facts" in out.getvalue()


def test_rebuild_recomputes_totals_from_scratch(manager_a, manager_b):
    write_fact(manager_a, "active", DAY, first_contacts=10, revenue="0.29", variable_costs="0.1")
    write_fact(manager_b, "partner", DAY, dm_attempts=4, invoiced_amount="99999.99")
    DailyTotal.objects.all().delete()
    DailyTotal.objects.create(team_key=5, date=DAY, channel=channel("active"), code="x", value=1)
    rows = totals_rebuild()
    assert rows == len(expected_totals())
    assert_totals_exact()


def test_direct_saves_and_deletes_of_facts_keep_totals_exact(manager_a, manager_a2):
    write_fact(manager_a, "active", DAY, first_contacts=10, meetings_set=3, revenue="5.50")
    write_fact(manager_a2, "active", DAY, first_contacts=1)
    fact = DailyFact.objects.get(manager=manager_a)
    fact.revenue = Decimal("7.25")
    fact.save()
    count = fact.counts.get(indicator__code="meetings_set")
    count.value = 8
    count.save()
    assert total("meetings_set") == 8
    fact.counts.get(indicator__code="first_contacts").delete()
    assert total("first_contacts") == 1
    fact.date = DAY + dt.timedelta(days=1)
    fact.save()
    assert total("revenue", day=DAY + dt.timedelta(days=1)) == Decimal("7.25")
    assert_totals_exact()
    DailyFact.objects.filter(manager=manager_a).delete()
    assert total("meetings_set", day=DAY + dt.timedelta(days=1)) == 0
    assert_totals_exact()


def test_renaming_an_indicator_code_renames_its_totals(manager_a):
    write_fact(manager_a, "active", DAY, first_contacts=10)
    indicator = Indicator.objects.get(channel=channel("active"), code="first_contacts")
    indicator.code = "first_touches"
    indicator.save()
    assert total("first_touches") == 10
    assert_totals_exact()


def test_verify_passes_on_consistent_totals(manager_a):
    write_fact(manager_a, "active", DAY, first_contacts=10)
    out = StringIO()
    call_command("totals_verify", stdout=out)
    assert "Totals match the facts" in out.getvalue()


# ---- property: any sequence of writes and team moves ---------------------------------------

CODES = {
    "active": ["first_contacts", "meetings_set", "prospects_added", *MONEY_CODES],
    "inbound": ["leads_received", "invoices_issued", "revenue", "payments_count"],
}
MONEY = st.integers(min_value=0, max_value=10_000_000).map(lambda k: Decimal(k).scaleb(-2))
COUNT = st.sampled_from([0, 0, 1, 2, 7, 1000])


@st.composite
def value_write(draw):
    channel_code = draw(st.sampled_from(sorted(CODES)))
    code = draw(st.sampled_from(CODES[channel_code]))
    money = code in ("invoiced_amount", "revenue", "variable_costs")
    # Days around DAY (Monday 2 November) that fall in other weeks and months: the pivot's
    # day, week and month rows all get exercised.
    day = draw(st.sampled_from([-3, -1, 0, 1, 6, 29]))
    return ("write", draw(st.integers(0, 3)), day, channel_code, code,
            draw(MONEY if money else COUNT))  # fmt: skip


OPERATIONS = st.lists(
    st.one_of(
        st.lists(value_write(), min_size=1, max_size=6),
        st.tuples(st.just("move"), st.integers(0, 3), st.sampled_from([0, 1, None])),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=OPERATIONS)
def test_any_sequence_of_writes_and_moves_leaves_totals_equal_to_the_facts(
    operations, manager_a, manager_a2, manager_b, team1, team2
):
    loner = User.objects.get_or_create(username="loner")[0]
    managers = [manager_a, manager_a2, manager_b, loner]
    teams = [team1, team2]
    channel_ids = {code: channel(code).pk for code in CODES}
    # Each example starts from the same people and no facts; the savepoint undoes it all.
    with transaction.atomic():
        for operation in operations:
            if isinstance(operation, tuple):
                _move, who, team = operation
                manager = User.objects.get(pk=managers[who].pk)
                manager.team = None if team is None else teams[team]
                manager.save()
                continue
            writes = [
                ValueWrite(DAY + dt.timedelta(days=day), managers[who].pk, channel_ids[ch], code, v)
                for _w, who, day, ch, code, v in operation
            ]
            facts_write(writes=writes, by=manager_a, source="import")
        assert_totals_exact()
        assert_reads_from_totals_match_the_facts(teams)
        transaction.set_rollback(True)


GROUPINGS = [("channel",), ("month", "channel"), ("week", "channel"), ("day", "channel"), ()]


def assert_reads_from_totals_match_the_facts(teams) -> None:
    """The dashboards' sums read from the totals (all managers; whole teams minus their
    inactive and non-manager members) equal the same sums read from the facts."""
    start, end = DAY - dt.timedelta(days=40), DAY + dt.timedelta(days=40)
    active = User.objects.filter(role=User.Role.MANAGER, is_active=True)
    scopes = [(Scope(start, end), Scope(start, end, managers=User.objects.all()))]
    for team in teams:
        managers = active.filter(team=team)
        by_totals = Scope(start, end, managers=managers, teams=Team.objects.filter(pk=team.pk))
        scopes.append((by_totals, Scope(start, end, managers=managers)))
    for by_totals, by_facts in scopes:
        assert by_totals.totals_apply
        assert not by_facts.totals_apply
        for group_by in GROUPINGS:
            counts = {k: v for k, v in count_sums(by_facts, group_by).items() if v}
            assert count_sums(by_totals, group_by) == counts
            money = {k: v for k, v in money_sums(by_facts, group_by).items() if v != MoneySums()}
            assert money_sums(by_totals, group_by) == money


def test_team_reads_leave_out_inactive_members_and_other_roles(
    manager_a, manager_a2, manager_b, team1, team2
):
    head_in_team = make_user(role=User.Role.HEAD, team=team1)
    for person, revenue in ((manager_a, "1.10"), (manager_a2, "2.20"), (head_in_team, "4.40")):
        write_fact(person, "active", DAY, revenue=revenue, first_contacts=3, meetings_set=1)
    write_fact(manager_b, "inbound", DAY + dt.timedelta(days=9), revenue="8.80", leads_received=2)
    User.objects.filter(pk=manager_a2.pk).update(is_active=False)
    assert_reads_from_totals_match_the_facts([team1, team2])
    team_scope = Scope(
        DAY,
        DAY,
        managers=User.objects.filter(team=team1, is_active=True, role=User.Role.MANAGER),
        teams=Team.objects.filter(pk=team1.pk),
    )
    assert money_sums(team_scope)[(channel("active").pk,)].revenue == Decimal("1.10")
    assert money_sums(Scope(DAY, DAY + dt.timedelta(days=9)), ())[()].revenue == Decimal("16.50")


# ---- concurrency (PostgreSQL: SQLite serialises writers anyway) ----------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.usefixtures("default_channels")
@pytest.mark.django_db(transaction=True)
def test_two_managers_of_one_team_writing_the_same_cell_at_once_lose_nothing(manager_a, manager_a2):
    active = channel("active").pk
    first_in = threading.Event()
    errors: list[BaseException] = []

    def slow_writer():
        try:
            with transaction.atomic():
                write = ValueWrite(DAY, manager_a.pk, active, "first_contacts", 10)
                facts_write(writes=[write], by=manager_a, source="grid")
                first_in.set()
                time.sleep(0.3)  # hold the total rows while the other writer arrives
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    def writer(manager, rounds):
        try:
            first_in.wait(5)
            for value in range(1, rounds + 1):
                write = ValueWrite(DAY, manager.pk, active, "first_contacts", value)
                facts_write(writes=[write], by=manager, source="grid")
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=slow_writer),
        threading.Thread(target=writer, args=(manager_a2, 30)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert total("first_contacts", team=manager_a.team_id) == 40
    assert total("first_contacts") == 40
    assert_totals_exact()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.usefixtures("default_channels")
@pytest.mark.django_db(transaction=True)
def test_concurrent_writes_and_a_team_move_keep_totals_exact(manager_a, manager_a2, team2):
    active = channel("active").pk
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def writer(manager):
        try:
            barrier.wait(5)
            for value in range(1, 21):
                writes = [
                    ValueWrite(DAY, manager.pk, active, "first_contacts", value),
                    ValueWrite(DAY, manager.pk, active, "revenue", Decimal(value).scaleb(-2)),
                ]
                facts_write(writes=writes, by=manager, source="grid")
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    def mover():
        try:
            barrier.wait(5)
            for team in (team2, manager_a.team, team2, None, team2):
                with transaction.atomic():
                    manager = User.objects.get(pk=manager_a.pk)
                    manager.team = team
                    manager.save()
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=writer, args=(manager_a,)),
        threading.Thread(target=writer, args=(manager_a2,)),
        threading.Thread(target=mover),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert total("first_contacts") == 40
    assert total("revenue") == Decimal("0.40")
    assert_totals_exact()
