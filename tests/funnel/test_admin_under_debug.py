"""The admin flows as `make run` runs them: with the debug cursor on (DEBUG), every
statement is formatted with its parameters for the log, on SQLite and PostgreSQL alike."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from channels.models import Channel
from funnel.models import Indicator
from plans.models import Holiday, Plan
from teams.models import Team
from tests.factories import channel, write_fact
from tests.funnel.test_admin import add_channel, channel_post
from tests.security.helpers import assert_totals_exact

pytestmark = pytest.mark.usefixtures("debug_cursor")


def _logged(queries, word: str) -> bool:
    return any(word in q["sql"] for q in queries.captured_queries)


@pytest.mark.parametrize("count", [4, 5, 6])
def test_creating_a_channel_with_4_5_6_stages(admin_client, debug_cursor, count):
    stages = [f"step{n}" for n in range(1, count)] + ["invoices_issued"]
    response = add_channel(admin_client, channel_post(stages, ["calls"], main="step1"))
    assert response.status_code == 302
    web = Channel.objects.get(code="web")
    assert list(web.indicators.filter(kind="stage").values_list("code", flat=True)) == stages
    assert _logged(debug_cursor, "INSERT")


def _change_active(admin_client, edit) -> tuple[object, list[Indicator]]:
    active = channel("active")
    existing = list(active.indicators.order_by("kind", "order"))
    data = channel_post([], code="active", main=active.main_indicator, existing=existing)
    data.update({"name_en": active.name_en, "name_ru": active.name_ru, "kind": active.kind})
    edit(data, existing)
    url = reverse("admin:channels_channel_change", args=[active.pk])
    return admin_client.post(url, data), existing


def test_reordering_stages_with_facts_rebuilds_the_summaries(admin_client, manager_a):
    day = timezone.localdate() - dt.timedelta(days=1)
    write_fact(manager_a, "active", day, first_contacts=5, meetings_set=2, revenue=Decimal("9"))

    def swap(data, existing):
        stages = [i for i, ind in enumerate(existing) if ind.kind == "stage"]
        a, b = stages[1], stages[2]
        data[f"indicators-{a}-order"], data[f"indicators-{b}-order"] = (
            data[f"indicators-{b}-order"],
            data[f"indicators-{a}-order"],
        )

    response, existing = _change_active(admin_client, swap)
    assert response.status_code == 302
    stages = list(
        channel("active").indicators.filter(kind="stage").order_by("order").values_list("code")
    )
    assert [c for (c,) in stages][:3] == ["first_contacts", "negotiations_held", "meetings_set"]
    assert_totals_exact()


def test_renaming_an_indicator_with_facts_keeps_the_totals(admin_client, manager_a):
    day = timezone.localdate() - dt.timedelta(days=1)
    write_fact(manager_a, "active", day, meetings_set=7)

    def rename(data, existing):
        i = next(i for i, ind in enumerate(existing) if ind.code == "meetings_set")
        data[f"indicators-{i}-code"] = "meetings_booked"

    response, _existing = _change_active(admin_client, rename)
    assert response.status_code == 302
    assert Indicator.objects.filter(code="meetings_booked").count() == 1
    assert_totals_exact()


def test_moving_a_person_and_deleting_a_team(admin_client, manager_a, team1, team2):
    day = timezone.localdate() - dt.timedelta(days=1)
    write_fact(manager_a, "active", day, first_contacts=4)
    manager_a.team = team2
    manager_a.save()
    assert_totals_exact()
    url = reverse("admin:teams_team_delete", args=[team2.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Team.objects.filter(pk=team2.pk).exists()
    assert_totals_exact()


def test_plans_and_holidays(admin_client, manager_a):
    response = admin_client.post(
        reverse("admin:plans_plan_add"),
        {
            "month": "2026-11-01",
            "channel": str(channel("active").pk),
            "indicator": "revenue",
            "value": "100000",
            "manager": str(manager_a.pk),
        },
    )
    assert response.status_code == 302
    assert Plan.objects.get().value == Decimal(100000)
    response = admin_client.post(
        reverse("admin:plans_holiday_add"),
        {"date": "2026-11-07", "name": "100% перенос", "is_working_day": "on"},
    )
    assert response.status_code == 302
    assert Holiday.objects.get().name == "100% перенос"


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"])
def test_the_admin_refuses_far_dates_with_the_reason(admin_client, manager_a, day):
    holiday = admin_client.post(
        reverse("admin:plans_holiday_add"), {"date": day, "name": "Far", "is_working_day": ""}
    )
    fact = admin_client.post(
        reverse("admin:funnel_dailyfact_add"),
        {
            "date": day,
            "manager": str(manager_a.pk),
            "channel": str(channel("active").pk),
            "counts-TOTAL_FORMS": "0",
            "counts-INITIAL_FORMS": "0",
        },
    )
    for response in (holiday, fact):
        assert response.status_code == 200
        assert "Enter a date between the years 2000 and 2100." in response.content.decode()
    assert not Holiday.objects.exists()
