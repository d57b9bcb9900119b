"""The files people really have: Russian Excel CSV (`;`, BOM, CRLF, decimal comma, DD.MM.YYYY),
Windows-1251, XLSX in both layouts, and the monthly template's round trip.

LibreOffice is not on the test machines, so the files are made here byte by byte (CSV: the
bytes a Russian-locale Excel or LibreOffice writes — BOM, `;`, CRLF, `1 234,50` with a
non-breaking space; cp1251 through Python's codec) and with openpyxl (XLSX: real date cells,
integers and binary floats, shared strings, as Excel saves them).
"""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from funnel.imports import BadRow, RowChecker, kpi_import
from funnel.models import DailyCount, DailyFact
from funnel.readers import RawRow
from funnel.services import ValueWrite
from tests.factories import channel, make_user, write_fact

DAY = dt.date(2026, 1, 5)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def count(manager, code: str, day=DAY, channel_code="active"):
    row = DailyCount.objects.filter(
        fact__manager=manager, fact__date=day, fact__channel__code=channel_code
    ).filter(indicator__code=code)
    row = row.first()
    return None if row is None else row.value


def revenue(manager, day=DAY, channel_code="active"):
    return DailyFact.objects.get(manager=manager, date=day, channel__code=channel_code).revenue


def xlsx(*sheets: tuple[str, list[list]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_russian_excel_csv_is_read(manager_a):
    text = (
        "date;manager;channel;indicator;value\r\n"
        "05.01.2026;manager_a;active;first_contacts;1\u00a0000\r\n"
        "05.01.2026;manager_a;active;revenue;12 345 678,50\r\n"
        "6.1.2026;manager_a;active;meetings_set;3\r\n"
    )
    report = kpi_import(b"\xef\xbb\xbf" + text.encode(), by=None, accept_unusual=True)
    assert report.bad_rows == []
    assert report.detected == "read as UTF-8 (BOM), separator “;”"
    assert (report.rows, report.changed) == (3, 3)
    assert count(manager_a, "first_contacts") == 1000
    assert revenue(manager_a) == Decimal("12345678.50")
    assert count(manager_a, "meetings_set", DAY + dt.timedelta(days=1)) == 3


def test_windows_1251_is_detected_and_named(team1):
    anna = make_user("анна", team=team1)
    text = (
        "date;manager;channel;indicator;value\r\n"
        "05.01.2026;анна;active;first_contacts;7\r\n"
        "05.01.2026;анна;active;revenue;1500,5\r\n"
    )
    report = kpi_import(text.encode("cp1251"), by=None)
    assert report.bad_rows == []
    assert report.detected == "read as Windows-1251, separator “;”"
    assert count(anna, "first_contacts") == 7
    assert revenue(anna) == Decimal("1500.50")


def test_a_cp1251_error_quotes_the_name_as_written_and_says_how_it_was_read(manager_a):
    text = "date;manager;channel;indicator;value\r\n05.01.2026;Иванов;active;first_contacts;7\r\n"
    report = kpi_import(text.encode("cp1251"), by=None)
    assert report.bad_rows == [
        BadRow(2, "manager", "Unknown manager “Иванов”, or not in your teams.")
    ]
    assert report.detected == "read as Windows-1251, separator “;”"
    assert not DailyFact.objects.exists()


def test_xlsx_long_layout_with_date_cells_and_float_money(manager_a):
    data = xlsx(
        (
            "Лист1",
            [
                ["date", "manager", "channel", "indicator", "value"],
                [dt.datetime(2026, 1, 5), "manager_a", "active", "first_contacts", 12],
                [dt.datetime(2026, 1, 5), "manager_a", "active", "revenue", 1234.56],
                ["05.01.2026", "manager_a", "active", "variable_costs", 0.1 + 0.2],
                [None, None, None, None, None],
                [DAY, "manager_a", "active", "meetings_set", "4"],
            ],
        )
    )
    report = kpi_import(data, by=None)
    assert report.bad_rows == []
    assert report.detected == "read as an Excel workbook (XLSX)"
    assert (report.rows, report.changed) == (4, 4)
    assert count(manager_a, "first_contacts") == 12
    assert count(manager_a, "meetings_set") == 4
    fact = DailyFact.objects.get(manager=manager_a, date=DAY, channel__code="active")
    assert (fact.revenue, fact.variable_costs) == (Decimal("1234.56"), Decimal("0.30"))


def test_xlsx_errors_name_the_sheet_row_and_column_letter(manager_a):
    data = xlsx(
        ("Empty", []),
        (
            "Январь",
            [
                ["date", "manager", "channel", "indicator", "value"],
                [DAY, "manager_a", "active", "first_contacts", 2.5],
                [DAY, "ghost", "active", "meetings_set", 1],
                ["2026/01/05", "manager_a", "active", "revenue", True],
            ],
        ),
    )
    report = kpi_import(data, by=None)
    assert report.bad_rows == [
        BadRow(2, "value", "A count must be a whole number.", "Январь", "E"),
        BadRow(3, "manager", "Unknown manager “ghost”, or not in your teams.", "Январь", "B"),
        BadRow(4, "date", "Enter a date as YYYY-MM-DD or DD.MM.YYYY.", "Январь", "A"),
        BadRow(4, "value", "Enter a number.", "Январь", "E"),
    ]
    assert report.bad_rows[0].where == "sheet “Январь”, row 2, column E"
    assert not DailyFact.objects.exists()
    with translation.override("ru"):
        assert report.bad_rows[0].where == "лист «Январь», строка 2, столбец E"


def test_a_header_with_an_unexpected_separator_says_how_the_file_was_read(manager_a):
    report = kpi_import(b"date|manager|channel|indicator|value\n", by=None)
    assert report.detected == "read as UTF-8, separator “,”"
    assert [b.line for b in report.bad_rows] == [1]


def test_row_checker_is_the_one_check_for_any_caller(manager_a, head2):
    checker = RowChecker(by=None)
    good = checker.check(RawRow(7, "05.01.2026", "manager_a", "active", "revenue", "1 500,5"))
    active = channel("active").pk
    assert good == ValueWrite(DAY, manager_a.pk, active, "revenue", Decimal("1500.50"))
    scoped = RowChecker(by=head2)
    assert scoped.check(RawRow(9, DAY, "manager_a", "active", "first_contacts", 1)) == [
        BadRow(9, "manager", "Unknown manager “manager_a”, or not in your teams.")
    ]


WIDE_ROWS = [
    ["manager", "manager_a", "Anna — January 2026"],
    ["Дата", "Активные: первый контакт", "Активные: выручка", "Notes"],
    ["date", "active.first_contacts", "active.revenue", None],
    ["05.01.2026", "10", "1 500,50", "a note"],
    ["06.01.2026", "", "", None],
    ["07.01.2026", "3", None, None],
]


def test_wide_layout_csv_with_the_template_header(manager_a):
    text = "\r\n".join(";".join("" if c is None else c for c in row) for row in WIDE_ROWS)
    report = kpi_import(text.encode("cp1251"), by=None)
    assert report.bad_rows == []
    assert (report.rows, report.changed) == (3, 3)
    assert count(manager_a, "first_contacts") == 10
    assert revenue(manager_a) == Decimal("1500.50")
    assert count(manager_a, "first_contacts", dt.date(2026, 1, 7)) == 3
    assert not DailyFact.objects.filter(date=dt.date(2026, 1, 6)).exists()


def test_wide_layout_errors_name_the_cell_and_its_code(manager_a):
    rows = [*WIDE_ROWS[:3], [dt.datetime(2026, 1, 5), -1, "x"], ["Итого", 3, None]]
    report = kpi_import(xlsx(("manager_a", rows)), by=None)
    assert report.bad_rows == [
        BadRow(4, "active.first_contacts", "The value cannot be negative.", "manager_a", "B"),
        BadRow(4, "active.revenue", "Enter a number.", "manager_a", "C"),
        BadRow(5, "date", "Enter a date as YYYY-MM-DD or DD.MM.YYYY.", "manager_a", "A"),
    ]


def test_template_round_trip_changes_only_the_edited_cells(client, head1, manager_a, manager_a2):
    write_fact(manager_a, "active", DAY, first_contacts=5, meetings_set=2, revenue="100.50")
    write_fact(manager_a2, "inbound", DAY, leads_received=4)
    client.force_login(head1)
    response = client.get(
        reverse("funnel:template"), {"team": manager_a.team_id, "month": "2026-01"}
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert [s.title for s in book.worksheets] == ["manager_a", "manager_a2"]
    sheet = book["manager_a"]
    assert [sheet["A1"].value, sheet["B1"].value] == ["manager", "manager_a"]
    codes = [c.value for c in sheet[3]]
    assert codes[0] == "date"
    first = codes.index("active.first_contacts") + 1
    money = codes.index("active.revenue") + 1
    day_row = 4 + DAY.day - 1
    assert sheet.cell(day_row, 1).value == dt.datetime(2026, 1, 5)
    assert sheet.cell(day_row, first).value == 5
    assert sheet.cell(day_row, money).value == Decimal("100.50")
    assert sheet.cell(day_row, money).number_format == "#,##0.00"
    assert sheet.max_row == 3 + 31
    # Edit in the file: one count changed, one value added on another day.
    sheet.cell(day_row, first).value = 8
    sheet.cell(day_row + 1, money).value = 99.9
    buffer = io.BytesIO()
    book.save(buffer)
    before = {(c.fact_id, c.indicator_id): c.value for c in DailyCount.objects.all()}

    report = kpi_import(buffer.getvalue(), by=head1)
    assert report.bad_rows == []
    assert report.changed == 2
    assert count(manager_a, "first_contacts") == 8
    assert count(manager_a, "meetings_set") == 2
    assert revenue(manager_a) == Decimal("100.50")
    assert revenue(manager_a, DAY + dt.timedelta(days=1)) == Decimal("99.90")
    after = {(c.fact_id, c.indicator_id): c.value for c in DailyCount.objects.all()}
    assert {k: v for k, v in after.items() if before.get(k) != v} == {
        k: 8 for k, v in before.items() if v == 5
    }


def test_template_names_are_in_the_users_language(client, head1, manager_a):
    client.force_login(head1)
    client.post(reverse("language_set"), {"language": "ru", "next": "/"})
    response = client.get(
        reverse("funnel:template"), {"team": manager_a.team_id, "month": "2026-02"}
    )
    sheet = load_workbook(io.BytesIO(response.content))["manager_a"]
    assert sheet["A2"].value == "Дата"
    assert sheet.max_row == 3 + 28


def test_template_is_refused_to_managers_and_other_teams(client, manager_a, head2):
    url = reverse("funnel:template")
    client.force_login(manager_a)
    assert client.get(url, {"team": manager_a.team_id, "month": "2026-01"}).status_code == 403
    client.force_login(head2)
    assert client.get(url, {"team": manager_a.team_id, "month": "2026-01"}).status_code == 404
    assert client.get(url, {"team": manager_a.team_id, "month": "2026-13"}).status_code == 400


def test_command_names_xlsx_cells_and_the_detected_format(manager_a, tmp_path, capsys):
    path = tmp_path / "kpi.xlsx"
    path.write_bytes(
        xlsx(
            (
                "S",
                [
                    ["date", "manager", "channel", "indicator", "value"],
                    [DAY, "manager_a", "active", "first_contacts", -3],
                ],
            )
        )
    )
    with pytest.raises(CommandError):
        call_command("import_kpi", str(path))
    err = capsys.readouterr().err
    assert "The file was read as an Excel workbook (XLSX)." in err
    assert "sheet “S”, row 2, column E, value: The value cannot be negative." in err


def test_command_dry_run_prints_the_preview_counts(manager_a, tmp_path, capsys):
    write_fact(manager_a, "active", DAY, first_contacts=5, meetings_set=2)
    path = tmp_path / "kpi.csv"
    path.write_text(
        "date;manager;channel;indicator;value\r\n"
        "05.01.2026;manager_a;active;first_contacts;8\r\n"
        "05.01.2026;manager_a;active;meetings_set;2\r\n"
        "05.01.2026;manager_a;active;proposals_sent;1\r\n",
        encoding="cp1251",
    )
    call_command("import_kpi", str(path), "--dry-run")
    assert capsys.readouterr().out.strip() == (
        "3 rows: 2 values changed, 1 unchanged. New: 1, changed: 1, unchanged: 1. "
        "Dry run: nothing was written."
    )
    assert count(manager_a, "first_contacts") == 5
    assert count(manager_a, "proposals_sent") is None


def test_the_same_value_twice_in_a_workbook_names_the_first_cell(manager_a):
    long_rows = [
        ["date", "manager", "channel", "indicator", "value"],
        [DAY, "manager_a", "active", "first_contacts", 1],
    ]
    wide_rows = [*WIDE_ROWS[:3], ["05.01.2026", 2, None]]
    report = kpi_import(xlsx(("Long", long_rows), ("manager_a", wide_rows)), by=None)
    assert report.bad_rows == [
        BadRow(
            4,
            "active.first_contacts",
            "Same value as sheet “Long”, row 2, column E.",
            "manager_a",
            "B",
        )
    ]


def test_a_file_too_large_to_keep_is_read_again_and_written_in_chunks(manager_a, monkeypatch):
    from funnel import imports

    monkeypatch.setattr(imports, "KEEP_VALUES", 2)
    monkeypatch.setattr(imports, "CHUNK", 3)
    rows = [f"2026-01-{d:02};manager_a;active;first_contacts;{d}" for d in range(1, 11)]
    data = ("date;manager;channel;indicator;value\n" + "\n".join(rows)).encode()
    dry = kpi_import(data, by=None, dry_run=True)
    assert (dry.rows, dry.changed, dry.preview.new) == (10, 10, 10)
    assert not DailyFact.objects.exists()
    report = kpi_import(data, by=None)
    assert (report.rows, report.changed, report.unchanged) == (10, 10, 0)
    assert [count(manager_a, "first_contacts", dt.date(2026, 1, d)) for d in range(1, 11)] == list(
        range(1, 11)
    )


def test_xlsx_integers_take_the_quick_path_and_its_limits(manager_a):
    day2 = dt.datetime(2026, 1, 6)
    rows = [
        ["date", "manager", "channel", "indicator", "value"],
        [dt.datetime(2026, 1, 5), "manager_a", "active", "first_contacts", 1],
        [dt.datetime(2026, 1, 5), "manager_a", "active", "revenue", 10],
        [day2, "manager_a", "active", "meetings_set", 2],
        # Day and cell both known: the quick path, then its limits.
        [day2, "manager_a", "active", "first_contacts", 3],
        [day2, "manager_a", "active", "revenue", 1500],
        [dt.datetime(2026, 1, 7), "manager_a", "active", "meetings_set", 0],
        [dt.datetime(2026, 1, 7), "manager_a", "active", "first_contacts", -4],
        [dt.datetime(2026, 1, 7), "manager_a", "active", "revenue", 10**13],
    ]
    report = kpi_import(xlsx(("S", rows)), by=None)
    assert report.bad_rows == [
        BadRow(8, "value", "The value cannot be negative.", "S", "E"),
        BadRow(9, "value", "The amount is too large.", "S", "E"),
    ]
    rows = rows[:-2]
    assert kpi_import(xlsx(("S", rows)), by=None).ok
    assert count(manager_a, "first_contacts", day2.date()) == 3
    assert revenue(manager_a, day2.date()) == Decimal("1500.00")
