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

from funnel.models import MONEY_CODES, DailyFact, DailyTotal, Indicator, ManagerTotal
from funnel.services import ValueWrite, facts_write
from funnel.summaries import buckets as pivot
from funnel.summaries.rebuild import totals_rebuild
from funnel.summaries.units import ALL_TEAMS, NO_TEAM, stored_units, total_value
from funnel.summaries.verify import pivot_differences, team_differences, totals_differences
from metrics.compute import MoneySums
from metrics.selectors import Scope, count_sums, money_sums
from teams.models import Membership, Team, User
from tests.factories import channel, make_user, write_fact

DAY = dt.date(2026, 11, 2)


def team_of_the_day(manager: User, day: dt.date) -> int:
    """The rule, written out again: the latest membership begun by that day, else the
    earliest, else the person's team."""
    memberships = list(Membership.objects.filter(user=manager).order_by("since"))
    if not memberships:
        return manager.team_id or NO_TEAM
    begun = [m for m in memberships if m.since <= day] or memberships[:1]
    return begun[-1].team_id or NO_TEAM


def expected_totals() -> dict[tuple, Decimal | int]:
    """The totals computed in Python from the facts and the memberships, independently of
    the SQL under test."""
    sums: dict[tuple, Decimal | int] = defaultdict(int)
    facts = DailyFact.objects.select_related("manager").prefetch_related("counts__indicator")
    for fact in facts:
        team = team_of_the_day(fact.manager, fact.date)
        assert (fact.team_id or NO_TEAM) == team
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
    facts = DailyFact.objects.select_related("manager").prefetch_related("counts__indicator")
    for fact in facts:
        team = team_of_the_day(fact.manager, fact.date)
        values = {code: stored_units(code, getattr(fact, code)) for code in MONEY_CODES}
        for count in fact.counts.all():
            if count.indicator.code in order[fact.channel_id]:
                position = order[fact.channel_id].index(count.indicator.code)
                values[f"stage_{position + 1}"] = count.value
        for period, start in pivot.buckets(fact.date):
            for column, value in values.items():
                sums[(period, start, fact.manager_id, fact.channel_id, team, column)] += value
    return {key: value for key, value in sums.items() if value}


def stored_pivot() -> dict[tuple, int]:
    result = {}
    for row in ManagerTotal.objects.values():
        for column in pivot.VALUE_COLUMNS:
            if row[column]:
                key = (row["period"], row["start"], row["manager_id"], row["channel_id"])
                key = (*key, row["team_key"])
                result[(*key, column)] = row[column]
    return result


def assert_totals_exact():
    assert stored_totals() == expected_totals()
    assert totals_differences() == (0, [])
    assert team_differences() == (0, [])
    assert stored_pivot() == expected_pivot()
    assert pivot_differences() == (0, [])


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


def test_a_move_dated_today_changes_no_recorded_day(manager_a, manager_b, team1, team2):
    write_fact(manager_a, "active", DAY, first_contacts=10, revenue="12.34")
    write_fact(manager_a, "active", DAY + dt.timedelta(days=1), meetings_set=2)
    write_fact(manager_b, "active", DAY, first_contacts=1)
    manager_a.team = team2
    manager_a.team_since = DAY + dt.timedelta(days=2)
    manager_a.save()
    assert total("first_contacts", team=team1.pk) == 10
    assert total("first_contacts", team=team2.pk) == 1
    assert total("revenue", team=team1.pk) == Decimal("12.34")
    # From the move on, the new team's.
    write_fact(manager_a, "active", DAY + dt.timedelta(days=2), first_contacts=4)
    assert total("first_contacts", team=team2.pk, day=DAY + dt.timedelta(days=2)) == 4
    # The history so far: in the first team since the person joined.
    assert list(manager_a.memberships.values_list("team_id", "since")) == [
        (team1.pk, dt.date(2000, 1, 1)),
        (team2.pk, DAY + dt.timedelta(days=2)),
    ]
    assert_totals_exact()


