"""What a token reads: exactly what its owner sees on the web, and the report is
kpi_report's JSON for the same scope."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from plans.models import Plan
from teams.models import Membership
from tests.factories import channel, write_fact

MAR = dt.date(2026, 3, 1)


def kpi_report(*args: str) -> dict:
    out = io.StringIO()
    call_command("kpi_report", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def facts(manager_a, manager_a2, manager_b):
    write_fact(
        manager_a, "inbound", dt.date(2026, 3, 2),
        leads_received=10, qualified_leads=4, invoiced_amount="300.00", payments_count=1,
        revenue="250.00", variable_costs="100.00",
    )  # fmt: skip
    write_fact(manager_a2, "inbound", dt.date(2026, 3, 3), leads_received=7, revenue="70.50")
    write_fact(manager_b, "inbound", dt.date(2026, 3, 31), leads_received=5, revenue="50.00")
    write_fact(manager_a, "active", dt.date(2026, 3, 5), first_contacts=3)
    Plan.objects.create(
        month=MAR, channel=channel("inbound"), manager=manager_a, indicator="revenue", value=1000
    )


MONTH = {"date_from": "2026-03-01", "date_to": "2026-03-31", "as_of": "2026-03-04"}
CLI_MONTH = ("--from", "2026-03-01", "--to", "2026-03-31", "--as-of", "2026-03-04")


def test_the_directors_report_is_kpi_reports_json(facts, director, api_as):
    got = api_as(director).get("/api/v1/report/", MONTH)
    assert got.status_code == 200
    expected = kpi_report(*CLI_MONTH)
    assert got.json() == expected
    assert expected["total"]["revenue"] == "370.50"


def test_filters_give_kpi_reports_json_of_the_same_scope(facts, director, manager_a, api_as):
    client = api_as(director)
    for params, args in [
        ({"channel": "inbound"}, ("--channel", "inbound")),
        ({"manager": manager_a.pk}, ("--manager", "manager_a")),
        ({"team": manager_a.team_id}, ("--team", "Team 1")),
        (
            {"team": manager_a.team_id, "manager": manager_a.pk, "channel": "inbound"},
            ("--team", "Team 1", "--manager", "manager_a", "--channel", "inbound"),
        ),
    ]:
        got = client.get("/api/v1/report/", {**MONTH, **params})
        assert got.json() == kpi_report(*CLI_MONTH, *args), params


def test_a_heads_report_is_their_teams_and_a_managers_their_own(
    facts, head1, manager_a, manager_b, api_as
):
    head = api_as(head1).get("/api/v1/report/", MONTH).json()
    assert head == kpi_report(*CLI_MONTH, "--team", "Team 1")
    assert head["total"]["revenue"] == "320.50"
    own = api_as(manager_a).get("/api/v1/report/", MONTH).json()
    assert own == kpi_report(*CLI_MONTH, "--manager", "manager_a")
    assert own["total"]["revenue"] == "250.00"


def test_a_token_never_reaches_beyond_its_owners_scope(facts, head1, manager_a, manager_b, api_as):
    manager = api_as(manager_a)
    assert manager.get("/api/v1/report/", {**MONTH, "manager": manager_b.pk}).status_code == 404
    assert manager.get("/api/v1/report/", {**MONTH, "team": manager_b.team_id}).status_code == 403
    head = api_as(head1, "h")
    assert head.get("/api/v1/report/", {**MONTH, "manager": manager_b.pk}).status_code == 404
    assert head.get("/api/v1/report/", {**MONTH, "team": manager_b.team_id}).status_code == 404


def test_a_manager_who_moved_shows_the_old_head_only_the_days_in_their_team(
    facts, head1, head2, manager_a, team1, team2, api_as
):
    Membership.objects.create(user=manager_a, team=team1, since=dt.date(2026, 1, 1))
    Membership.objects.create(user=manager_a, team=team2, since=dt.date(2026, 3, 4))
    write_fact(manager_a, "inbound", dt.date(2026, 3, 10), leads_received=1, revenue="9.00")
    params = {**MONTH, "manager": manager_a.pk, "channel": "inbound"}
    assert api_as(head1).get("/api/v1/report/", params).json()["total"]["revenue"] == "250.00"
    assert api_as(head2).get("/api/v1/report/", params).json()["total"]["revenue"] == "259.00"
    seen = api_as(head1, "f").get("/api/v1/facts/", {"manager": manager_a.pk}).json()
    assert [(f["date"], f["channel"]) for f in seen["results"]] == [("2026-03-02", "inbound")]
    seen = api_as(head2, "f").get("/api/v1/facts/", {"manager": manager_a.pk}).json()
    assert len(seen["results"]) == 3


def test_bad_report_parameters_are_listed(director, api_as):
    response = api_as(director).get(
        "/api/v1/report/", {"date_from": "2026-02-30", "manager": "x", "channel": "nope"}
    )
    assert response.status_code == 400
    errors = {(e["field"], e["item"]) for e in response.json()["errors"]}
    assert errors == {("date_from", None), ("date_to", None), ("manager", None)}
    unknown = api_as(director, "2").get("/api/v1/report/", {**MONTH, "channel": "nope"})
    assert unknown.status_code == 400
    assert unknown.json()["errors"] == [
        {"item": None, "field": "channel", "reason": "Unknown channel."}
    ]


def test_facts_are_paged_filtered_and_scoped(facts, manager_a, head1, director, api_as):
    everyone = api_as(director).get("/api/v1/facts/", {"page_size": 2}).json()
    assert everyone["count"] == 4
    assert [f["date"] for f in everyone["results"]] == ["2026-03-02", "2026-03-03"]
    second = api_as(director, "2").get("/api/v1/facts/", {"page_size": 2, "page": 2}).json()
    assert [f["date"] for f in second["results"]] == ["2026-03-05", "2026-03-31"]
    first = everyone["results"][0]
    assert first["manager"] == manager_a.pk
    assert first["channel"] == "inbound"
    assert first["values"] == {
        "leads_received": 10,
        "qualified_leads": 4,
        "invoiced_amount": "300.00",
        "payments_count": 1,
        "revenue": "250.00",
        "variable_costs": "100.00",
    }
    mine = api_as(manager_a).get("/api/v1/facts/").json()
    assert {f["manager"] for f in mine["results"]} == {manager_a.pk}
    assert mine["count"] == 2
    team = api_as(head1).get("/api/v1/facts/", {"channel": "inbound"}).json()
    assert [f["date"] for f in team["results"]] == ["2026-03-02", "2026-03-03"]
    ranged = api_as(director, "3").get(
        "/api/v1/facts/", {"date_from": "2026-03-03", "date_to": "2026-03-05"}
    )
    assert [f["date"] for f in ranged.json()["results"]] == ["2026-03-03", "2026-03-05"]
    assert api_as(director, "4").get("/api/v1/facts/", {"page": 9}).status_code == 404


def test_people_and_teams_are_those_the_owner_sees(
    manager_a, manager_a2, manager_b, head1, director, team1, team2, api_as
):
    head_people = api_as(head1).get("/api/v1/people/").json()
    assert [p["username"] for p in head_people] == ["manager_a", "manager_a2"]
    assert head_people[0]["channels"] == ["active", "inbound", "partner", "repeat_vip"]
    assert api_as(head1, "t").get("/api/v1/teams/").json() == [
        {"id": team1.pk, "name": "Team 1", "heads": [head1.pk]}
    ]
    assert [p["username"] for p in api_as(manager_b).get("/api/v1/people/").json()] == ["manager_b"]
    assert len(api_as(director).get("/api/v1/teams/").json()) == 2


def test_channels_list_their_stages_activities_and_money(manager_a, api_as):
    channels = api_as(manager_a).get("/api/v1/channels/").json()
    inbound = next(c for c in channels if c["code"] == "inbound")
    assert [s["code"] for s in inbound["stages"]][:2] == ["leads_received", "qualified_leads"]
    assert inbound["money"] == ["invoiced_amount", "payments_count", "revenue", "variable_costs"]
    assert {c["code"] for c in channels} == {"active", "inbound", "repeat_vip", "partner"}


def test_plans_are_read_within_scope(facts, manager_a, manager_b, head1, head2, api_as):
    Plan.objects.create(
        month=MAR, channel=channel("inbound"), manager=manager_b, indicator="revenue", value=500
    )
    row = {
        "month": "2026-03",
        "channel": "inbound",
        "manager": manager_a.pk,
        "team": None,
        "indicator": "revenue",
        "value": "1000.00",
    }
    assert api_as(manager_a).get("/api/v1/plans/", {"month": "2026-03"}).json() == [row]
    assert api_as(head1).get("/api/v1/plans/", {"month": "2026-03"}).json() == [row]
    assert [
        p["manager"] for p in api_as(head2).get("/api/v1/plans/", {"month": "2026-03"}).json()
    ] == [manager_b.pk]
    bad = api_as(head1, "2").get("/api/v1/plans/", {"month": "March"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "month"


def test_money_values_keep_their_kopecks(manager_a, director, api_as):
    write_fact(manager_a, "active", dt.date(2026, 3, 2), revenue=Decimal("0.10"))
    facts = api_as(director).get("/api/v1/facts/").json()["results"]
    assert facts[0]["values"]["revenue"] == "0.10"


def test_api_answers_are_not_cached(api_as, manager_a):
    # The token is checked inside the view; the answer is personal all the same.
    response = api_as(manager_a).get("/api/v1/me/")
    assert response.status_code == 200
    assert sorted(response["Cache-Control"].split(", ")) == ["no-store", "private"]
