import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from plans.models import Holiday, Plan, PlanChange
from tests.factories import channel

# As under `make run`: the debug cursor formats every statement (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("debug_cursor")


def plan_post(**fields) -> dict:
    return {
        "month": "2026-11-01",
        "channel": str(channel("active").pk),
        "indicator": "revenue",
        "value": "100000",
        **fields,
    }


def test_admin_sets_a_managers_plan_and_records_who(admin_client, admin_user, manager_a):
    response = admin_client.post(
        reverse("admin:plans_plan_add"), plan_post(manager=str(manager_a.pk))
    )
    assert response.status_code == 302
    plan = Plan.objects.get()
    assert (plan.manager, plan.value, plan.updated_by) == (manager_a, Decimal(100000), admin_user)


def test_a_plan_for_both_a_manager_and_a_team_is_a_form_error(admin_client, manager_a, team1):
    response = admin_client.post(
        reverse("admin:plans_plan_add"),
        plan_post(manager=str(manager_a.pk), team=str(team1.pk)),
    )
    assert response.status_code == 200
    assert response.context["errors"]
    assert not Plan.objects.exists()


def test_a_plan_month_must_be_a_first_day(admin_client, manager_a):
    response = admin_client.post(
        reverse("admin:plans_plan_add"),
        plan_post(manager=str(manager_a.pk), month="2026-11-15"),
    )
    assert response.status_code == 200
    assert not Plan.objects.exists()


def test_plan_changes_are_read_only(admin_client, manager_a):
    plan = Plan.objects.create(
        month=dt.date(2026, 11, 1),
        channel=channel("active"),
        manager=manager_a,
        indicator="revenue",
        value=1,
    )
    change = PlanChange.objects.create(plan=plan, new_value=2, reason="market")
    url = reverse("admin:plans_planchange_change", args=[change.pk])
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"reason": "other"}).status_code == 403
    delete = reverse("admin:plans_planchange_delete", args=[change.pk])
    assert admin_client.post(delete).status_code == 403
    assert admin_client.get(reverse("admin:plans_planchange_add")).status_code == 403
    change.refresh_from_db()
    assert change.reason == "market"


def test_admin_adds_a_transferred_working_day(admin_client):
    response = admin_client.post(
        reverse("admin:plans_holiday_add"),
        {"date": "2026-11-07", "name": "Перенос", "is_working_day": "on"},
    )
    assert response.status_code == 302
    assert Holiday.objects.get().is_working_day is True
