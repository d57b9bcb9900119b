"""CSV and XLSX of every dashboard table, with the numbers the screen shows.

Money keeps its 2 decimals, ratios become the percentage shown (1 decimal, half-up),
counts stay whole; an undefined value (shown "—") is an empty cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from dashboards.dashboard import Dashboard, Drill, pct_points

MONEY_FORMAT = "#,##0.00"
PCT_FORMAT = "0.0"
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


def as_csv(table: Table, filename: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.title for c in table.columns])
    for row in table.rows:
        writer.writerow(
            ["" if v is None else v.isoformat() if hasattr(v, "isoformat") else v for v in row]
        )
    # A byte order mark, so that Excel opens the UTF-8 file with Cyrillic names intact.
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def as_xlsx(table: Table, filename: str) -> HttpResponse:
    book = Workbook()
    sheet = book.active
    sheet.title = table.name[:31]
    sheet.append([c.title for c in table.columns])
    formats = {
        "money": MONEY_FORMAT,
        "pct": PCT_FORMAT,
        "count": COUNT_FORMAT,
        "decimal": "0.0",
        "date": "yyyy-mm-dd",
    }
    for row in table.rows:
        sheet.append(row)
        for index, column in enumerate(table.columns, start=1):
            if column.kind in formats:
                sheet.cell(row=sheet.max_row, column=index).number_format = formats[column.kind]
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(column.title) + 2)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
