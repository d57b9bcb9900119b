"""Plausibility of written values (funnel.plausibility_checks) on every write surface of the
funnel app: the write path itself, the day form, the week grid's cell, the import (command
and page), the admin and the history page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from funnel.catalogue import catalogue
from funnel.forms import field_name
from funnel.models import DailyCount, DailyFact, FactChange, ImportUpload, ValueLimit
from funnel.plausibility_checks import Implausible, UnusualValues
from funnel.services import ValueWrite, facts_write
from tests.factories import channel, write_fact
from tests.funnel.test_admin import fact_post
from tests.funnel.test_import_page import HX, csv_file

DAY = dt.date(2026, 11, 2)


def put(manager, code, value, *, day=DAY, confirm=False, channel_code="active"):
    write = ValueWrite(day, manager.pk, channel(channel_code).pk, code, Decimal(value))
    return facts_write(writes=[write], by=manager, source="grid", confirm=confirm)


def count_of(manager, code, day=DAY):
    found = DailyCount.objects.filter(fact__manager=manager, fact__date=day, indicator__code=code)
    return found.values_list("value", flat=True).first()


def history(manager):
    return [(c.code, c.new_value, c.confirmed_unusual) for c in FactChange.objects.order_by("id")]


# ---- the write path ----------------------------------------------------------------------


def test_a_value_above_the_daily_maximum_is_refused_even_confirmed(manager_a):
    with pytest.raises(ValidationError) as refused:
        put(manager_a, "first_contacts", 1001, confirm=True)
    assert isinstance(refused.value, Implausible)
    assert "1,001 is more than the most allowed for one day (1,000)." in refused.value.messages[0]
    assert not DailyFact.objects.exists()
    put(manager_a, "first_contacts", 1000, confirm=True)
    with pytest.raises(Implausible, match="100,000,000"):
        put(manager_a, "revenue", "100000000.01", confirm=True)
    assert history(manager_a) == [("first_contacts", 1000, True)]


def test_the_admins_maximum_of_a_channel_replaces_the_default(manager_a):
    ValueLimit.objects.create(channel=channel("active"), code="first_contacts", max_per_day=15)
    with pytest.raises(Implausible, match="16 is more than the most allowed for one day"):
        put(manager_a, "first_contacts", 16)
    put(manager_a, "first_contacts", 15)
    # Another channel keeps the default.
    write_fact(manager_a, "inbound", DAY, leads_received=1000)


def test_without_history_up_to_20_saves_and_21_asks_for_confirmation(manager_a):
    put(manager_a, "first_contacts", 20)
    with pytest.raises(UnusualValues) as unusual:
        put(manager_a, "first_contacts", 21)
    (item,) = unusual.value.items
    assert (item.code, item.value, item.usual, item.limit) == ("first_contacts", 21, 0, 20)
    assert item.reason == "21 is more than 20, unusual for one day (usually about 0)."
    assert count_of(manager_a, "first_contacts") == 20
    result = put(manager_a, "first_contacts", 21, confirm=True)
    assert [u.code for u in result.unusual] == ["first_contacts"]
    assert history(manager_a) == [("first_contacts", 20, False), ("first_contacts", 21, True)]
    # The same value again changes nothing and asks nothing.
    assert put(manager_a, "first_contacts", 21).unchanged == 1


def test_the_soft_limit_is_5_times_the_median_of_the_90_days_before(manager_a):
    for back, value in ((1, 6), (2, 6), (3, 8), (4, 1), (5, 7)):
        put(manager_a, "first_contacts", value, day=DAY - dt.timedelta(days=back))
    # Long ago: outside the 90 days, it does not count.
    put(manager_a, "first_contacts", 900, day=DAY - dt.timedelta(days=91), confirm=True)
    put(manager_a, "first_contacts", 30)  # median 6: 5 x 6 = 30 is still usual
    with pytest.raises(UnusualValues) as unusual:
        put(manager_a, "first_contacts", 31)
    assert unusual.value.items[0].reason == "Usually about 6 a day; 31 is more than 5× that."
    # A reported day without the count counts 0: the median of 6, 6, 8, 1, 7, 0 is 6.
    write_fact(manager_a, "active", DAY - dt.timedelta(days=6), revenue="10")
    with pytest.raises(UnusualValues):
        put(manager_a, "first_contacts", 31)


def test_money_uses_its_floor_and_the_managers_median(manager_a):
    put(manager_a, "revenue", "500000")
    with pytest.raises(UnusualValues, match="500,000.01 is more than 500,000"):
        put(manager_a, "revenue", "500000.01")
    for back in range(1, 4):
        put(manager_a, "revenue", "200000", day=DAY - dt.timedelta(days=back))
    put(manager_a, "revenue", "1000000")
    with pytest.raises(UnusualValues, match="Usually about 200,000 a day"):
        put(manager_a, "revenue", "1000000.01")


def test_a_stage_above_the_previous_one_asks_only_where_the_channel_forbids_it(manager_a):
    put(manager_a, "first_contacts", 5)
    put(manager_a, "meetings_set", 6)  # the channel allows it: no question
    active = channel("active")
    active.stages_monotonic = True
    active.save()
    with pytest.raises(UnusualValues) as unusual:
        put(manager_a, "negotiations_held", 7)
    (item,) = unusual.value.items
    assert item.code == "negotiations_held"
    assert "previous stage “Meetings and presentations set” (6)" in item.reason
    put(manager_a, "negotiations_held", 6)
    # Lowering the previous stage below a stored next one asks too.
    with pytest.raises(UnusualValues, match="4 is less than the next stage"):
        put(manager_a, "first_contacts", 4)
    put(manager_a, "first_contacts", 4, confirm=True)
    assert FactChange.objects.filter(confirmed_unusual=True).count() == 1


def _history_queries(manager, days: int) -> int:
    writes = [
        ValueWrite(DAY - dt.timedelta(days=d), manager.pk, channel("active").pk, code, 25 + d)
        for d in range(days)
        for code in ("first_contacts", "meetings_set", "revenue")
    ]
    writes += [ValueWrite(DAY, manager.pk, channel("active").pk, "revenue", Decimal(600000))]
    catalogue()  # read once (funnel.catalogue): what is counted is the write and its check
    with CaptureQueriesContext(connection) as queries:
        facts_write(writes=writes, by=manager, source="import", confirm=True)
    return len(queries)


def test_the_check_costs_the_same_few_queries_for_any_number_of_values(manager_a, manager_b):
    small = _history_queries(manager_a, 3)
    large = _history_queries(manager_b, 80)
    assert small == large
    # Under the floor nothing reads the history: only the maxima are read.
    with CaptureQueriesContext(connection) as below:
        put(manager_a, "first_contacts", 3, day=DAY + dt.timedelta(days=1))
    with CaptureQueriesContext(connection) as above:
        put(manager_a, "first_contacts", 300, day=DAY + dt.timedelta(days=2), confirm=True)
    # The history's facts and counts (the marked history row replaces the usual insert).
    assert len(above) - len(below) == 2


def test_a_batch_of_many_series_reads_the_history_in_two_queries(manager_a, manager_a2, manager_b):
    from funnel.plausibility_checks import soft_check
    from funnel.services import indicators_by_channel

    people = (manager_a, manager_a2, manager_b)
    for manager in people:  # ten reported days: 10 first contacts, revenue 200,000 a day
        for d in range(1, 11):
            write_fact(manager, "active", DAY - dt.timedelta(days=d), first_contacts=10)
            write_fact(manager, "inbound", DAY - dt.timedelta(days=d), revenue=200000)
    active, inbound = channel("active").pk, channel("inbound").pk
    latest = {}
    for n, manager in enumerate(people):
        latest |= {
            ((DAY, manager.pk, active), "first_contacts"): 50 + n,  # above 5 × 10 from 51
            ((DAY, manager.pk, active), "meetings_set"): 21,  # no history: above the floor
            ((DAY, manager.pk, inbound), "leads_received"): 30,
            ((DAY, manager.pk, inbound), "revenue"): Decimal(1000000 + n),  # 5 × 200,000
        }
    indicators = indicators_by_channel({active, inbound})

    with CaptureQueriesContext(connection) as queries:
        unusual = soft_check(latest, indicators, {}, monotonic=set())

    # Twelve values above the floor, three managers, two channels, four codes: the facts of
    # the history, then their counts; never a read per manager, channel or code.
    assert len(queries) == 2
    assert [(u.manager_id, u.code, u.value, u.usual) for u in unusual] == [
        (manager_a.pk, "meetings_set", 21, 0),
        (manager_a.pk, "leads_received", 30, 0),
        (manager_a2.pk, "first_contacts", 51, 10),
        (manager_a2.pk, "meetings_set", 21, 0),
        (manager_a2.pk, "leads_received", 30, 0),
        (manager_a2.pk, "revenue", Decimal(1000001), Decimal(200000)),
        (manager_b.pk, "first_contacts", 52, 10),
        (manager_b.pk, "meetings_set", 21, 0),
        (manager_b.pk, "leads_received", 30, 0),
        (manager_b.pk, "revenue", Decimal(1000002), Decimal(200000)),
    ]


# ---- the day form ----------------------------------------------------------------------


def test_day_form_asks_to_confirm_unusual_values_and_refuses_impossible_ones(client, manager_a):
    today = timezone.localdate()
    client.force_login(manager_a)
    active = channel("active").pk
    url = reverse("funnel:day") + f"?date={today}"
    data = {"date": str(today), field_name(active, "first_contacts"): "140"}
    data[field_name(active, "meetings_set")] = "3"
    page = client.post(url, data).content.decode()
    assert "140 is more than 20, unusual for one day (usually about 0)." in page
    assert "Save anyway" in page
    assert f'name="unusual_seen" value="{active}:first_contacts:140"' in page
    assert not DailyFact.objects.exists()
    # "Save anyway" for other values than those shown does not count as a confirmation.
    changed = {**data, field_name(active, "first_contacts"): "150", "confirm_unusual": "1"}
    changed["unusual_seen"] = f"{active}:first_contacts:140"
    assert "150 is more than 20" in client.post(url, changed).content.decode()
    assert not DailyFact.objects.exists()
    confirmed = {**data, "confirm_unusual": "1", "unusual_seen": f"{active}:first_contacts:140"}
    assert client.post(url, confirmed).status_code == 302
    assert count_of(manager_a, "first_contacts", today) == 140
    assert set(FactChange.objects.values_list("code", "confirmed_unusual")) == {
        ("first_contacts", True),
        ("meetings_set", False),
    }
    hard = {**data, field_name(active, "first_contacts"): "1000000000"}
    page = client.post(url, hard).content.decode()
    assert "1,000,000,000 is more than the most allowed for one day (1,000)." in page
    assert f'id="id_{field_name(active, "first_contacts")}-error"' in page
    assert count_of(manager_a, "first_contacts", today) == 140


# ---- the week grid's cell --------------------------------------------------------------


def test_a_cell_asks_to_confirm_an_unusual_value_and_refuses_an_impossible_one(client, manager_a):
    day = timezone.localdate()
    client.force_login(manager_a)
    data = {
        "date": str(day),
        "channel": channel("active").pk,
        "code": "first_contacts",
        "value": "21",
    }
    hx = {"HX-Request": "true"}
    html = client.post(reverse("funnel:cell"), data, headers=hx).content.decode()
    assert "cell unusual" in html
    assert "21 is more than 20, unusual for one day" in html
    assert 'name="confirm" value="1"' in html
    assert not DailyFact.objects.exists()
    html = client.post(reverse("funnel:cell"), {**data, "confirm": "1"}, headers=hx).content
    assert b"cell saved" in html
    assert history(manager_a) == [("first_contacts", 21, True)]
    html = client.post(reverse("funnel:cell"), {**data, "value": "1e9"}, headers=hx).content
    assert "exponents such as 1e9 are not accepted" in html.decode()
    html = client.post(reverse("funnel:cell"), {**data, "value": "5000"}, headers=hx).content
    assert "5,000 is more than the most allowed for one day (1,000)." in html.decode()
    assert count_of(manager_a, "first_contacts", day) == 21


# ---- the import --------------------------------------------------------------------------


def test_import_command_lists_unusual_values_and_writes_them_only_when_accepted(
    manager_a, tmp_path, capsys
):
    path = tmp_path / "kpi.csv"
    path.write_text(
        "date,manager,channel,indicator,value\n"
        "2026-01-05,manager_a,active,first_contacts,5\n"
        "2026-01-05,manager_a,active,meetings_set,21\n"
    )
    with pytest.raises(CommandError, match="1 values are unusual.*--accept-unusual"):
        call_command("import_kpi", str(path))
    assert "Warning: line 3, meetings_set:" in capsys.readouterr().err
    assert not DailyFact.objects.exists()
    call_command("import_kpi", str(path), "--dry-run")
    assert "1 unusual values: the import needs --accept-unusual." in capsys.readouterr().out
    call_command("import_kpi", str(path), "--accept-unusual")
    assert sorted(history(manager_a)) == [("first_contacts", 5, False), ("meetings_set", 21, True)]


def test_import_refuses_a_value_above_the_maximum_as_a_row_error(manager_a, tmp_path, capsys):
    path = tmp_path / "kpi.csv"
    path.write_text(
        "date,manager,channel,indicator,value\n"
        "2026-01-05,manager_a,active,first_contacts,5\n"
        "2026-01-06,manager_a,active,first_contacts,1001\n"
    )
    with pytest.raises(CommandError, match="1 problems"):
        call_command("import_kpi", str(path), "--accept-unusual")
    err = capsys.readouterr().err
    assert "line 3, value: 1,001 is more than the most allowed for one day (1,000)." in err
    assert not DailyFact.objects.exists()


def test_import_page_asks_for_the_checkbox_before_writing_unusual_values(client, head1, manager_a):
    client.force_login(head1)
    file = csv_file("2026-01-05,manager_a,active,first_contacts,30")
    page = client.post(reverse("funnel:import"), {"file": file}, headers=HX).content.decode()
    assert "1 value is far above its manager" in page
    assert "30 is more than 20, unusual for one day" in page
    assert 'name="accept_unusual"' in page
    token = ImportUpload.objects.get().token
    run = reverse("funnel:import_run", args=[token])
    page = client.post(run, headers=HX).content.decode()
    assert "Tick the box to confirm the unusual values" in page
    assert not DailyFact.objects.exists()
    page = client.post(run, {"accept_unusual": "1"}, headers=HX).content.decode()
    assert "Imported" in page
    assert history(manager_a) == [("first_contacts", 30, True)]


# ---- the admin and the history page ----------------------------------------------------


def test_admin_asks_to_tick_the_box_for_unusual_values(admin_client, manager_a):
    write_fact(manager_a, "active", DAY, first_contacts=10)
    fact = DailyFact.objects.get()
    url = reverse("admin:funnel_dailyfact_change", args=[fact.pk])
    data = fact_post(fact, {"first_contacts": 25}, revenue="600000")
    page = admin_client.post(url, data).content.decode()
    assert "25 is more than 20, unusual for one day" in page
    assert "600,000 is more than 500,000" in page
    assert count_of(manager_a, "first_contacts") == 10
    impossible = fact_post(fact, {"first_contacts": 1001})
    page = admin_client.post(url, impossible).content.decode()
    assert "1,001 is more than the most allowed for one day (1,000)." in page
    response = admin_client.post(url, {**data, "confirm_unusual": "on"})
    assert response.status_code == 302
    assert count_of(manager_a, "first_contacts") == 25
    marked = FactChange.objects.filter(source="admin").values_list("code", "confirmed_unusual")
    assert sorted(marked) == [("first_contacts", True), ("revenue", True)]


def test_admin_edits_the_maxima_of_a_channel(admin_client):
    url = reverse("admin:funnel_valuelimit_add")
    active = channel("active").pk
    bad = admin_client.post(url, {"channel": active, "code": "nope", "max_per_day": "5"})
    assert "Enter the code of one of this channel" in bad.content.decode()
    good = admin_client.post(url, {"channel": active, "code": "revenue", "max_per_day": "5000"})
    assert good.status_code == 302
    assert ValueLimit.objects.get().max_per_day == 5000


def test_history_page_marks_confirmed_unusual_values(client, manager_a):
    day = timezone.localdate()
    put(manager_a, "first_contacts", 99, day=day, confirm=True)
    client.force_login(manager_a)
    html = client.get(reverse("funnel:history"), {"date": str(day)}).content.decode()
    assert "confirmed unusual" in html


def test_the_sliding_median_equals_the_rules_median_of_each_window():
    import random

    from funnel.plausibility import HISTORY_DAYS, median
    from funnel.plausibility_checks import _medians

    rng = random.Random(7)
    dates = sorted(rng.sample([DAY - dt.timedelta(days=d) for d in range(400)], 150))
    by_day = {d: {"revenue": Decimal(rng.randint(0, 9)) / 2} for d in dates}
    by_day.update({d: {} for d in rng.sample(dates, 20)})  # reported, without the value: 0
    days = [DAY - dt.timedelta(days=d) for d in range(0, 300, 7)]
    candidates = [((day, 1, 2), "revenue") for day in days]
    got = _medians({(1, 2): (dates, by_day)}, candidates, {})
    for day in days:
        window = [
            by_day[d].get("revenue", 0)
            for d in dates
            if day - dt.timedelta(days=HISTORY_DAYS) <= d < day
        ]
        assert Decimal(got[((day, 1, 2), "revenue")]) == median(window)