def test_a_move_dated_in_the_past_re_attributes_only_the_days_from_then_on(manager_a, team1, team2):
    for offset in range(4):
        write_fact(manager_a, "active", DAY + dt.timedelta(days=offset), first_contacts=1 + offset)
    manager_a.team = team2
    manager_a.team_since = DAY + dt.timedelta(days=2)
    manager_a.save()
    assert [
        total("first_contacts", team=team1.pk, day=DAY + dt.timedelta(days=d)) for d in range(4)
    ] == [1, 2, 0, 0]
    assert [
        total("first_contacts", team=team2.pk, day=DAY + dt.timedelta(days=d)) for d in range(4)
    ] == [0, 0, 3, 4]
    assert manager_a.memberships.count() == 2
    assert User.objects.get(pk=manager_a.pk).team_id == team2.pk
    # Out of any team from the day after: that day on goes to no team.
    manager_a.team = None
    manager_a.team_since = DAY + dt.timedelta(days=3)
    manager_a.save(update_fields=["team"])
    assert total("first_contacts", team=NO_TEAM, day=DAY + dt.timedelta(days=3)) == 4
    assert total("first_contacts", team=team2.pk, day=DAY + dt.timedelta(days=2)) == 3
    assert_totals_exact()


def test_editing_and_deleting_memberships_re_attribute_the_facts(manager_a, team1, team2):
    write_fact(manager_a, "active", DAY, first_contacts=5)
    write_fact(manager_a, "active", DAY + dt.timedelta(days=5), first_contacts=7)
    Membership.objects.create(user=manager_a, team=team1, since=DAY - dt.timedelta(days=30))
    later = Membership.objects.create(user=manager_a, team=team2, since=DAY + dt.timedelta(days=3))
    assert total("first_contacts", team=team2.pk, day=DAY + dt.timedelta(days=5)) == 7
    assert User.objects.get(pk=manager_a.pk).team_id == team2.pk
    later.since = DAY
    later.save()
    assert total("first_contacts", team=team2.pk) == 5
    later.delete()
    assert total("first_contacts", team=team1.pk, day=DAY + dt.timedelta(days=5)) == 7
    assert User.objects.get(pk=manager_a.pk).team_id == team1.pk
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


def test_a_membership_changed_behind_the_signals_is_caught_by_verify_and_repaired(
    manager_a, team1, team2
):
    write_fact(manager_a, "active", DAY, first_contacts=10)
    Membership.objects.bulk_create([Membership(user=manager_a, team=team2, since=DAY)])
    count, rows = team_differences()
    assert (count, rows) == (1, [(DAY, manager_a.pk, channel("active").pk, team1.pk, team2.pk)])
    out = StringIO()
    with pytest.raises(CommandError, match="1 differences"):
        call_command("totals_verify", stdout=out)
    assert "wrong team" in out.getvalue()
    call_command("totals_rebuild", stdout=StringIO())
    assert total("first_contacts", team=team2.pk) == 10
    assert total("first_contacts", team=team1.pk) == 0
    assert_totals_exact()
    call_command("totals_verify", stdout=out)
    assert "Totals match the facts" in out.getvalue()


def test_totals_that_drift_from_the_facts_are_caught_by_verify(manager_a, team1):
    write_fact(manager_a, "active", DAY, first_contacts=10)
    DailyTotal.objects.filter(team_key=team1.pk).update(value=3)
    count, differences = totals_differences()
    assert {(d.level, d.team_key, d.stored, d.fresh) for d in differences} == {
        ("day", team1.pk, 3, 10)
    }
    assert count == 1
    call_command("totals_rebuild", stdout=StringIO())
    assert_totals_exact()


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
        # A dated move: in the past, today (day 0) or later.
        st.tuples(
            st.just("move"),
            st.integers(0, 3),
            st.sampled_from([0, 1, None]),
            st.sampled_from([-20, -1, 0, 1, 30]),
        ),
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
                _move, who, team, day = operation
                manager = User.objects.get(pk=managers[who].pk)
                manager.team = None if team is None else teams[team]
                manager.team_since = DAY + dt.timedelta(days=day)
                manager.save()
                continue
            writes = [
                ValueWrite(DAY + dt.timedelta(days=day), managers[who].pk, channel_ids[ch], code, v)
                for _w, who, day, ch, code, v in operation
            ]
            facts_write(writes=writes, by=manager_a, source="import", confirm=True)
        assert_totals_exact()
        assert_reads_from_totals_match_the_facts(teams)
        transaction.set_rollback(True)


