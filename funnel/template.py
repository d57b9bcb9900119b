"""The monthly template: the layout heads keep in their spreadsheets, as an XLSX workbook.

One sheet per manager: row 1 `manager`, the username and a title (name and month); row 2 the
indicator names in the user's language; row 3 `date` and the `channel.indicator` codes; then a
row per day of the month with the stored values. Edited in Excel, LibreOffice or Google Sheets
and uploaded back, it imports through funnel/imports.py (the wide layout of funnel/readers.py);
an empty cell leaves the stored value as it is.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import re

from django.utils import formats
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from funnel.readers import CODE_SEPARATOR, WIDE_DATE, WIDE_MANAGER
from funnel.selectors import entry_channels, entry_values
from funnel.values import CENT
from teams.models import User

MONEY_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
DATE_FORMAT = "dd.mm.yyyy"
SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
FIRST_DAY_ROW = 4


def month_days(month: dt.date) -> list[dt.date]:
    first = month.replace(day=1)
    return [
        first.replace(day=d) for d in range(1, calendar.monthrange(first.year, first.month)[1] + 1)
    ]


def _sheet_title(manager: User, used: set[str]) -> str:
    base = SHEET_BAD.sub("_", manager.username)[:28] or "sheet"
    title, n = base, 1
    while title.lower() in used:
        n += 1
        title = f"{base[:26]}~{n}"
    used.add(title.lower())
    return title


def month_template(managers: list[User], month: dt.date) -> bytes:
    """The workbook of `managers` for the month of `month`, filled with what is stored."""
    book = Workbook()
    book.remove(book.active)
    days = month_days(month)
    used: set[str] = set()
    month_name = formats.date_format(days[0], "F Y")
    for manager in managers:
        sheet = book.create_sheet(_sheet_title(manager, used))
        blocks = entry_channels(manager)
        stored = entry_values(manager, days[0], days[-1])
        columns = [(block, row) for block in blocks for row in block.rows]
        sheet.append(
            [WIDE_MANAGER, manager.username, f"{manager.get_full_name() or manager} — {month_name}"]
        )
        sheet.append([_("Date"), *[f"{block.channel.name}: {row.label}" for block, row in columns]])
        sheet.append(
            [
                WIDE_DATE,
                *[f"{block.channel.code}{CODE_SEPARATOR}{row.code}" for block, row in columns],
            ]
        )
        for day in days:
            values = []
            for block, row in columns:
                value = stored.get(day, block.channel.pk, row.code)
                if value is not None:
                    value = value.quantize(CENT) if row.is_decimal else int(value)
                values.append(value)
            sheet.append([day, *values])
        for row_cells in sheet.iter_rows(min_row=FIRST_DAY_ROW):
            row_cells[0].number_format = DATE_FORMAT
            for (_block, row), cell in zip(columns, row_cells[1:], strict=False):
                cell.number_format = MONEY_FORMAT if row.is_decimal else COUNT_FORMAT
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for cell in sheet[3]:
            cell.font = Font(color="808080")
        sheet.column_dimensions["A"].width = 12
        for index, (block, row) in enumerate(columns, start=2):
            width = min(40, max(12, len(f"{block.channel.name}: {row.label}") * 0.9))
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = sheet.cell(row=FIRST_DAY_ROW, column=2)
    if not book.worksheets:
        book.create_sheet(_("No managers"))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
