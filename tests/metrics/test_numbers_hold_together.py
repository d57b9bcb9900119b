"""One truth for every figure: people leaving, dated team moves, a month in progress.

The scenarios of a department's life (someone leaves, someone moves, Monday morning comes)
and a property test: whatever happens, company = Σ teams = Σ managers on every selector the
dashboard and kpi_report read.
"""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboards import dashboard
from dashboards.dashboard import Dashboard
from dashboards.forms import DashboardFilterForm
from funnel.models import DailyFact
from funnel.services import ValueWrite, facts_write
from metrics.compute import MoneySums
from metrics.reports import build_report
from metrics.selectors import Scope, count_sums, manager_pivot, money_sums
from teams.models import Team, User
from tests.factories import channel, make_user, write_fact

SUNDAY = dt.date(2026, 12, 6)
NOVEMBER = {"period": "custom", "date_from": "2026-11-01", "date_to": "2026-11-30"}


def board(user, *, today=SUNDAY, **params) -> Dashboard:
    data = QueryDict(mutable=True)
    data.update({**NOVEMBER, **params})
    form = DashboardFilterForm(data, user=user, mine=False, today=today)
    assert form.is_valid(), form.errors
    filters = dashboard.filters_for(cleaned=form.cleaned_data, viewer=user, mine=False, today=today)
    return Dashboard(filters)


def report(*args) -> dict:
    out = StringIO()
    call_command("kpi_report", *args, stdout=out)
    return json.loads(out.getvalue())


def revenue(data: dict) -> Decimal:
    return Decimal(data["total"]["revenue"])


@pytest.fixture
def november(manager_a, manager_a2, manager_b):
    """Each manager: revenue every working day of November and of 1–4 December."""
    day = dt.date(2026, 11, 2)
    amounts = {manager_a: "100.00", manager_a2: "30.00", manager_b: "7.00"}
    while day <= dt.date(2026, 12, 4):
        if day.weekday() < 5:
            for person, amount in amounts.items():
                write_fact(person, "active", day, revenue=amount, first_contacts=2)
        day += dt.timedelta(days=1)


# --- people who leave ---------------------------------------------------------------------


def test_a_deactivated_manager_still_counts_everywhere_and_is_marked_former(
    client, director, team1, team2, manager_a, manager_a2, november
):
    manager_a2.is_active = False
    manager_a2.save()
    assert manager_a2.left_on is None  # a plain save: the admin fills it in (tested there)
    team_board = board(director, team=team1.pk)
    team_revenue = team_board.cards[0].value
    # 21 working days of November: 100 + 30 a day in team 1.
    assert team_revenue == Decimal("2730.00")
    assert revenue(report("--from", "2026-11-01", "--to", "2026-11-30", "--team", "Team 1")) == (
        team_revenue
    )
    company = board(director)
    teams = [board(director, team=t.pk).cards[0].value for t in (team1, team2)]
    assert company.cards[0].value == sum(teams) == Decimal("2877.00")
    rows = {row.manager.username: row for row in company.leaderboard}
    assert set(rows) == {"manager_a", "manager_a2", "manager_b"}
    assert rows["manager_a2"].manager.board_name == "Artem Antonov (former)"
    assert sum(row.revenue for row in company.leaderboard) == company.cards[0].value
    # Chosen in the filters, like anyone else.
    client.force_login(director)
    response = client.get(reverse("metrics:dashboard"), {**NOVEMBER, "manager": manager_a2.pk})
    assert response.status_code == 200
    assert response.context["dash"].cards[0].value == Decimal("630.00")
    out = StringIO()
    call_command("totals_verify", stdout=out)
    assert "match" in out.getvalue()


def test_nobody_is_missing_before_they_joined_or_after_they_left(director, team1, manager_a):
    make_user("newcomer", team=team1, date_joined=dt.datetime(2026, 12, 4, tzinfo=dt.UTC))
    make_user("leaver", team=team1, left_on=dt.date(2026, 12, 4))
    # The last working day before Sunday 6 December is Friday the 4th.
    on_friday = board(director, today=SUNDAY, period="custom", date_from="2026-12-01",
                      date_to="2026-12-06")  # fmt: skip
    missing = {person.username for person in on_friday.not_reported}
    assert "newcomer" in missing  # joined on the 4th: due that day
    assert "leaver" not in missing  # left on the 4th: no longer due
    on_thursday = board(director, today=dt.date(2026, 12, 4), period="custom",
                        date_from="2026-12-01", date_to="2026-12-04")  # fmt: skip
    missing = {person.username for person in on_thursday.not_reported}
    assert "newcomer" not in missing  # the 3rd was before they joined
    assert "leaver" in missing


