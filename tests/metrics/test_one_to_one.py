"""The one-to-one sheet: one manager's period on one page, for the heads of their teams."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from funnel.models import FactChange
from funnel.services import ValueWrite, facts_write
from plans.models import Plan
from tests.factories import channel, write_fact

TODAY = dt.date(2025, 3, 11)


@pytest.fixture
def sheet_day(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


def url(person, **query):
    return reverse("metrics:one_to_one", kwargs={"manager": person.pk}), query


def test_the_sheet_has_plan_pace_leak_conversions_trend_and_corrections(
    client, head1, team1, manager_a, manager_a2, sheet_day
):
    team1.heads.add(head1)
    day = dt.date(2025, 3, 4)
    write_fact(manager_a, "active", day, first_contacts=100, meetings_set=50,
               negotiations_held=10, revenue="100000.00", payments_count=2)  # fmt: skip
    write_fact(manager_a2, "active", day, first_contacts=100, meetings_set=50,
               negotiations_held=30, revenue="300000.00", payments_count=3)  # fmt: skip
    Plan.objects.create(month=dt.date(2025, 3, 1), channel=channel("active"),
                        manager=manager_a, indicator="revenue", value=210000)  # fmt: skip
    # Anna corrects her meetings the next day: 50 → 45 (history keeps both).
    facts_write(
        writes=[ValueWrite(day, manager_a.pk, channel("active").pk, "meetings_set", Decimal(45))],
        by=head1,
        source=FactChange.Source.GRID,
        confirm=True,  # 45 is above the usual of a manager without a history
    )
    client.force_login(head1)
    path, query = url(manager_a, period="this_month")
    html = client.get(path, query).content.decode()
    # Plan: 210 000 × 6 / 21 working days expected by the 11th = 60 000; 100 000 done.
    assert "Expected by now: 60,000.00" in html
    assert "On track" in html
    # The top leak against the team: 45 meetings → 10 negotiations (22.2 %) against the
    # median of 22.2 % and 60 %: 41.1 %.
    assert "Meetings and presentations set → Negotiations held" in html
    # Conversions against the team (both managers: 40 of 95 = 42.1 %).
    assert "42.1" in html.split('id="sheet-conversions"', 1)[1]
    corrections = html.split('id="sheet-corrections"', 1)[1]
    assert "Meetings and presentations set" in corrections
    assert "50" in corrections
    assert "45" in corrections
    # A week by day, a month by week.
    assert "3–9 Mar" in html.split('id="sheet-trend"', 1)[1]
    assert 'href="?period=last_week"' in html


def test_the_sheet_is_for_the_heads_of_the_managers_teams(
    client, manager_a, manager_b, head1, head2, team1, team2, sheet_day
):
    team1.heads.add(head1)
    team2.heads.add(head2)
    path, _ = url(manager_a)
    client.force_login(head2)
    assert client.get(path).status_code == 404
    client.force_login(manager_a)
    assert client.get(path).status_code == 403
    client.force_login(head1)
    assert client.get(path).status_code == 200
    assert client.get(path, {"period": "nonsense"}).status_code == 200  # last week
    missing = reverse("metrics:one_to_one", kwargs={"manager": 999999})
    assert client.get(missing).status_code == 404


def test_the_sheet_prints_in_russian(client, head1, team1, manager_a, sheet_day):
    team1.heads.add(head1)
    head1.language = "ru"
    head1.save()
    client.force_login(head1)
    html = client.get(url(manager_a)[0]).content.decode()
    assert "Разговор один на один" in html
    assert "css/print.css" in html
