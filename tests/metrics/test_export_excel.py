"""Exports as Excel reads them: the user's CSV dialect, real percent / money / count cells,
a title row, widths, and no formula from a hostile name in any table."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dashboards.exports import csv_dialect, text_safe
from funnel.models import Indicator
from tests.factories import channel
from tests.metrics.test_exports import QUERY

TABLES = [
    ("leaderboard", ""),
    ("plans", ""),
    ("conversions", ""),
    ("funnel", ""),
    ("facts", "&d_code=first_contacts"),
]
HOSTILE = {
    "manager": '=HYPERLINK("http://evil.example","open")',
    "team": "+Team 1",
    "channel": "@Active",
    "stage": "-Meetings",
}


def fetch(client, table: str, fmt: str, extra: str = ""):
    response = client.get(f"{reverse('metrics:export', args=[table, fmt])}?{QUERY}{extra}")
    assert response.status_code == 200
    return response


def test_text_safe_prefixes_every_formula_start():
    assert [text_safe(v) for v in ["=1+2", "+7", "-x", "@SUM(A1)", "\tx", "\rx", "Anna", ""]] == [
        "'=1+2",
        "'+7",
        "'-x",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "Anna",
        "",
    ]
    assert csv_dialect("ru") == (";", ",")
    assert csv_dialect("en-us") == (",", ".")


def test_russian_csv_uses_semicolons_decimal_commas_and_a_bom(client, director, march_facts):
    director.language = "ru"
    director.save()
    client.force_login(director)
    body = fetch(client, "facts", "csv", "&d_code=revenue").content
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "Дата;Менеджер;Канал;Поступившие средства (выручка)"
    assert lines[1] == "05.03.2025;Boris Belov;Входящие продажи;500,00"


def test_english_csv_keeps_commas_and_points(client, director, march_facts):
    client.force_login(director)
    lines = fetch(client, "facts", "csv", "&d_code=revenue").content.decode("utf-8-sig")
    assert lines.split("\r\n")[1] == "2025-03-05,Boris Belov,Inbound sales,500.00"


def test_xlsx_cells_are_percent_money_and_counts_with_a_title_row(client, director, march_facts):
    client.force_login(director)
    sheet = load_workbook(io.BytesIO(fetch(client, "leaderboard", "xlsx").content)).active
    assert sheet["A1"].value == "Leaderboard, 03/01/2025 – 03/31/2025"
    assert sheet["A2"].value == "Place"
    # Row 3 is the first manager: place, name, team, plan, revenue, completion, forecast, …
    assert sheet["A3"].number_format == "#,##0"
    assert sheet["E3"].number_format == "#,##0.00"
    assert sheet["E3"].value == 3000
    funnel = load_workbook(io.BytesIO(fetch(client, "funnel", "xlsx").content)).active
    # Channel, stage, kind, main indicator, count, % of previous, n, % of first, per day.
    assert [funnel["E4"].value, funnel["E4"].number_format] == [10, "#,##0"]
    assert funnel["F4"].number_format == "0.0%"
    assert funnel["F4"].value == pytest.approx(0.333)
    assert [funnel["G4"].value, funnel["H4"].value] == [30, pytest.approx(0.333)]
    assert funnel["I4"].number_format == "0.0"
    # The stage column is as wide as its longest name.
    longest = max(len(c.value) for c in funnel["B"][1:])
    assert longest > len("Stage")
    assert funnel.column_dimensions["B"].width == longest + 2


def test_plan_table_money_and_counts_have_their_formats(client, director, march_facts, plans):
    client.force_login(director)
    sheet = load_workbook(io.BytesIO(fetch(client, "plans", "xlsx").content)).active
    rows = {(r[0].value, r[1].value): r for r in sheet.iter_rows(min_row=3)}
    money = rows[("Active sales", "Revenue")]
    assert [c.value for c in money[2:4]] == [6000, 4000]
    assert [money[2].number_format, money[4].number_format] == ["#,##0.00", "0.0%"]
    assert money[4].value == pytest.approx(0.667)
    meetings = rows[("Active sales", "Meetings and presentations set")]
    assert [meetings[2].value, meetings[2].number_format] == [20, "#,##0"]


def test_title_row_names_the_filters(client, director, march_facts, manager_a):
    client.force_login(director)
    extra = f"&team={manager_a.team_id}&channel={channel('active').pk}"
    sheet = load_workbook(io.BytesIO(fetch(client, "funnel", "xlsx", extra).content)).active
    assert sheet["A1"].value == (
        "Funnel, 03/01/2025 – 03/31/2025; team: Team 1; channel: Active sales"
    )


@pytest.fixture
def plans(manager_a, manager_a2):
    import datetime as dt

    from plans.models import Plan

    for manager in (manager_a, manager_a2):
        Plan.objects.create(
            month=dt.date(2025, 3, 1),
            channel=channel("active"),
            manager=manager,
            indicator="revenue",
            value=3000,
        )
        Plan.objects.create(
            month=dt.date(2025, 3, 1),
            channel=channel("active"),
            manager=manager,
            indicator="meetings_set",
            value=10,
        )


@pytest.fixture
def hostile(march_facts, manager_a, plans):
    manager_a.full_name = HOSTILE["manager"]
    manager_a.save()
    manager_a.team.name = HOSTILE["team"]
    manager_a.team.save()
    active = channel("active")
    active.name_en = HOSTILE["channel"]
    active.save()
    Indicator.objects.filter(channel=active, code="meetings_set").update(name_en=HOSTILE["stage"])


@pytest.mark.parametrize(("table", "extra"), TABLES)
def test_hostile_names_are_never_formulas(client, director, hostile, table, extra):
    client.force_login(director)
    text = fetch(client, table, "csv", extra).content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert not [c for c in cells if c[:1] in "=+-@\t\r" and c]
    quoted = {c for c in cells if c.startswith("'")}
    assert quoted & {"'" + v for v in HOSTILE.values()}
    assert {c[1:] for c in quoted} <= set(HOSTILE.values()) | {
        f"{HOSTILE['channel']}: conversion, %"
    }

    book = load_workbook(io.BytesIO(fetch(client, table, "xlsx", extra).content))
    xlsx_cells = [c for row in book.active.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in xlsx_cells if c.data_type == "f"]
    strings = {c.value for c in xlsx_cells if c.data_type == "s"}
    # Written as text cells, shown exactly as the name is spelled.
    assert strings & set(HOSTILE.values())
