import datetime as dt
import hashlib
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Avg, Sum

from dashboards.management.commands.seed_demo import russian_holidays
from funnel.models import DailyCount, DailyFact, FactChange
from plans.models import Holiday, MonthlyExpense, Plan
from teams.models import Team, User
from tests.factories import make_team, make_user

TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def demo_env(settings, monkeypatch, db):
    settings.DEBUG = True
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: TODAY)


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--months", "1", *args, stdout=out)
    return out.getvalue()


def checksum() -> str:
    """A digest of everything seed_demo writes."""
    parts = [
        *DailyFact.objects.order_by("date", "manager__username", "channel__code").values_list(
            "date",
            "manager__username",
            "channel__code",
            "invoiced_amount",
            "payments_count",
            "revenue",
            "variable_costs",
        ),
        *DailyCount.objects.order_by("fact_id", "indicator_id").values_list(
            "fact__date", "fact__manager__username", "indicator__code", "value"
        ),
        *Plan.objects.order_by(
            "month", "manager__username", "channel__code", "indicator"
        ).values_list("month", "manager__username", "channel__code", "indicator", "value"),
        *Holiday.objects.values_list("date", "name", "is_working_day"),
        *MonthlyExpense.objects.values_list("month", "expenses", "reserves"),
        *User.objects.order_by("username").values_list("username", "full_name", "role", "team"),
        ("history", FactChange.objects.count()),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def test_seed_demo_is_deterministic_and_rerunning_changes_nothing(demo_env):
    seed()
    first = checksum()
    seed()
    assert checksum() == first


def test_seed_demo_builds_the_company_and_prints_the_logins(demo_env):
    out = seed()
    assert "director" in out
    assert "manager1 … manager8" in out
    assert "“demo”" in out
    people = User.objects.filter(is_demo=True)
    assert set(people.values_list("username", flat=True)) == {
        "director",
        "head1",
        "head2",
        *(f"manager{i}" for i in range(1, 9)),
    }
    assert people.get(username="manager3").check_password("demo")
    director = people.get(username="director")
    assert (director.role, director.is_staff) == ("director", True)
    for team in Team.objects.all():
        assert team.members.filter(role="manager").count() == 4
        assert team.heads.get().role == "head"
    for manager in people.filter(role="manager"):
        assert 2 <= manager.channels.count() <= 3
        assert manager.full_name


def test_seed_demo_facts_run_up_to_yesterday_through_the_write_service(demo_env):
    seed()
    dates = DailyFact.objects.order_by("date").values_list("date", flat=True)
    assert dates.first() == dt.date(2026, 10, 1)
    assert dates.last() == dt.date(2026, 11, 19)
    assert set(FactChange.objects.values_list("source", flat=True)) == {"demo"}


def test_seed_demo_money_has_kopecks_and_costs_between_40_and_70_percent(demo_env):
    seed()
    paid = DailyFact.objects.filter(revenue__gt=0)
    assert any(fact.revenue % 1 for fact in paid)
    for fact in paid:
        assert Decimal("0.39") <= fact.variable_costs / fact.revenue <= Decimal("0.71")
    assert not DailyFact.objects.filter(payments_count=0, revenue__gt=0).exists()


def test_seed_demo_weekends_are_much_lighter(demo_env):
    seed()
    first_stage = DailyCount.objects.filter(indicator__code="leads_received")
    weekdays = first_stage.exclude(fact__date__week_day__in=(1, 7)).aggregate(a=Avg("value"))
    weekends = first_stage.filter(fact__date__week_day__in=(1, 7)).aggregate(a=Avg("value"))
    assert weekends["a"] < weekdays["a"] * 0.4
    days = DailyFact.objects.values("date").distinct()
    assert days.filter(date__week_day__in=(1, 7)).count() < days.count() / 3


def test_seed_demo_has_two_clear_stars_and_one_clear_laggard(demo_env):
    seed("--months", "3")
    revenue = dict(
        DailyFact.objects.filter(channel__code="inbound")
        .values_list("manager__username")
        .annotate(total=Sum("revenue"))
    )
    ranked = sorted(revenue, key=revenue.get, reverse=True)
    assert set(ranked[:2]) == {"manager1", "manager5"}
    assert ranked[-1] == "manager4"


def test_seed_demo_funnel_narrows_at_every_stage(demo_env):
    seed()
    stage_sums = (
        DailyCount.objects.filter(fact__channel__code="active", indicator__kind="stage")
        .values_list("indicator__order")
        .annotate(total=Sum("value"))
        .order_by("indicator__order")
    )
    totals = [total for _order, total in stage_sums]
    assert len(totals) == 6
    assert totals == sorted(totals, reverse=True)
    assert 0.15 < totals[1] / totals[0] < 0.4


def test_seed_demo_writes_plans_expenses_and_holidays(demo_env):
    seed()
    manager1 = User.objects.get(username="manager1")
    plans = Plan.objects.filter(manager=manager1, channel__code="active")
    months = sorted(set(plans.values_list("month", flat=True)))
    assert months == [dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)]
    assert set(plans.filter(month=dt.date(2026, 11, 1)).values_list("indicator", flat=True)) == {
        "prospects_added",
        "payments_count",
        "revenue",
    }
    assert all(p.value > 0 for p in Plan.objects.all())
    assert MonthlyExpense.objects.filter(month=dt.date(2026, 11, 1), expenses__gt=0).exists()
    assert Holiday.objects.get(date=dt.date(2026, 11, 4)).name == "День народного единства"


