"""CSV and XLSX of every dashboard table, with the numbers the screen shows.

Money keeps its 2 decimals, ratios become the percentage shown (1 decimal, half-up; in XLSX a
percent cell holding that fraction), counts stay whole; an undefined value (shown "—") is an
empty cell. CSV follows the user's locale; text that a spreadsheet would read as a formula is
neutralised in both formats (docs/formats.md, "Dashboard exports").
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from dashboards.dashboard import Dashboard, Drill, pct_points
from dashboards.filters import Filters

MONEY_FORMAT = "#,##0.00"
PCT_FORMAT = "0.0%"
COUNT_FORMAT = "#,##0"


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = "text"  # text, date, money, pct, count


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[list]


def _value(value, kind: str):
    if value is None:
        return None
    if kind == "money":
        return Decimal(value).quantize(Decimal("0.01"))
    if kind == "pct":
        return pct_points(value)
    if kind == "count":
        return int(value)
    return value


def _table(name: str, title: str, columns: list[Column], raw_rows: list[list]) -> Table:
    rows = [[_value(v, c.kind) for v, c in zip(row, columns, strict=True)] for row in raw_rows]
    return Table(name, title, columns, rows)


def leaderboard_table(dash: Dashboard) -> Table:
    columns = [
        Column(_("Place"), "count"),
        Column(_("Manager")),
        Column(_("Team")),
        Column(_("Revenue plan"), "money"),
        Column(_("Revenue"), "money"),
        Column(_("Completion, %"), "pct"),
        Column(_("Forecast"), "money"),
        *[
            Column(_("%(channel)s: conversion, %%") % {"channel": c.name}, "pct")
            for c in dash.catalogue
        ],
    ]
    rows = [
        [
            r.rank,
            r.manager.board_name,
            r.manager.team.name if r.manager.team else "",
            r.plan,
            r.revenue,
            r.completion,
            r.forecast,
            *r.conversions,
        ]
        for r in dash.leaderboard
    ]
    return _table("leaderboard", _("Leaderboard"), columns, rows)


def plans_table(dash: Dashboard) -> Table:
    # Plan, fact and forecast are money or whole counts by row; PlanRow already rounds them.
    columns = [
        Column(_("Channel")),
        Column(_("Indicator")),
        Column(_("Plan"), "number"),
        Column(_("Fact"), "number"),
        Column(_("Completion, %"), "pct"),
        Column(_("Forecast"), "number"),
    ]
    rows = [
        [
            r.channel.name if r.channel else _("All channels"),
            r.indicator_name,
            r.plan,
            r.fact,
            r.completion,
            r.forecast,
        ]
        for r in dash.plan_rows
    ]
    return _table("plans", _("Plan vs fact"), columns, rows)


def conversions_table(dash: Dashboard) -> Table:
    columns = [
        Column(_("Channel")),
        Column(_("Manager")),
        Column(_("Stage")),
        Column(_("Count"), "count"),
        Column(_("Conversion from previous stage, %"), "pct"),
    ]
    rows = []
    for block in dash.conversion_blocks:
        # A manager's own page shows no total row: it would repeat their own.
        for row in block.rows if dash.f.mine else [*block.rows, block.total]:
            who = row.manager.board_name if row.manager else _("All managers")
            for name, cell in zip(block.stage_names, row.cells, strict=True):
                rows.append([block.channel.name, who, name, cell.count, cell.conversion])
    return _table("conversions", _("Conversions by manager"), columns, rows)


def funnel_table(dash: Dashboard) -> Table:
    columns = [
        Column(_("Channel")),
        Column(_("Stage")),
        Column(_("Count"), "count"),
        Column(_("Conversion from previous stage, %"), "pct"),
    ]
    rows = [
        [funnel.channel.name, stage.name, stage.count, stage.conversion]
        for funnel in dash.funnels
        for stage in funnel.stages
    ]
    return _table("funnel", _("Funnel"), columns, rows)


def drill_table(drill: Drill) -> Table:
    columns = [
        Column(_("Date"), "date"),
        Column(_("Manager")),
        Column(_("Channel")),
        Column(drill.label, drill.kind),
    ]
    rows = [[r.date, r.manager, r.channel, r.value] for r in drill.rows]
    return _table("facts", drill.label, columns, rows)


TABLES: dict[str, Callable[[Dashboard], Table]] = {
    "leaderboard": leaderboard_table,
    "plans": plans_table,
    "conversions": conversions_table,
    "funnel": funnel_table,
}


# OWASP's CSV injection guidance: a cell starting with one of these is a formula to Excel,
# LibreOffice and Google Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_FORMATS = {
    "money": MONEY_FORMAT,
    "pct": PCT_FORMAT,
    "count": COUNT_FORMAT,
    "date": "dd.mm.yyyy",
}


def text_safe(value: str) -> str:
    """Text that a spreadsheet shows as written: a leading `'` before a formula character."""
    return "'" + value if value.startswith(FORMULA_START) else value


def csv_dialect(language: str | None = None) -> tuple[str, str]:
    """(separator, decimal mark) a spreadsheet of the language opens without a wizard:
    `;` and `,` in Russian (its list separator and decimal comma), `,` and `.` in English."""
    language = (language or get_language() or "en")[:2]
    return (";", ",") if language == "ru" else (",", ".")


def _csv_cell(value, decimal_mark: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return text_safe(value)
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y") if decimal_mark == "," else value.isoformat()
    text = str(value)
    return text.replace(".", decimal_mark) if isinstance(value, Decimal) else text


def as_csv(table: Table, filename: str) -> HttpResponse:
    """CSV in the user's locale (csv_dialect), UTF-8 with a byte order mark so that Excel
    keeps Cyrillic names, text neutralised against formulas (text_safe)."""
    separator, decimal_mark = csv_dialect()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerow([text_safe(c.title) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(v, decimal_mark) for v in row])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _xlsx_cell(value, kind: str):
    """(value, number format) as written: percentages as fractions of 1 for `0.0%`, a plan
    table's number as money or a whole count by its type."""
    if value is None:
        return None, None
    if kind == "pct":
        return Decimal(value) / 100, PCT_FORMAT
    if kind == "number":
        whole = isinstance(value, int)
        return value, COUNT_FORMAT if whole else MONEY_FORMAT
    return value, XLSX_FORMATS.get(kind)


