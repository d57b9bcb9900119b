"""The API keeps to the plausibility rules (funnel.plausibility_checks, dashboards.plan_checks):
a value above its maximum is an item's error; an unusual one too, unless the request says
"confirm_unusual": true, and then the history marks it."""

import datetime as dt

from django.utils import timezone

from funnel.models import DailyFact, FactChange
from plans.models import Plan
from tests.api.test_writes import FACTS, PLANS, plan_body, value


def test_unusual_values_need_confirm_unusual_and_impossible_ones_are_refused(
    manager_a, head1, api_as
):
    client = api_as(head1, "crm")
    day = timezone.localdate() - dt.timedelta(days=1)
    batch = [value(day, "first_contacts", 5), value(day, "meetings_set", 21)]
    refused = client.post(FACTS, {"values": batch})
    assert refused.status_code == 400
    (error,) = refused.json()["errors"]
    assert (error["item"], error["field"]) == (1, "value")
    assert "21 is more than 20, unusual for one day" in error["reason"]
    assert "confirm_unusual" in error["reason"]
    assert not DailyFact.objects.exists()
    bad_flag = client.post(FACTS, {"values": batch, "confirm_unusual": "yes"})
    assert bad_flag.json()["errors"][0]["field"] == "confirm_unusual"
    done = client.post(FACTS, {"values": batch, "confirm_unusual": True})
    assert done.status_code == 200
    assert done.json()["unusual"] == 1
    assert sorted(FactChange.objects.values_list("code", "confirmed_unusual")) == [
        ("first_contacts", False),
        ("meetings_set", True),
    ]
    impossible = [value(day, "revenue", "100000000.01")]
    answer = client.post(FACTS, {"values": impossible, "confirm_unusual": True})
    assert answer.status_code == 400
    reason = answer.json()["errors"][0]["reason"]
    assert reason == "100,000,000.01 is more than the most allowed for one day (100,000,000)."


def test_a_plan_far_above_the_managers_best_month_needs_confirm_unusual(manager_a, head1, api_as):
    client = api_as(head1)
    month = (timezone.localdate().replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    body = plan_body(manager_a, month, "50000000")  # floor: 500,000 a working day
    refused = client.post(PLANS, body)
    assert refused.status_code == 400
    assert "far above this manager's best month" in refused.json()["errors"][0]["reason"]
    assert not Plan.objects.exists()
    assert client.post(PLANS, {**body, "confirm_unusual": True}).status_code == 200
    huge = client.post(PLANS, {**body, "value": "99999999999", "confirm_unusual": True})
    assert "most allowed for this month" in huge.json()["errors"][0]["reason"]
