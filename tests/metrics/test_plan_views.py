import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from plans.models import Plan, PlanChange
from tests.factories import channel, make_user

HX = {"HX-Request": "true"}


def this_month() -> dt.date:
    return timezone.localdate().replace(day=1)


def next_month() -> dt.date:
    return (this_month() + dt.timedelta(days=32)).replace(day=1)


def cell_data(manager, *, month=None, indicator="revenue", value="1000", channel_code="active"):
    return {
        "month": f"{month or next_month():%Y-%m}",
        "manager": manager.pk,
        "channel": channel_code,
        "indicator": indicator,
        "value": value,
    }


def post_cell(client, data):
    return client.post(reverse("metrics:plan_cell"), data, headers=HX)


# --- who may see what ------------------------------------------------------------------

VIEWS = ["metrics:plans", "metrics:plan_cell", "metrics:plan_copy", "metrics:discipline"]


@pytest.mark.parametrize("name", [*VIEWS, "metrics:norms"])
def test_anonymous_visitors_are_sent_to_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", VIEWS)
def test_managers_are_refused_every_planning_view(client, manager_a, name):
    client.force_login(manager_a)
    response = client.post(reverse(name), cell_data(manager_a))
    assert response.status_code == 403
    assert not Plan.objects.exists()


def test_head_of_the_other_team_cannot_set_a_plan(client, head2, manager_a, team2):
    client.force_login(head2)
    assert post_cell(client, cell_data(manager_a)).status_code == 404
    assert not Plan.objects.exists()


def test_head_of_the_other_team_cannot_open_the_team_or_its_norms(client, head2, manager_a, team1):
    client.force_login(head2)
    assert client.get(reverse("metrics:plans"), {"team": team1.pk}).status_code == 404
    assert client.get(reverse("metrics:discipline"), {"team": team1.pk}).status_code == 404
    assert client.get(reverse("metrics:norms"), {"manager": manager_a.pk}).status_code == 404
    response = client.post(
        reverse("metrics:plan_copy"), {"month": f"{next_month():%Y-%m}", "team": team1.pk}
    )
    assert response.status_code == 404


def test_a_manager_sees_only_their_own_norms(client, manager_a, manager_a2):
    client.force_login(manager_a)
    assert client.get(reverse("metrics:norms"), headers=HX).status_code == 200
    response = client.get(reverse("metrics:norms"), {"manager": manager_a2.pk})
    assert response.status_code == 404


def test_plan_page_lists_only_the_heads_managers(client, head1, manager_a, manager_a2, manager_b):
    client.force_login(head1)
    response = client.get(reverse("metrics:plans"))
    assert response.status_code == 200
    people = [p.username for p in response.context["people"]]
    assert people == ["manager_a", "manager_a2"]
    assert "Boris Belov" not in response.content.decode()


def test_director_sees_every_team(client, director, manager_a, manager_b):
    client.force_login(director)
    response = client.get(reverse("metrics:plans"))
    assert {p.username for p in response.context["people"]} == {"manager_a", "manager_b"}


# --- the grid --------------------------------------------------------------------------


def test_plan_page_shows_plans_and_team_totals(client, head1, manager_a, manager_a2):
    for manager, value in ((manager_a, "1000.50"), (manager_a2, "2000")):
        Plan.objects.create(
            month=next_month(),
            channel=channel("active"),
            manager=manager,
            indicator="revenue",
            value=Decimal(value),
        )
    client.force_login(head1)
    response = client.get(reverse("metrics:plans"), {"month": f"{next_month():%Y-%m}"})
    active = response.context["tables"][0]
    assert active.channel.code == "active"
    block = active.blocks[0]
    totals = {column.code: total for column, total in block.totals}
    assert totals["revenue"] == Decimal("3000.50")
    assert totals["first_contacts"] is None
    assert 'value="1000.50"' in response.content.decode()
    assert "3,000.50" in response.content.decode()