GROUPINGS = [("channel",), ("month", "channel"), ("week", "channel"), ("day", "channel"), ()]


def assert_reads_from_totals_match_the_facts(teams) -> None:
    """The dashboards' sums read from the totals (all facts; a team's facts) equal the same
    sums read from the facts, and company = Σ teams (no team included) = Σ managers."""
    start, end = DAY - dt.timedelta(days=40), DAY + dt.timedelta(days=40)
    everyone = User.objects.all()
    team_keys = [Team.objects.filter(pk=team.pk).values("pk") for team in teams]
    scopes = [(Scope(start, end), Scope(start, end, managers=everyone))]
    for keys in team_keys:
        scopes.append(
            (Scope(start, end, teams=keys), Scope(start, end, managers=everyone, teams=keys))
        )
    for by_totals, by_facts in scopes:
        assert by_totals.totals_apply
        assert not by_facts.totals_apply
        for group_by in GROUPINGS:
            counts = {k: v for k, v in count_sums(by_facts, group_by).items() if v}
            assert count_sums(by_totals, group_by) == counts
            money = {k: v for k, v in money_sums(by_facts, group_by).items() if v != MoneySums()}
            assert money_sums(by_totals, group_by) == money
    company = money_sums(Scope(start, end), ()).get((), MoneySums())
    teams_sum = sum(
        (money_sums(Scope(start, end, teams=keys), ()).get((), MoneySums()) for keys in team_keys),
        MoneySums(),
    )
    no_team = DailyFact.objects.filter(team__isnull=True, date__gte=start, date__lte=end)
    teams_sum += sum(
        (
            MoneySums(f.invoiced_amount, f.payments_count, f.revenue, f.variable_costs)
            for f in no_team
        ),
        MoneySums(),
    )
    managers_sum = sum(
        (
            money_sums(Scope(start, end, managers=everyone.filter(pk=person.pk)), ()).get(
                (), MoneySums()
            )
            for person in everyone
        ),
        MoneySums(),
    )
    assert company == teams_sum == managers_sum


def test_team_reads_count_everyone_who_was_in_the_team_that_day(
    manager_a, manager_a2, manager_b, team1, team2
):
    head_in_team = make_user(role=User.Role.HEAD, team=team1)
    for person, revenue in ((manager_a, "1.10"), (manager_a2, "2.20"), (head_in_team, "4.40")):
        write_fact(person, "active", DAY, revenue=revenue, first_contacts=3, meetings_set=1)
    write_fact(manager_b, "inbound", DAY + dt.timedelta(days=9), revenue="8.80", leads_received=2)
    manager_a2.is_active = False
    manager_a2.save()
    assert_reads_from_totals_match_the_facts([team1, team2])
    team_scope = Scope(DAY, DAY, teams=Team.objects.filter(pk=team1.pk).values("pk"))
    assert money_sums(team_scope)[(channel("active").pk,)].revenue == Decimal("7.70")
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
                facts_write(writes=[write], by=manager_a, source="grid", confirm=True)
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
                # Up to 30: above a newcomer's usual, so confirmed; this test is about the totals.
                write = ValueWrite(DAY, manager.pk, active, "first_contacts", value)
                facts_write(writes=[write], by=manager, source="grid", confirm=True)
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
            for days, team in (
                (0, team2),
                (-1, manager_a.team),
                (0, team2),
                (-2, None),
                (1, team2),
            ):
                with transaction.atomic():
                    manager = User.objects.get(pk=manager_a.pk)
                    manager.team = team
                    manager.team_since = DAY + dt.timedelta(days=days)
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