# --- dated team moves ---------------------------------------------------------------------


def move(person: User, team: Team | None, since: dt.date) -> None:
    person.team = team
    person.team_since = since
    person.save()


def test_a_move_dated_today_leaves_closed_months_alone(director, team1, team2, manager_a, november):
    before = board(director, team=team1.pk).cards[0].value
    move(manager_a, team2, SUNDAY)
    assert board(director, team=team1.pk).cards[0].value == before == Decimal("2730.00")
    assert board(director, team=team2.pk).cards[0].value == Decimal("147.00")
    # The person's own numbers follow the person.
    assert board(director, manager=manager_a.pk).cards[0].value == Decimal("2100.00")


def test_a_move_dated_in_the_past_re_attributes_only_the_days_from_then_on(
    director, team1, team2, manager_a, november
):
    # From Monday 16 November: 11 of November's 21 working days in team 2.
    move(manager_a, team2, dt.date(2026, 11, 16))
    assert (
        board(director, team=team1.pk).cards[0].value
        == Decimal("30.00") * 21 + Decimal("100.00") * 10
    )
    assert (
        board(director, team=team2.pk).cards[0].value
        == Decimal("7.00") * 21 + Decimal("100.00") * 11
    )
    company = board(director)
    teams = [board(director, team=t.pk).cards[0].value for t in (team1, team2)]
    assert company.cards[0].value == sum(teams)
    # Under a team filter the person shows only their days in it.
    rows = {row.manager.username: row.revenue for row in board(director, team=team1.pk).leaderboard}
    assert rows["manager_a"] == Decimal("1000.00")
    assert revenue(
        report("--from", "2026-11-01", "--to", "2026-11-30", "--team", "Team 2")
    ) == Decimal("1247.00")
    assert revenue(
        report(
            "--from", "2026-11-01", "--to", "2026-11-30", "--team", "Team 1",
            "--manager", "manager_a",
        )
    ) == Decimal("1000.00")  # fmt: skip


def test_the_new_head_sees_the_whole_history_and_the_old_one_only_the_days_in_their_team(
    head1, head2, team1, team2, manager_a, november
):
    move(manager_a, team2, dt.date(2026, 11, 16))
    new_head = board(head2, manager=manager_a.pk)
    assert new_head.cards[0].value == Decimal("2100.00")
    old_head = board(head1, manager=manager_a.pk)
    assert old_head.cards[0].value == Decimal("1000.00")
    december = {"period": "custom", "date_from": "2026-12-01", "date_to": "2026-12-05"}
    assert board(head1, manager=manager_a.pk, **december).cards[0].value is not None
    assert board(head1, manager=manager_a.pk, **december).money_total == MoneySums()
    # Both heads' pages add up to the company.
    pages = [board(head).cards[0].value for head in (head1, head2)]
    assert sum(pages) == Decimal("2877.00")