def test_plan_page_costs_a_fixed_number_of_queries(client, head1, team1, django_assert_num_queries):
    client.force_login(head1)
    for _ in range(3):
        manager = make_user(team=team1)
        Plan.objects.create(
            month=this_month(),
            channel=channel("inbound"),
            manager=manager,
            indicator="revenue",
            value=5,
        )
        with django_assert_num_queries(8):
            client.get(reverse("metrics:plans"))


def test_a_month_in_a_bad_format_shows_a_message_and_the_current_month(client, head1):
    client.force_login(head1)
    response = client.get(reverse("metrics:plans"), {"month": "2026-13"})
    assert response.status_code == 200
    assert response.context["month"] == this_month()
    assert "Enter the month as YYYY-MM" in response.content.decode()


def test_a_cell_saves_through_htmx_and_says_saved(client, head1, manager_a):
    client.force_login(head1)
    response = post_cell(client, cell_data(manager_a, value="150 000"))
    assert response.status_code == 200
    assert "saved" in response.content.decode()
    assert 'value="150000.00"' in response.content.decode()
    assert Plan.objects.get().value == Decimal("150000.00")


def test_a_saved_cell_brings_its_team_totals_and_the_status_out_of_band(
    client, head1, manager_a, manager_a2
):
    Plan.objects.create(
        month=next_month(),
        channel=channel("active"),
        manager=manager_a2,
        indicator="revenue",
        value=Decimal("2000.50"),
    )
    client.force_login(head1)
    html = post_cell(client, cell_data(manager_a, value="1000")).content.decode()
    assert html.lstrip().startswith('<td class="plan-cell is-saved')
    assert f'id="plan-{manager_a.pk}-active-revenue"' in html
    totals = html.split(f'<tr id="plan-totals-active-{manager_a.team_id}" class="total"')[1]
    assert totals.lstrip().startswith('hx-swap-oob="true"')
    assert "3,000.50" in totals
    assert 'class="grid-status saved"' in html
    assert html.count('hx-swap-oob="true"') == 2


