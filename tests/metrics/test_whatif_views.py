"""The what-if planner's pages: who may open them, the path from history and typed levers,
HTMX recomputes, and "use as plan" writing plans all-or-nothing under the frozen-month
rules."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from plans.models import Plan, PlanChange
from tests.factories import channel, make_user, write_fact

URL = "/dashboard/plan-it/"
USE = "/dashboard/plan-it/use/"
FUTURE = "2099-03"  # 22 working days, never frozen
STAGES = (
    "first_contacts",
    "meetings_set",
    "negotiations_held",
    "proposals_sent",
    "contracts_agreed",
    "invoices_issued",
)


def history(manager, counts=(400, 100, 80, 60, 40, 30), payments=20, revenue="400000.00"):
    """One day of active sales yesterday: conversions 25, 80, 75, 66.67, 75, 66.67 %."""
    day = timezone.localdate() - dt.timedelta(days=1)
    write_fact(
        manager,
        "active",
        day,
        **dict(zip(STAGES, counts, strict=True)),
        payments_count=payments,
        revenue=Decimal(revenue),
    )


def logged_in(client, user):
    client.force_login(user)
    return client


def planned(client, head, manager, params: dict) -> str:
    """The planner's page for `manager`'s future month with `params`, after their history."""
    history(manager)
    query = {"who": f"manager-{manager.pk}", "month": FUTURE, **params}
    return logged_in(client, head).get(URL, query).content.decode()


def path_rows(html: str) -> dict[str, list[str]]:
    """{indicator code: [month, per day, per manager per day]} of the path table."""
    rows = re.findall(r'<tr data-code="(\w+)">(.*?)</tr>', html, re.S)
    return {code: re.findall(r'<td class="num">([^<]*)</td>', cells) for code, cells in rows}


def month_first(delta_months: int) -> dt.date:
    month = timezone.localdate().replace(day=1)
    for _ in range(abs(delta_months)):
        if delta_months > 0:
            month = (month + dt.timedelta(days=32)).replace(day=1)
        else:
            month = (month - dt.timedelta(days=1)).replace(day=1)
    return month


# ---- who may open it --------------------------------------------------------------------


@pytest.mark.django_db
def test_managers_are_refused_and_outsiders_get_404(client, manager_a, head2, team1):
    assert logged_in(client, manager_a).get(URL).status_code == 403
    assert client.post(USE, {"who": f"manager-{manager_a.pk}"}).status_code == 403
    logged_in(client, head2)
    assert client.get(URL, {"who": f"manager-{manager_a.pk}"}).status_code == 404
    assert client.get(URL, {"who": f"team-{team1.pk}"}).status_code == 404
    assert client.get(URL, {"who": "nonsense"}).status_code == 404
    response = client.post(USE, {"who": f"manager-{manager_a.pk}", "month": FUTURE})
    assert response.status_code == 404
    assert not Plan.objects.exists()


@pytest.mark.django_db
def test_anonymous_goes_to_the_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# ---- the path ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_path_runs_from_a_typed_target_through_the_managers_history(client, head1, manager_a):
    history(manager_a)
    response = logged_in(client, head1).get(
        URL, {"who": f"manager-{manager_a.pk}", "month": FUTURE, "target": "300000"}
    )
    assert response.status_code == 200
    rows = path_rows(response.content.decode())
    # 300 000 / 20 000 = 15 payments, back through the conversions; 22 working days.
    assert rows["first_contacts"] == ["300", "14", "14"]
    assert rows["meetings_set"] == ["75", "4", "4"]
    assert rows["invoices_issued"] == ["23", "2", "2"]
    assert rows["payments_count"] == ["15", "1", "1"]
    html = response.content.decode()
    assert 'value="25.00"' in html  # the first conversion, from the history
    assert "too short" not in html


@pytest.mark.django_db
def test_the_month_plan_is_the_target_when_none_is_typed(client, head1, manager_a):
    history(manager_a)
    Plan.objects.create(
        month=dt.date(2099, 3, 1),
        channel=channel("active"),
        manager=manager_a,
        indicator="revenue",
        value=Decimal("600000.00"),
    )
    response = logged_in(client, head1).get(
        URL, {"who": f"manager-{manager_a.pk}", "month": FUTURE}
    )
    assert path_rows(response.content.decode())["payments_count"] == ["30", "2", "2"]


@pytest.mark.django_db
def test_a_short_history_uses_the_teams_and_says_so(client, head1, manager_a, manager_a2):
    history(manager_a)
    response = logged_in(client, head1).get(
        URL, {"who": f"manager-{manager_a2.pk}", "month": FUTURE, "target": "300000"}
    )
    html = response.content.decode()
    assert "The team's conversions and average check are used" in html
    assert path_rows(html)["first_contacts"] == ["300", "14", "14"]


@pytest.mark.django_db
def test_without_history_or_plan_the_page_asks_for_a_target_and_the_levers(
    client, head1, manager_a
):
    html = (
        logged_in(client, head1)
        .get(URL, {"who": f"manager-{manager_a.pk}", "month": FUTURE})
        .content.decode()
    )
    assert "The history of the last 90 days is too short to go by" in html
    assert "is not set or is 0 %" in html
    assert path_rows(html) == {}


@pytest.mark.django_db
def test_htmx_recompute_answers_only_the_results_with_the_new_lever(client, head1, manager_a):
    history(manager_a)
    response = logged_in(client, head1).get(
        URL,
        {"who": f"manager-{manager_a.pk}", "month": FUTURE, "target": "300000", "conv-0": "50"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="whatif-results"')
    assert "<html" not in html
    # Twice the conversion to a meeting: half the contacts.
    assert path_rows(html)["first_contacts"] == ["150", "7", "7"]
    assert path_rows(html)["meetings_set"] == ["75", "4", "4"]
    # The use-as-plan form carries the levers as set.
    assert '<input type="hidden" name="conv-0" value="50.00">' in html


@pytest.mark.django_db
def test_more_managers_share_the_daily_load(client, head1, manager_a):
    html = planned(client, head1, manager_a, {"target": "300000", "managers": "3"})
    assert path_rows(html)["first_contacts"] == ["300", "14", "5"]


@pytest.mark.django_db
def test_a_zero_conversion_says_the_path_is_undefined(client, head1, manager_a):
    html = planned(client, head1, manager_a, {"target": "1", "conv-2": "0"})
    assert "The conversion Negotiations held → Proposals sent is not set or is 0 %" in html
    assert path_rows(html) == {}


@pytest.mark.django_db
def test_wrong_input_gets_a_message_and_the_historys_value(client, head1, manager_a):
    history(manager_a)
    logged_in(client, head1)
    html = client.get(
        URL,
        {"who": f"manager-{manager_a.pk}", "month": FUTURE, "target": "300000", "conv-0": "abc"},
    ).content.decode()
    assert "Enter a number." in html
    assert path_rows(html)["first_contacts"] == ["300", "14", "14"]
    html = client.get(
        URL, {"who": f"manager-{manager_a.pk}", "month": FUTURE, "managers": "0"}
    ).content.decode()
    assert "Enter a number from 1 to 1000." in html
    html = client.get(URL, {"who": f"manager-{manager_a.pk}", "month": "1999-12"}).content.decode()
    assert "Enter a date between the years 2000 and 2100." in html
    html = client.get(URL, {"who": f"manager-{manager_a.pk}", "month": "12/2026"}).content.decode()
    assert "Enter the month as YYYY-MM, for example 2026-03." in html


@pytest.mark.django_db
def test_the_lever_that_closes_the_gap_is_named(client, head1, manager_a):
    html = planned(client, head1, manager_a, {"target": "300000", "activity": "5"})
    # 5 × 22 days = 110 contacts × 0.25 × 0.8 × 0.75 × 0.6667 × 0.75 × 0.6667 × 20 000.
    assert "At these levers the month brings 110,011.00" in html
    assert "The smallest change that closes the gap alone: +172.7" in html
    # 300 000 / 110 011.00 = 2.727: only the first conversion (25 % → 68.18 %) stays under
    # 100 %; the check, the activity and the managers (1 → 3) have no ceiling.
    assert html.count("above 100 %: cannot") == 5
    assert "25.00 % → 68.18 %" in " ".join(html.split())


# ---- use as plan -------------------------------------------------------------------------


def use(client, who, month, **extra):
    return client.post(USE, {"who": who, "month": month, "target": "300000", **extra})


def plans_of(manager, month: dt.date) -> dict[str, Decimal]:
    return dict(Plan.objects.filter(manager=manager, month=month).values_list("indicator", "value"))


@pytest.mark.django_db
def test_use_as_plan_writes_the_managers_plans_and_links_the_grid(client, head1, manager_a):
    history(manager_a)
    response = use(logged_in(client, head1), f"manager-{manager_a.pk}", FUTURE)
    assert response.status_code == 302
    assert response["Location"] == f"/dashboard/plans/?month={FUTURE}&team={manager_a.team_id}"
    assert plans_of(manager_a, dt.date(2099, 3, 1)) == {
        "first_contacts": 300,
        "meetings_set": 75,
        "negotiations_held": 60,
        "proposals_sent": 45,
        "contracts_agreed": 30,
        "invoices_issued": 23,
        "payments_count": 15,
        "revenue": Decimal("300000.00"),
    }
    assert not PlanChange.objects.exists()  # a month not started: drafts, no history
    page = client.get(response["Location"]).content.decode()
    assert "The path is now the March 2099 plan of Anna Alekseeva in Active sales." in page


@pytest.mark.django_db
def test_use_as_plan_for_a_team_splits_the_path_evenly(client, head1, team1, manager_a, manager_a2):
    history(manager_a)
    response = use(logged_in(client, head1), f"team-{team1.pk}", FUTURE)
    assert response.status_code == 302
    expected = {
        "first_contacts": 150,
        "meetings_set": 38,
        "negotiations_held": 30,
        "proposals_sent": 23,
        "contracts_agreed": 15,
        "invoices_issued": 12,
        "payments_count": 8,
        "revenue": Decimal("150000.00"),
    }
    assert plans_of(manager_a, dt.date(2099, 3, 1)) == expected
    assert plans_of(manager_a2, dt.date(2099, 3, 1)) == expected
    assert Plan.objects.count() == 16


@pytest.mark.django_db
def test_a_started_month_needs_a_reason_and_keeps_the_history(client, head1, manager_a):
    history(manager_a)
    month = month_first(0)
    logged_in(client, head1)
    response = use(client, f"manager-{manager_a.pk}", f"{month:%Y-%m}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "The month has started: give a reason for the change." in html
    assert 'name="reason"' in html
    assert not Plan.objects.exists()
    response = use(client, f"manager-{manager_a.pk}", f"{month:%Y-%m}", reason="new client base")
    assert response.status_code == 302
    assert plans_of(manager_a, month)["first_contacts"] == 300
    changes = PlanChange.objects.filter(plan__manager=manager_a)
    assert changes.count() == 8
    assert set(changes.values_list("reason", flat=True)) == {"new client base"}
    assert set(changes.values_list("changed_by", flat=True)) == {head1.pk}


@pytest.mark.django_db
def test_a_past_month_is_refused_and_nothing_is_written(client, head1, manager_a):
    history(manager_a)
    month = month_first(-1)
    response = use(logged_in(client, head1), f"manager-{manager_a.pk}", f"{month:%Y-%m}")
    assert response.status_code == 200
    assert "The month is over: its plans are not changed from here." in response.content.decode()
    assert not Plan.objects.exists()


@pytest.mark.django_db
def test_a_write_refused_midway_leaves_nothing(client, head1, manager_a):
    """All or nothing: first contacts (10⁹) are written, then meetings (10¹⁰, past the
    largest count a plan holds) are refused: the first write is rolled back too."""
    history(manager_a)
    levers = {f"conv-{i}": "100" for i in range(1, 6)}
    response = use(
        logged_in(client, head1),
        f"manager-{manager_a.pk}",
        FUTURE,
        target="1000000000000",
        **{**levers, "conv-0": "1000", "check": "100"},
    )
    assert "The amount is too large." in response.content.decode()
    response = use(
        client,
        f"manager-{manager_a.pk}",
        FUTURE,
        target="999999999999.99",
        **{**levers, "conv-0": "1000", "check": "100"},
    )
    assert response.status_code == 200
    assert "The number is too large." in response.content.decode()
    assert not Plan.objects.exists()


@pytest.mark.django_db
def test_without_a_path_use_as_plan_says_why(client, head1, manager_a):
    response = logged_in(client, head1).post(
        USE, {"who": f"manager-{manager_a.pk}", "month": FUTURE}
    )
    assert response.status_code == 200
    assert "is not set or is 0 %" in response.content.decode()
    assert not Plan.objects.exists()


@pytest.mark.django_db
def test_a_manager_outside_the_channel_is_not_planned(client, head1, team1, manager_a):
    only_inbound = make_user("inbound_only", team=team1, channels=("inbound",))
    history(manager_a)
    use(logged_in(client, head1), f"team-{team1.pk}", FUTURE)
    assert not Plan.objects.filter(manager=only_inbound).exists()
    assert plans_of(manager_a, dt.date(2099, 3, 1))["revenue"] == Decimal("300000.00")


@pytest.mark.django_db
def test_a_wrong_lever_is_not_written_as_its_historys_value(client, head1, manager_a):
    history(manager_a)
    response = use(logged_in(client, head1), f"manager-{manager_a.pk}", FUTURE, check="-5")
    assert response.status_code == 200
    html = response.content.decode()
    assert "The value cannot be negative." in html
    assert "Correct the levers marked above first." in html
    assert not Plan.objects.exists()


@pytest.mark.django_db
def test_every_channel_is_shown_at_its_history_with_its_plan(client, head1, manager_a):
    history(manager_a)
    Plan.objects.create(
        month=dt.date(2099, 3, 1),
        channel=channel("active"),
        manager=manager_a,
        indicator="revenue",
        value=Decimal("300000.00"),
    )
    html = (
        logged_in(client, head1)
        .get(URL, {"who": f"manager-{manager_a.pk}", "month": FUTURE, "channel": "inbound"})
        .content.decode()
    )
    rows = dict(re.findall(r'<tr data-channel="(\w+)"[^>]*>(.*?)</tr>', html, re.S))
    assert set(rows) == {"active", "inbound", "repeat_vip", "partner"}
    # Active: 15 payments, 300 first contacts, 14 a working day (22 in March 2099).
    active = re.findall(r'<td class="num">([^<]*)</td>', rows["active"])
    assert active[:5] == ["300,000.00\xa0₽", "15", "300", "14", "14"]
    assert "No revenue plan for this month." in rows["inbound"]
    assert 'aria-current="true">Inbound sales' in " ".join(rows["inbound"].split())