def _shown_width(value, kind: str) -> int:
    if value is None:
        return 0
    if kind in ("money", "number") and isinstance(value, Decimal):
        return len(f"{value:,.2f}")
    if isinstance(value, int | Decimal):
        return len(f"{value:,}")
    if isinstance(value, dt.date):
        return 10
    return len(str(value))


def _text_cell(sheet, text: str) -> WriteOnlyCell:
    """A string cell: shown as written and never a formula, whatever it starts with (OWASP's
    "write as text"; openpyxl would otherwise store a leading `=` as a formula)."""
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell


def as_xlsx(table: Table, filename: str, title: str = "") -> HttpResponse:
    """XLSX: a title row (the table, its period and filters), the header, then the rows;
    real percent cells (`0.0%`), money `#,##0.00`, counts `#,##0` (Excel shows them with the
    reader's separators), widths that fit, text never read as a formula."""
    book = Workbook()
    sheet = book.active
    sheet.title = table.name[:31]
    sheet.append([_text_cell(sheet, title or table.title)])
    sheet["A1"].font = Font(bold=True)
    sheet.append([_text_cell(sheet, c.title) for c in table.columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [min(len(c.title), 30) for c in table.columns]
    for row in table.rows:
        cells = []
        for index, (value, column) in enumerate(zip(row, table.columns, strict=True)):
            widths[index] = max(widths[index], _shown_width(value, column.kind))
            shown, number_format = _xlsx_cell(value, column.kind)
            cell = (
                _text_cell(sheet, shown) if isinstance(shown, str) else WriteOnlyCell(sheet, shown)
            )
            if number_format and not isinstance(shown, str):
                cell.number_format = number_format
            cells.append(cell)
        sheet.append(cells)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, width + 2))
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def export_title(table: Table, filters: Filters) -> str:
    """The title row of an XLSX export: the table, its period and the filters in force."""
    parts = [
        _("%(table)s, %(start)s – %(end)s")
        % {
            "table": table.title,
            "start": date_format(filters.date_from, "SHORT_DATE_FORMAT"),
            "end": date_format(filters.date_to, "SHORT_DATE_FORMAT"),
        }
    ]
    if filters.team:
        parts.append(_("team: %(name)s") % {"name": filters.team.name})
    if filters.manager:
        parts.append(_("manager: %(name)s") % {"name": filters.manager.display_name})
    elif filters.mine and filters.viewer:
        parts.append(_("manager: %(name)s") % {"name": filters.viewer.display_name})
    if filters.channel:
        parts.append(_("channel: %(name)s") % {"name": filters.channel.name})
    return "; ".join(parts)