def test_the_admin_asks_before_re_attributing_recorded_months(
    admin_client, team1, team2, manager_a, november
):
    url = reverse("admin:teams_user_change", args=[manager_a.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data["channels"] = [c.pk for c in manager_a.channels.all()]
    data["date_joined_0"], data["date_joined_1"] = "2000-01-01", "00:00:00"
    data.update({"team": team2.pk, "team_since": "2026-11-16"})
    response = admin_client.post(url, data)
    assert response.status_code == 200
    message = str(response.context["adminform"].form.errors["confirm_move"])
    assert "November 2026 — Team 1" in message
    assert "December 2026 — Team 2" in message
    assert DailyFact.objects.filter(manager=manager_a, team=team2).count() == 0
    data["confirm_move"] = "on"
    assert admin_client.post(url, data).status_code == 302
    moved = DailyFact.objects.filter(manager=manager_a, team=team2)
    assert moved.count() == 11 + 4
    assert min(moved.values_list("date", flat=True)) == dt.date(2026, 11, 16)
    # Deactivated in the admin: the day they left is filled in.
    data = {**data, "is_active": ""}
    data.pop("confirm_move")
    admin_client.post(url, data)
    assert User.objects.get(pk=manager_a.pk).left_on is not None


# --- Monday morning -----------------------------------------------------------------------


def test_the_forecast_is_the_same_on_sunday_and_on_monday_morning(director, manager_a, november):
    from plans.models import Plan

    Plan.objects.create(
        month=dt.date(2026, 12, 1),
        channel=channel("active"),
        manager=manager_a,
        indicator="revenue",
        value=Decimal("5000.00"),
    )
    this_month = {"period": "this_month"}
    sunday = board(director, today=SUNDAY, **this_month)
    monday = board(director, today=dt.date(2026, 12, 7), **this_month)
    # 1–4 December: 4 working days of 23; 137.00 a day.
    expected = Decimal("548.00") * 23 / 4
    assert sunday.plan_card.forecast == monday.plan_card.forecast == Decimal("3151.00")
    assert Decimal("3151.00") == expected
    rows = [board.leaderboard[0] for board in (sunday, monday)]
    assert rows[0].forecast == rows[1].forecast == Decimal("400.00") * 23 / 4


def test_discipline_follows_the_manager_and_channel_filters(
    client, head1, team1, manager_a, manager_a2
):
    client.force_login(head1)
    url = reverse("metrics:discipline")
    period = {"from": "2026-11-02", "to": "2026-11-06"}
    everyone = client.get(url, period).context["report"]
    assert {m.manager.username for m in everyone.managers} == {"manager_a", "manager_a2"}
    one = client.get(url, {**period, "manager": manager_a.pk}).context["report"]
    assert [m.manager.username for m in one.managers] == ["manager_a"]
    write_fact(manager_a2, "inbound", dt.date(2026, 11, 2), leads_received=1)
    inbound = client.get(url, {**period, "channel": channel("active").pk}).context["report"]
    reported = {m.manager.username: m.summary.reported for m in inbound.managers}
    assert reported["manager_a2"] == 0  # an inbound report is not an active-sales one
    assert client.get(url, {**period, "manager": 999999}).status_code == 404


# --- property: whatever happens, the scopes add up ----------------------------------------

BASE = dt.date(2026, 10, 1)
CODES = ["first_contacts", "meetings_set", "revenue", "variable_costs", "payments_count"]


@st.composite
def writes(draw):
    return [
        (
            "write",
            draw(st.integers(0, 3)),
            draw(st.integers(0, 80)),
            draw(st.sampled_from(["active", "inbound"])),
            draw(st.sampled_from(CODES)),
            # Up to the maximum of a count per day (funnel.plausibility).
            draw(st.integers(0, 1000)),
        )
        for _ in range(draw(st.integers(1, 5)))
    ]


OPERATIONS = st.lists(
    st.one_of(
        writes(),
        st.tuples(
            st.just("move"),
            st.integers(0, 3),
            st.sampled_from([0, 1, None]),
            st.integers(-10, 90),
        ),
        st.tuples(st.just("leave"), st.integers(0, 3), st.integers(0, 90)),
    ),
    min_size=1,
    max_size=10,
)


def _code(channel_code: str, code: str) -> str:
    if channel_code == "inbound" and code in ("first_contacts", "meetings_set"):
        return {"first_contacts": "leads_received", "meetings_set": "qualified_leads"}[code]
    return code


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    operations=OPERATIONS,
    start=st.integers(0, 80),
    length=st.integers(0, 60),
    channel_code=st.sampled_from([None, "active", "inbound"]),
)
def test_company_is_the_sum_of_teams_and_of_managers_whatever_happens(
    operations, start, length, channel_code, director, manager_a, manager_a2, manager_b
):
    loner = User.objects.get_or_create(username="loner", defaults={"role": "manager"})[0]
    people = [manager_a, manager_a2, manager_b, loner]
    teams = list(Team.objects.order_by("pk"))
    with transaction.atomic():
        for operation in operations:
            if operation[0] == "move":
                _op, who, team, day = operation
                move(User.objects.get(pk=people[who].pk), None if team is None else teams[team],
                     BASE + dt.timedelta(days=day))  # fmt: skip
            elif operation[0] == "leave":
                _op, who, day = operation
                User.objects.filter(pk=people[who].pk).update(
                    is_active=False, left_on=BASE + dt.timedelta(days=day)
                )
            else:
                facts_write(
                    writes=[
                        ValueWrite(
                            BASE + dt.timedelta(days=day),
                            people[who].pk,
                            channel(ch).pk,
                            _code(ch, code),
                            Decimal(value).scaleb(-2)
                            if code in ("revenue", "variable_costs")
                            else value,
                        )
                        for _w, who, day, ch, code, value in operation
                    ],
                    confirm=True,
                    by=director,
                    source="import",
                )
        date_from = BASE + dt.timedelta(days=start)
        date_to = date_from + dt.timedelta(days=length)
        channels = None if channel_code is None else (channel(channel_code).pk,)
        assert_scopes_add_up(date_from, date_to, channels, teams, people)
        transaction.set_rollback(True)


def _team_scopes(date_from, date_to, channels, teams):
    return [
        Scope(date_from, date_to, channels, teams=Team.objects.filter(pk=t.pk).values("pk"))
        for t in teams
    ]


def assert_scopes_add_up(date_from, date_to, channels, teams, people):
    company = Scope(date_from, date_to, channels)
    team_scopes = _team_scopes(date_from, date_to, channels, teams)
    person_scopes = [
        Scope(date_from, date_to, channels, managers=User.objects.filter(pk=p.pk)) for p in people
    ]
    facts = DailyFact.objects.filter(date__gte=date_from, date__lte=date_to)
    if channels:
        facts = facts.filter(channel_id__in=channels)
    no_team = sum(
        (
            MoneySums(f.invoiced_amount, f.payments_count, f.revenue, f.variable_costs)
            for f in facts.filter(team__isnull=True)
        ),
        MoneySums(),
    )

    def money(scope):
        return money_sums(scope, ()).get((), MoneySums())

    assert (
        money(company)
        == sum(map(money, team_scopes), no_team)
        == sum(map(money, person_scopes), MoneySums())
    )

    def counts(scope):
        return sum(count_sums(scope).values())

    no_team_counts = sum(c.value for f in facts.filter(team__isnull=True) for c in f.counts.all())
    assert counts(company) == sum(map(counts, team_scopes)) + no_team_counts
    assert counts(company) == sum(map(counts, person_scopes))

    # The per-manager pivot (leaderboard, conversion table): stages and revenue.
    def pivot_totals(scope):
        sums = manager_pivot(scope)
        return (
            sum(s.revenue_units for s in sums.values()),
            sum(sum(s.stages) for s in sums.values()),
        )

    whole = pivot_totals(company)
    assert whole[0] == int(money(company).revenue * 100)
    parts = [pivot_totals(s) for s in team_scopes]
    assert whole[0] == sum(p[0] for p in parts) + int(no_team.revenue * 100)
    assert whole == tuple(map(sum, zip(*[pivot_totals(s) for s in person_scopes], strict=True)))

    # The report of kpi_report and the dashboard.
    as_of = date_to + dt.timedelta(days=1)
    total = build_report(scope=company, as_of=as_of).total.money
    assert total.revenue == money(company).revenue
    team_reports = [build_report(scope=s, as_of=as_of).total.money for s in team_scopes]
    assert total.revenue == sum((r.revenue for r in team_reports), no_team.revenue)
    assert total.margin == sum(
        (r.margin for r in team_reports), no_team.revenue - no_team.variable_costs
    )


def test_the_forecast_says_which_day_it_is_as_of(
    client, director, manager_a, november, monkeypatch
):
    monkeypatch.setattr("dashboards.views._today", lambda: SUNDAY)
    client.force_login(director)
    whole = {"full": 1}  # the leaderboard and the plans table below the fold too
    page = client.get(reverse("metrics:dashboard"), {"period": "this_month", **whole})
    assert "Month-end forecast as of the end of 5 December" in page.content.decode()
    past = client.get(reverse("metrics:dashboard"), {**NOVEMBER, **whole}).content.decode()
    assert "as of the end of" not in past


def test_not_reported_follows_the_channel_filter(director, manager_a, manager_a2):
    manager_a2.channels.set([channel("active")])
    write_fact(manager_a, "inbound", dt.date(2026, 12, 4), leads_received=3)
    december = {"period": "custom", "date_from": "2026-12-01", "date_to": "2026-12-06"}
    everyone = {p.username for p in board(director, **december).not_reported}
    assert everyone == {"manager_a2"}
    inbound = board(director, channel=channel("inbound").pk, **december)
    assert {p.username for p in inbound.not_reported} == set()  # manager_a2 sells no inbound
    active = board(director, channel=channel("active").pk, **december)
    assert {p.username for p in active.not_reported} == {"manager_a", "manager_a2"}


def test_the_morning_digest_counts_a_team_as_the_dashboard_does(
    director, team1, team2, manager_a, november
):
    from dashboards.notifications import _teams

    move(manager_a, team2, dt.date(2026, 12, 3))
    teams = {t.team.pk: t.revenue for t in _teams(director, dt.date(2026, 12, 4), {})}
    december = {"period": "custom", "date_from": "2026-12-01", "date_to": "2026-12-31"}
    for team in (team1, team2):
        assert teams[team.pk] == board(director, team=team.pk, **december).cards[0].value
    assert teams[team1.pk] == Decimal("100.00") * 2 + Decimal("30.00") * 4
