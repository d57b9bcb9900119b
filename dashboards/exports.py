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
from decimal import ROUND_HALF_UP, Decimal

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
    if kind == "decimal":
        return Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
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
        Column(_("Expected by now"), "money"),
        Column(_("Revenue before today"), "money"),
        Column(_("Pace against expected, %"), "pct"),
        Column(_("Pace")),
        Column(_("Forecast"), "money"),
        # As on the page: while morning commitments are switched on.
        *(
            [
                Column(_("Commitment accuracy, %"), "pct"),
                Column(_("Commitment bias (fact against commitment), %"), "pct"),
            ]
            if dash.commitments_on
            else []
        ),
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
            r.expected,
            r.fact_to_date,
            r.pace,
            pace_label(r.pace_status),
            r.forecast,
            *(
                [
                    r.commitment.accuracy if r.commitment else None,
                    r.commitment.bias if r.commitment else None,
                ]
                if dash.commitments_on
                else []
            ),
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
        Column(_("Expected by now"), "number"),
        Column(_("Done before today"), "number"),
        Column(_("Pace against expected, %"), "pct"),
        Column(_("Pace")),
        Column(_("Forecast"), "number"),
    ]
    rows = [
        [
            r.channel.name if r.channel else _("All channels"),
            r.indicator_name,
            r.plan,
            r.fact,
            r.completion,
            r.expected,
            r.fact_to_date,
            r.pace,
            pace_label(r.pace_status),
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
        Column(_("n (count at the previous stage)"), "count"),
        Column(_("Conversion from first stage, %"), "pct"),
    ]
    rows = []
    for block in dash.conversion_blocks:
        # A manager's own page shows no total row: it would repeat their own.
        for row in block.rows if dash.f.mine else [*block.rows, block.total]:
            who = row.manager.board_name if row.manager else _("All managers")
            for name, cell in zip(block.stage_names, row.cells, strict=True):
                rows.append(
                    [
                        block.channel.name,
                        who,
                        name,
                        cell.count,
                        cell.conversion,
                        cell.previous,
                        cell.share_of_first,
                    ]
                )
    return _table("conversions", _("Conversions by manager"), columns, rows)


def funnel_table(dash: Dashboard) -> Table:
    columns = [
        Column(_("Channel")),
        Column(_("Stage")),
        Column(_("Kind")),
        Column(_("Main indicator")),
        Column(_("Count"), "count"),
        Column(_("Conversion from previous stage, %"), "pct"),
        Column(_("n (count at the previous stage)"), "count"),
        Column(_("Conversion from first stage, %"), "pct"),
        Column(_("Per manager per working day"), "decimal"),
    ]
    rows = []
    for funnel in dash.funnels:
        for stage in funnel.stages:
            rows.append(
                [
                    funnel.channel.name,
                    stage.name,
                    _("stage"),
                    _("yes") if stage.is_main else "",
                    stage.count,
                    stage.conversion,
                    stage.previous,
                    stage.share_of_first,
                    stage.per_day,
                ]
            )
        for activity in funnel.activities:
            rows.append(
                [
                    funnel.channel.name,
                    activity.name,
                    _("activity"),
                    _("yes") if activity.is_main else "",
                    activity.count,
                    None,
                    None,
                    None,
                    activity.per_day,
                ]
            )
    return _table("funnel", _("Funnel"), columns, rows)


def money_table(dash: Dashboard) -> Table:
    columns = [
        Column(_("Channel")),
        Column(_("Invoiced"), "money"),
        Column(_("Received (revenue)"), "money"),
        Column(_("Received ÷ invoiced, %"), "pct"),
        Column(_("Payments"), "count"),
        Column(_("Average check"), "money"),
        Column(_("Variable costs"), "money"),
        Column(_("Margin"), "money"),
        Column(_("Profitability, %"), "pct"),
    ]
    rows = [
        [
            r.channel.name if r.channel else _("All channels"),
            r.money.invoiced_amount,
            r.money.revenue,
            r.received_share,
            r.money.payments_count,
            r.money.average_check,
            r.money.variable_costs,
            r.money.margin,
            r.money.profitability,
        ]
        for r in dash.money_rows
    ]
    return _table("money", _("Money by channel"), columns, rows)


def margin_table(dash: Dashboard) -> Table:
    columns = [
        Column(_("Manager")),
        Column(_("Channel")),
        Column(_("Revenue"), "money"),
        Column(_("Variable costs"), "money"),
        Column(_("Margin"), "money"),
        Column(_("Profitability, %"), "pct"),
    ]
    rows = [
        [
            r.manager.board_name if r.manager else _("All managers"),
            r.channel.name if r.channel else _("All channels"),
            r.money.revenue,
            r.money.variable_costs,
            r.money.margin,
            r.money.profitability,
        ]
        for r in [*dash.margin_rows, *dash.margin_totals]
    ]
    return _table("margin", _("Margin by manager"), columns, rows)


def leaks_table(dash: Dashboard) -> Table:
    columns = [
        Column(_("Manager")),
        Column(_("Channel")),
        Column(_("From stage")),
        Column(_("To stage")),
        Column(_("n (count at the previous stage)"), "count"),
        Column(_("Count"), "count"),
        Column(_("Conversion, %"), "pct"),
        Column(_("Reference, %"), "pct"),
        Column(_("Reference from")),
        Column(_("Missing"), "decimal"),
        Column(_("Revenue lost"), "money"),
        Column(_("Margin lost"), "money"),
        Column(_("Priced at the team's value per unit")),
        Column(_("Small sample")),
    ]
    sources = {"plan": _("plan"), "team": _("team median")}
    rows = [
        [
            r.manager.board_name,
            r.channel.name,
            r.previous_name,
            r.stage_name,
            r.leak.previous_count,
            r.leak.count,
            r.leak.conversion,
            r.leak.reference,
            sources.get(r.leak.reference_from, ""),
            r.leak.missing,
            r.money,
            r.margin,
            _("yes") if r.leak.team_value else "",
            _("yes") if r.leak.small_sample else "",
        ]
        for r in dash.leaks
    ]
    return _table("leaks", _("Where the money leaks"), columns, rows)


def pace_label(status: str | None) -> str:
    """The pace status in words, as the screen shows it."""
    return {
        "on_track": _("On track"),
        "behind": _("Behind"),
        "far_behind": _("Far behind"),
    }.get(status or "", "")


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
    "money": money_table,
    "margin": margin_table,
    "leaks": leaks_table,
}


# OWASP's CSV injection guidance: a cell starting with one of these is a formula to Excel,
# LibreOffice and Google Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_FORMATS = {
    "money": MONEY_FORMAT,
    "pct": PCT_FORMAT,
    "count": COUNT_FORMAT,
    "decimal": "0.0",
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