def test_a_refused_cell_brings_the_error_status_and_no_totals(client, head1, manager_a):
    client.force_login(head1)
    html = post_cell(client, cell_data(manager_a, value="-1")).content.decode()
    assert 'class="grid-status error"' in html
    assert "plan-totals" not in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"value": "-1"}, "The value cannot be negative."),
        ({"value": "lots"}, "Enter a number."),
        ({"value": "99999999999999999"}, "The amount is too large."),
        ({"indicator": "first_contacts", "value": "1.5"}, "whole number"),
        ({"indicator": "leads_received"}, "is not an indicator of the channel"),
        ({"channel_code": "nowhere"}, "does not work in the channel"),
        ({"month": "2026/04"}, "Enter the month as YYYY-MM"),
    ],
)
def test_bad_input_is_shown_inline_with_status_200_and_nothing_is_written(
    client, head1, manager_a, changes, message
):
    client.force_login(head1)
    data = cell_data(manager_a, channel_code=changes.pop("channel_code", "active"))
    data.update(changes)
    response = post_cell(client, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Plan.objects.exists()


def test_a_plan_for_a_channel_the_manager_does_not_work_in_is_refused(client, head1, team1):
    inbound_only = make_user("inbound_only", team=team1, channels=("inbound",))
    client.force_login(head1)
    response = post_cell(client, cell_data(inbound_only))
    assert "does not work in the channel" in response.content.decode()
    assert not Plan.objects.exists()


def test_a_frozen_cell_asks_for_a_reason_then_records_the_change(client, head1, manager_a):
    Plan.objects.create(
        month=this_month(),
        channel=channel("active"),
        manager=manager_a,
        indicator="revenue",
        value=1000,
    )
    client.force_login(head1)
    data = cell_data(manager_a, month=this_month(), value="1200")
    first = post_cell(client, data)
    assert 'name="reason"' in first.content.decode()
    assert "give a reason" in first.content.decode()
    assert Plan.objects.get().value == Decimal("1000.00")
    second = post_cell(client, {**data, "reason": "Client paid early"})
    assert "saved" in second.content.decode()
    assert 'class="changed-mark"' in second.content.decode()
    change = PlanChange.objects.get()
    assert (change.old_value, change.new_value, change.reason, change.changed_by) == (
        Decimal("1000.00"),
        Decimal("1200.00"),
        "Client paid early",
        head1,
    )
    page = client.get(reverse("metrics:plans"))
    assert "Client paid early" in page.content.decode()


def test_a_plain_post_saves_and_redirects_back_to_the_month(client, head1, manager_a):
    client.force_login(head1)
    response = client.post(reverse("metrics:plan_cell"), cell_data(manager_a))
    assert response.status_code == 302
    assert f"month={next_month():%Y-%m}" in response["Location"]
    assert Plan.objects.count() == 1


def test_a_plain_post_with_an_error_shows_the_grid_with_the_error(client, head1, manager_a):
    client.force_login(head1)
    response = client.post(reverse("metrics:plan_cell"), cell_data(manager_a, value="-3"))
    assert response.status_code == 200
    assert "The value cannot be negative." in response.content.decode()
    assert 'value="-3"' in response.content.decode()


def test_copy_last_month_from_the_page(client, head1, manager_a):
    Plan.objects.create(
        month=this_month(),
        channel=channel("active"),
        manager=manager_a,
        indicator="revenue",
        value=1000,
    )
    client.force_login(head1)
    response = client.post(
        reverse("metrics:plan_copy"), {"month": f"{next_month():%Y-%m}"}, follow=True
    )
    assert "Copied 1 plan(s) from last month; 0 already set were kept." in (
        response.content.decode()
    )
    assert Plan.objects.filter(month=next_month()).count() == 1


def test_plan_page_in_russian(client, head1, manager_a):
    head1.language = "ru"
    head1.save()
    client.force_login(head1)
    response = client.get(reverse("metrics:plans"))
    text = response.content.decode()
    assert "Скопировать планы" in text
    assert "Выручка" in text
    translation.activate("en")


# --- norms and discipline fragments ------------------------------------------------------


def test_head_sees_a_managers_norms_fragment(client, head1, manager_a):
    Plan.objects.create(
        month=this_month(),
        channel=channel("active"),
        manager=manager_a,
        indicator="first_contacts",
        value=10000,
    )
    client.force_login(head1)
    response = client.get(reverse("metrics:norms"), {"manager": manager_a.pk}, headers=HX)
    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text
    assert "Norms of Anna Alekseeva" in text
    assert "First contacts" in text


def test_norms_page_works_as_a_plain_request(client, manager_a):
    client.force_login(manager_a)
    response = client.get(reverse("metrics:norms"))
    assert "<html" in response.content.decode()
    assert "Your norms for today" in response.content.decode()


def test_discipline_fragment_lists_who_has_not_reported(client, head1, manager_a, manager_b):
    client.force_login(head1)
    response = client.get(reverse("metrics:discipline"), headers=HX)
    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text
    assert "Reporting discipline" in text
    assert "Boris Belov" not in text


def test_discipline_costs_a_fixed_number_of_queries(
    client, head1, team1, django_assert_num_queries
):
    client.force_login(head1)
    for _ in range(4):
        make_user(team=team1)
    # session, user, the head's teams, people, their memberships, working days, facts
    with django_assert_num_queries(7):
        client.get(reverse("metrics:discipline"), headers=HX)


def test_discipline_refuses_a_bad_period_with_a_message(client, head1):
    client.force_login(head1)
    response = client.get(reverse("metrics:discipline"), {"from": "2026-02-30"})
    assert response.status_code == 200
    assert "Enter a date as YYYY-MM-DD." in response.content.decode()
