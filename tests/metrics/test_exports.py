import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from plans.models import Plan
from tests.factories import channel
from tests.metrics.conftest import MARCH

QUERY = "&".join(f"{k}={v}" for k, v in MARCH.items())


def get_csv(
    client, table: str, extra: str = "", mine: bool = False, delimiter: str = ","
) -> list[list[str]]:
    name = "metrics:my_export" if mine else "metrics:export"
    response = client.get(f"{reverse(name, args=[table, 'csv'])}?{QUERY}{extra}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=delimiter))


def get_xlsx(client, table: str, extra: str = "") -> list[tuple]:
    response = client.get(f"{reverse('metrics:export', args=[table, 'xlsx'])}?{QUERY}{extra}")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="{table}-20250301-20250331.xlsx"'
    )
    # Row 1 is the title (table, period, filters): the header and rows follow it.
    sheet = load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows(values_only=True))[1:]


def page_context(client, **params):
    extra = "".join(f"&{k}={v}" for k, v in params.items())
    return client.get(f"{reverse('metrics:dashboard')}?{QUERY}{extra}").context


@pytest.fixture
def plans(manager_a, manager_a2):
    month = dt.date(2025, 3, 1)
    Plan.objects.create(
        month=month, channel=channel("active"), manager=manager_a, indicator="revenue", value=3000
    )
    Plan.objects.create(
        month=month, channel=channel("active"), manager=manager_a2, indicator="revenue", value=3000
    )


def test_leaderboard_csv_has_the_numbers_of_the_page(client, director, march_facts, plans):
    client.force_login(director)
    board = page_context(client)["dash"].leaderboard
    rows = get_csv(client, "leaderboard")
    assert rows[0][:7] == [
        "Place",
        "Manager",
        "Team",
        "Revenue plan",
        "Revenue",
        "Completion, %",
        "Forecast",
    ]
    assert rows[0][7] == "Active sales: conversion, %"
    assert [r[1] for r in rows[1:]] == [row.manager.display_name for row in board]
    # Artem: 3000 of 3000 → 100.0 %, funnel 3 of 20 → 15.0 %; Anna 1000 of 3000 → 33.3 %.
    # March is over: a forecast is given only while the period contains today.
    assert rows[1] == [
        "1",
        "Artem Antonov",
        "Team 1",
        "3000.00",
        "3000.00",
        "100.0",
        "",
        "15.0",
        "",
        "",
        "",
    ]
    assert rows[2][:6] == ["2", "Anna Alekseeva", "Team 1", "3000.00", "1000.00", "33.3"]
    assert rows[3][:6] == ["3", "Boris Belov", "Team 2", "", "500.00", ""]


def test_leaderboard_xlsx_has_the_same_numbers(client, director, march_facts, plans):
    client.force_login(director)
    rows = get_xlsx(client, "leaderboard")
    assert rows[1][:7] == (1, "Artem Antonov", "Team 1", 3000, 3000, 1, None)
    assert rows[2][5] == pytest.approx(0.333)
    assert rows[3][3] is None


def test_funnel_export_matches_the_funnel_on_the_page(client, director, march_facts):
    client.force_login(director)
    funnels = page_context(client)["dash"].funnels
    rows = get_csv(client, "funnel")
    expected = [
        [
            f.channel.name,
            s.name,
            str(s.count),
            "" if s.conversion is None else str((s.conversion * 100).quantize(Decimal("0.1"))),
        ]
        for f in funnels
        for s in f.stages
    ]
    assert rows[1:] == expected
    assert rows[2] == ["Active sales", "Meetings and presentations set", "10", "33.3"]


def test_conversion_export_lists_every_manager_and_stage(client, director, march_facts):
    client.force_login(director)
    rows = get_csv(client, "conversions")
    assert ["Active sales", "Anna Alekseeva", "Meetings and presentations set", "5", "50.0"] in rows
    assert ["Active sales", "All managers", "Invoices issued", "4", "100.0"] in rows
    assert ["Inbound sales", "Boris Belov", "Qualified leads", "4", "50.0"] in rows


def test_drill_export_has_the_rows_of_the_drill(client, director, manager_a, march_facts):
    client.force_login(director)
    drill = page_context(client, d_code="revenue")["drill"]
    rows = get_csv(client, "facts", "&d_code=revenue")
    assert rows[0] == ["Date", "Manager", "Channel", "Payments received (revenue)"]
    assert rows[1:] == [
        [r.date.isoformat(), r.manager, r.channel, str(r.value)] for r in drill.rows
    ]
    assert rows[1] == ["2025-03-05", "Boris Belov", "Inbound sales", "500.00"]
    xlsx = get_xlsx(client, "facts", f"&d_code=first_contacts&d_manager={manager_a.pk}")
    assert xlsx[1] == (dt.datetime(2025, 3, 3), "Anna Alekseeva", "Active sales", 10)


def test_head_export_stays_inside_their_teams(client, head1, march_facts):
    client.force_login(head1)
    names = {row[1] for row in get_csv(client, "leaderboard")[1:]}
    assert names == {"Anna Alekseeva", "Artem Antonov"}
    facts = get_csv(client, "facts", "&d_code=revenue")
    assert {row[1] for row in facts[1:]} == {"Anna Alekseeva", "Artem Antonov"}


def test_manager_exports_only_their_own_numbers(client, manager_a, march_facts):
    client.force_login(manager_a)
    rows = get_csv(client, "conversions", mine=True)
    assert {row[1] for row in rows[1:]} == {"Anna Alekseeva"}
    # Her rows only (no total row on her own page): six active-sales stages.
    assert [row[0] for row in rows[1:]] == ["Active sales"] * 6


def test_russian_export_has_russian_headers(client, director, march_facts):
    director.language = "ru"
    director.save()
    client.force_login(director)
    rows = get_csv(client, "funnel", delimiter=";")
    assert rows[0] == ["Канал", "Этап", "Количество", "Конверсия из предыдущего этапа, %"]
    assert rows[1][0] == "Активные продажи"


@pytest.mark.parametrize("path", ["nothing.csv", "funnel.pdf", "facts.csv"])
def test_unknown_tables_formats_and_drills_are_not_found(client, director, path):
    client.force_login(director)
    assert client.get(f"{reverse('metrics:dashboard')}export/{path}").status_code == 404


def test_export_with_bad_filters_says_why(client, director):
    client.force_login(director)
    url = reverse("metrics:export", args=["funnel", "csv"])
    response = client.get(f"{url}?period=custom&date_from=2025-03-10&date_to=2025-03-01")
    assert response.status_code == 400
    assert "The start date is after the end date." in response.content.decode()


def test_plan_export_has_the_plan_table_of_the_page(client, director, march_facts, plans):
    client.force_login(director)
    shown = page_context(client)["dash"].plan_rows
    rows = get_csv(client, "plans")
    assert rows[0] == ["Channel", "Indicator", "Plan", "Fact", "Completion, %", "Forecast"]
    assert len(rows) == len(shown) + 1
    # March 2025 is over: no forecast. Active revenue 4000 of 6000 → 66.7 %.
    assert rows[1] == ["Active sales", "Revenue", "6000.00", "4000.00", "66.7", ""]
    assert rows[2] == ["All channels", "Revenue", "6000.00", "4000.00", "66.7", ""]
