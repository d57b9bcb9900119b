"""Writes through the API: the import's checks and error list, all or nothing, the web's
rights, the one write path (history source "api" with the token's name)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from funnel.models import DailyCount, DailyFact, FactChange
from funnel.selectors import fact_history
from plans.models import Plan, PlanChange
from tests.factories import channel, write_fact
from tests.security.helpers import assert_totals_exact

FACTS = "/api/v1/facts/"
PLANS = "/api/v1/plans/"


def today() -> dt.date:
    return timezone.localdate()


def value(day, code, v, manager="manager_a", channel_code="active") -> dict:
    item = {"date": day.isoformat(), "channel": channel_code, "indicator": code, "value": v}
    if manager is not None:
        item["manager"] = manager
    return item


def test_a_batch_is_written_with_the_tokens_name_in_the_history(manager_a, head1, api_as):
    day = today() - dt.timedelta(days=1)
    response = api_as(head1, "amoCRM").post(
        FACTS,
        {
            "values": [
                value(day, "first_contacts", 12),
                value(day, "revenue", "1 234,50"),
                value(day, "invoiced_amount", 99.5),
                value(day, "leads_received", "4", channel_code="inbound"),
            ]
        },
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "values": 4,
        "changed": 4,
        "unchanged": 0,
        "dry_run": False,
        "unusual": 0,
    }
    fact = DailyFact.objects.get(manager=manager_a, date=day, channel=channel("active"))
    assert (fact.revenue, fact.invoiced_amount) == (Decimal("1234.50"), Decimal("99.50"))
    assert fact.counts.get(indicator__code="first_contacts").value == 12
    changes = FactChange.objects.filter(fact__manager=manager_a)
    assert {(c.source, c.source_name, c.changed_by_id) for c in changes} == {
        ("api", "amoCRM", head1.pk)
    }
    assert {e.source for e in fact_history(manager_a, day=day)} == {"API · amoCRM"}
    assert_totals_exact()
    again = api_as(head1, "again").post(FACTS, {"values": [value(day, "first_contacts", 12)]})
    assert again.json() == {
        "values": 1,
        "changed": 0,
        "unchanged": 1,
        "dry_run": False,
        "unusual": 0,
    }


def test_a_manager_writes_their_own_day_without_naming_themselves(manager_a, api_as):
    response = api_as(manager_a).post(
        FACTS, {"values": [value(today(), "first_contacts", 3, manager=None)]}
    )
    assert response.status_code == 200
    assert DailyCount.objects.get(fact__manager=manager_a).value == 3


def test_every_bad_item_is_listed_and_nothing_is_written(manager_a, manager_b, head1, api_as):
    day = today() - dt.timedelta(days=1)
    before = FactChange.objects.count()
    response = api_as(head1).post(
        FACTS,
        {
            "values": [
                value(day, "first_contacts", 5),  # fine, but the batch fails
                value(day + dt.timedelta(days=2), "first_contacts", 1),
                value(day, "first_contacts", 1, manager="manager_b"),
                value(day, "first_contacts", 1, manager="ghost"),
                value(day, "nope", 1),
                value(day, "first_contacts", -1),
                value(day, "revenue", "1.005"),
                value(day, "first_contacts", 1.5),
                value(day, "first_contacts", True),
                value(day, "first_contacts", 7),  # the same value as item 0
                {"date": "05.12.2026", "channel": "zzz", "indicator": "x"},
                "not an object",
            ]
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"item": 1, "field": "date", "reason": "The date is in the future."},
        {
            "item": 2,
            "field": "manager",
            "reason": "Unknown manager “manager_b”, or not in your teams.",
        },
        {"item": 3, "field": "manager", "reason": "Unknown manager “ghost”, or not in your teams."},
        {"item": 4, "field": "indicator", "reason": "Unknown indicator “nope” for this channel."},
        {"item": 5, "field": "value", "reason": "The value cannot be negative."},
        {"item": 6, "field": "value", "reason": "Money has at most 2 decimal places."},
        {"item": 7, "field": "value", "reason": "A count must be a whole number."},
        {"item": 8, "field": "value", "reason": "Enter a number."},
        {"item": 9, "field": "", "reason": "Same value as item 0."},
        {"item": 10, "field": "date", "reason": "Enter a date as YYYY-MM-DD."},
        {"item": 10, "field": "manager", "reason": "This field is required."},
        {"item": 10, "field": "channel", "reason": "Unknown channel “zzz”."},
        {"item": 10, "field": "value", "reason": "The value is missing."},
        {
            "item": 11,
            "field": "",
            "reason": "Each value is an object with date, manager, channel, indicator, value.",
        },
    ]
    assert FactChange.objects.count() == before
    assert not DailyFact.objects.exists()


def test_the_errors_come_in_the_owners_language(manager_a, api_as):
    manager_a.language = "ru"
    manager_a.save()
    response = api_as(manager_a).post(FACTS, {"values": [value(today(), "first_contacts", -1)]})
    assert response.json()["errors"][0]["reason"] == "Значение не может быть отрицательным."


@pytest.mark.parametrize(
    "body",
    [
        [],
        {},
        {"values": []},
        {"values": "x"},
        {"values": [{}] * 5001},
        {"values": [{}], "dry_run": 1},
    ],
)
def test_a_malformed_body_is_refused_whole(manager_a, api_as, body):
    response = api_as(manager_a).post(FACTS, body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["item"] is None


def test_a_manager_cannot_change_a_day_outside_the_edit_window(manager_a, settings, api_as):
    settings.KPI_EDIT_WINDOW_DAYS = 7
    old = today() - dt.timedelta(days=7)
    response = api_as(manager_a).post(FACTS, {"values": [value(old, "first_contacts", 1)]})
    assert response.json()["errors"] == [
        {"item": 0, "field": "date", "reason": "This day can no longer be changed."}
    ]
    ok = api_as(manager_a, "2").post(
        FACTS, {"values": [value(old + dt.timedelta(days=1), "first_contacts", 1)]}
    )
    assert ok.status_code == 200


def test_a_channel_the_manager_does_not_report_on_is_refused(manager_a, director, api_as):
    manager_a.channels.set([channel("active")])
    response = api_as(director).post(
        FACTS, {"values": [value(today(), "leads_received", 1, channel_code="inbound")]}
    )
    assert response.json()["errors"] == [
        {
            "item": 0,
            "field": "channel",
            "reason": "manager_a does not report on channel “inbound”.",
        }
    ]


def test_a_dry_run_counts_and_writes_nothing(manager_a, api_as):
    write_fact(manager_a, "active", today(), first_contacts=2)
    response = api_as(manager_a).post(
        FACTS,
        {
            "values": [value(today(), "first_contacts", 2), value(today(), "contact_attempts", 9)],
            "dry_run": True,
        },
    )
    assert response.json() == {
        "values": 2,
        "changed": 1,
        "unchanged": 1,
        "dry_run": True,
        "unusual": 0,
    }
    assert FactChange.objects.count() == 1


def test_only_json_is_accepted(manager_a, api_as):
    client = api_as(manager_a)
    response = client.client.post(FACTS, {"values": "x"}, headers=client.headers)
    assert response.status_code == 415


def month_start(offset: int = 0) -> dt.date:
    first = today().replace(day=1)
    for _ in range(offset):
        first = (first + dt.timedelta(days=32)).replace(day=1)
    return first


def plan_body(manager, month: dt.date, v, **extra) -> dict:
    return {
        "month": f"{month:%Y-%m}",
        "manager": manager.pk,
        "channel": "active",
        "indicator": "revenue",
        "value": v,
        **extra,
    }


def test_a_head_sets_a_draft_plan_and_a_started_month_needs_a_reason(manager_a, head1, api_as):
    client = api_as(head1)
    nxt = month_start(1)
    response = client.post(PLANS, plan_body(manager_a, nxt, "150000"))
    assert response.status_code == 200
    assert response.json() == {
        "changed": True,
        "plan": {
            "month": f"{nxt:%Y-%m}",
            "channel": "active",
            "manager": manager_a.pk,
            "team": None,
            "indicator": "revenue",
            "value": "150000.00",
        },
    }
    now = month_start()
    refused = client.post(PLANS, plan_body(manager_a, now, 100))
    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {
            "item": None,
            "field": "reason",
            "reason": "The month has started: give a reason for the change.",
        }
    ]
    assert not Plan.objects.filter(month=now).exists()
    done = client.post(PLANS, plan_body(manager_a, now, 100, reason="new market"))
    assert done.status_code == 200
    change = PlanChange.objects.get()
    assert (change.new_value, change.reason, change.changed_by) == (100, "new market", head1)


def test_plan_writes_keep_to_the_web_rules(manager_a, manager_b, head1, api_as):
    nxt = month_start(1)
    assert api_as(manager_a).post(PLANS, plan_body(manager_a, nxt, 1)).status_code == 403
    assert api_as(head1).post(PLANS, plan_body(manager_b, nxt, 1)).status_code == 404
    bad = api_as(head1, "2").post(
        PLANS, {**plan_body(manager_a, nxt, "1.5"), "indicator": "contact_attempts"}
    )
    assert bad.json()["errors"] == [
        {"item": None, "field": "value", "reason": "A count must be a whole number."}
    ]
    missing = api_as(head1, "3").post(PLANS, {"month": "March"})
    assert {e["field"] for e in missing.json()["errors"]} == {
        "month",
        "manager",
        "channel",
        "indicator",
        "value",
    }
    assert not Plan.objects.exists()
