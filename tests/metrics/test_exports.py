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
    assert rows[0][:11] == [
        "Place",
        "Manager",
        "Team",
        "Revenue plan",
        "Revenue",
        "Completion, %",
        "Expected by now",
        "Revenue before today",
        "Pace against expected, %",
        "Pace",
        "Forecast",
    ]
    assert rows[0][11] == "Active sales: conversion, %"
    assert [r[1] for r in rows[1:]] == [row.manager.display_name for row in board]
    # Artem: 3000 of 3000 → 100.0 %, funnel 3 of 20 → 15.0 %; Anna 1000 of 3000 → 33.3 %.
    # March is over: a forecast is given only while the period contains today, and the plan
    # expects all of itself (pace = completion).
    assert rows[1] == [
        "1",
        "Artem Antonov",
        "Team 1",
        "3000.00",
        "3000.00",
        "100.0",
        "3000.00",
        "3000.00",
        "100.0",
        "On track",
        "",
        "15.0",
        "",
        "",
        "",
    ]
    assert rows[2][:10] == [
        "2",
        "Anna Alekseeva",
        "Team 1",
        "3000.00",
        "1000.00",
        "33.3",
        "3000.00",
        "1000.00",
        "33.3",
        "Far behind",
    ]
    assert rows[3][:6] == ["3", "Boris Belov", "Team 2", "", "500.00", ""]


def test_leaderboard_xlsx_has_the_same_numbers(client, director, march_facts, plans):
    client.force_login(director)
    rows = get_xlsx(client, "leaderboard")
    # Percent cells hold the fraction (1 = 100 %, shown with the 0.0% format).
    assert rows[1][:11] == (
        1,
        "Artem Antonov",
        "Team 1",
        3000,
        3000,
        1,
        3000,
        3000,
        1,
        "On track",
        None,
    )
    assert rows[2][5] == pytest.approx(0.333)
    assert rows[3][3] is None


def test_funnel_export_matches_the_funnel_on_the_page(client, director, march_facts):
    client.force_login(director)
    funnels = page_context(client)["dash"].funnels
    rows = get_csv(client, "funnel")

    def shown(ratio):
        return "" if ratio is None else str((ratio * 100).quantize(Decimal("0.1")))

    expected = []
    for f in funnels:
        for s in f.stages:
            previous = "" if s.previous is None else str(s.previous)
            row = [f.channel.name, s.name, "stage", "yes" if s.is_main else "", str(s.count)]
            expected.append([*row, shown(s.conversion), previous, shown(s.share_of_first), ""])
        for a in f.activities:
            row = [f.channel.name, a.name, "activity", "yes" if a.is_main else "", str(a.count)]
            expected.append([*row, "", "", "", ""])
    # March 2025 is over: per manager per working day over its 21 working days.
    per_day = [row[-1] for row in rows[1:]]
    assert rows[1:] == [[*row[:-1], day] for row, day in zip(expected, per_day, strict=True)]
    # Active sales: 30 first contacts by 2 managers over 21 working days = 0.71 → 0.7.
    assert rows[1] == ["Active sales", "First contacts", "stage", "", "30", "", "", "", "0.7"]
    assert rows[2] == [
        "Active sales",
        "Meetings and presentations set",
        "stage",
        "",
        "10",
        "33.3",
        "30",
        "33.3",
        "0.2",
    ]
    assert [
        "Active sales",
        "Prospects added to the base",
        "activity",
        "yes",
        "0",
        "",
        "",
        "",
        "0.0",
    ] in rows


def test_conversion_export_lists_every_manager_and_stage(client, director, march_facts):
    client.force_login(director)
    rows = get_csv(client, "conversions")
    # Channel, manager, stage, count, % of the previous stage, its n, % of the first stage.
    anna = ["Active sales", "Anna Alekseeva", "Meetings and presentations set", "5", "50.0"]
    assert [*anna, "10", "50.0"] in rows
    total = ["Active sales", "All managers", "Invoices issued", "4", "100.0", "4", "13.3"]
    assert total in rows
    assert ["Inbound sales", "Boris Belov", "Qualified leads", "4", "50.0", "8", "50.0"] in rows


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
    assert rows[0] == [
        "Канал",
        "Этап",
        "Вид",
        "Главный показатель",
        "Количество",
        "Конверсия из предыдущего этапа, %",
        "n (количество на предыдущем этапе)",
        "Конверсия из первого этапа, %",
        "На менеджера в рабочий день",
    ]
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
    assert rows[0] == [
        "Channel",
        "Indicator",
        "Plan",
        "Fact",
        "Completion, %",
        "Expected by now",
        "Done before today",
        "Pace against expected, %",
        "Pace",
        "Forecast",
    ]
    assert len(rows) == len(shown) + 1
    # March 2025 is over: no forecast, the plan expects all of itself. Active revenue 4000 of
    # 6000 → 66.7 %, far behind (under 90 % of what was expected).
    pace = ["6000.00", "4000.00", "66.7", "Far behind", ""]
    assert rows[1] == ["Active sales", "Revenue", "6000.00", "4000.00", "66.7", *pace]
    assert rows[2] == ["All channels", "Revenue", "6000.00", "4000.00", "66.7", *pace]