def test_russian_holidays_move_a_weekend_holiday_to_the_next_weekday():
    days = russian_holidays(dt.date(2026, 5, 1), dt.date(2026, 12, 31))
    assert list(days) == [
        dt.date(2026, 5, 1),
        dt.date(2026, 5, 9),
        dt.date(2026, 5, 11),
        dt.date(2026, 6, 12),
        dt.date(2026, 11, 4),
    ]
    new_year = russian_holidays(dt.date(2026, 12, 30), dt.date(2027, 1, 10))
    assert list(new_year) == [dt.date(2027, 1, d) for d in range(1, 9)]


def test_seed_demo_refuses_with_debug_off(settings, db):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only with DEBUG on"):
        seed()
    assert not User.objects.exists()


def test_seed_demo_refuses_next_to_real_users(demo_env):
    make_user("real_person")
    with pytest.raises(CommandError, match=r"real \(non-demo\) users \(real_person\)"):
        seed()
    assert not DailyFact.objects.exists()


def test_make_run_skips_the_demo_next_to_real_users_in_one_calm_line(demo_env):
    make_user("real_person")
    assert seed("--skip-if-real") == (
        "Demo data skipped: this database has real users; it keeps its data.\n"
    )
    assert not DailyFact.objects.exists()


@pytest.mark.parametrize("months", ["-1", "37", "100000"])
def test_seed_demo_refuses_a_month_count_out_of_bounds(demo_env, months):
    with pytest.raises(CommandError, match="--months must be between 0 and 36."):
        call_command("seed_demo", "--months", months, stdout=StringIO())


def test_the_demos_people_have_example_addresses_and_get_reminders_and_digests(
    demo_env, mailoutbox
):
    seed()
    people = User.objects.filter(is_demo=True)
    assert {u.email for u in people} == {f"{u.username}@example.com" for u in people}
    # The demo's facts end yesterday: on Monday, Friday's reports are all missing.
    out = StringIO()
    call_command("send_reminders", "--date", "2026-11-23", stdout=out)
    recipients = sorted(address for m in mailoutbox for address in m.to)
    managers = [f"manager{n}@example.com" for n in range(1, 9)]
    assert recipients == sorted(
        [*managers, "director@example.com", *(f"head{n}@example.com" for n in (1, 2))]
    )
    assert out.getvalue() == "Report day 2026-11-20: 8 reminder(s) and 3 digest(s) sent.\n"


def test_seed_demo_with_force_runs_next_to_real_users_and_leaves_them_alone(settings, demo_env):
    settings.DEBUG = False
    real = make_user("real_person", team=make_team("Real team"))
    seed("--force", "--password", "other-pass")
    assert User.objects.get(username="manager1").check_password("other-pass")
    assert not DailyFact.objects.filter(manager=real).exists()
    real.refresh_from_db()
    assert (real.is_demo, real.team.name) == (False, "Real team")


def test_seed_demo_never_takes_over_a_real_user_with_a_demo_name(demo_env, director):
    with pytest.raises(CommandError, match="belong to real users, not demo ones: director"):
        seed("--force")


def test_seed_demo_tells_the_bottleneck_story(demo_env):
    # Ольга Смирнова books meetings like everyone and loses them before negotiations: the
    # bottleneck finder puts that gap first, priced in money.
    from tests.metrics.test_dashboard import make_dashboard

    seed()
    director = User.objects.get(username="director")
    period = {"date_from": "2026-10-21", "date_to": "2026-11-19"}
    top = make_dashboard(director, today=TODAY, **period).leaks[0]
    assert (top.manager.username, top.channel.code, top.stage_code) == (
        "manager2",
        "active",
        "negotiations_held",
    )
    # Well under half the team's conversion, and more money than the next leak by far.
    assert top.leak.conversion < top.leak.reference / 2
    second = make_dashboard(director, today=TODAY, **period).leaks[1]
    assert top.money > 2 * second.money
