"""An import file read as raw rows, one value each, streamed: a file of any size is read row by
row, never whole (docs/formats.md, "KPI import").

- CSV separated by `,`, `;` or a tab (detected from the first line), in UTF-8 with or without a
  byte order mark or in Windows-1251 (detected by charset-normalizer), any line ends;
- XLSX read by openpyxl in read-only mode, every sheet;
- in the long layout (header `date,manager,channel,indicator,value`, one value per row) or the
  wide layout of the monthly template (funnel/template.py: a `manager` row, a `date` row of
  `channel.indicator` codes, then a row per day and a column per indicator).

Nothing here checks a value: funnel/imports.py's `RowChecker` does, the same for every source.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from charset_normalizer import from_bytes
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

LONG_HEADER = ("date", "manager", "channel", "indicator", "value")
WIDE_MANAGER = "manager"
WIDE_DATE = "date"
CODE_SEPARATOR = "."
CODE_RE = re.compile(r"[-\w]+\.[-\w]+")
SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t")
XLSX_MAGIC = b"PK\x03\x04"
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "cp1251": "Windows-1251"}


class FileRejected(Exception):
    """The file as a whole cannot be read; `line`, `sheet` and `cell` say where it stopped."""

    def __init__(self, reason: str, line: int = 1, sheet: str = "", cell: str = ""):
        super().__init__(reason)
        self.reason, self.line, self.sheet, self.cell = reason, line, sheet, cell


@dataclass(slots=True)
class RawRow:
    """One value as the file spells it. `line` is the CSV line (the header is line 1) or the
    sheet row; `sheet` and `cells` (column letters of date, manager, channel, indicator and value)
    are set for XLSX only. `problem` is a reason the row could not be split into its fields.
    `value_column` names the value's column in messages (`value`, or a wide layout's code)."""

    line: int
    date: object = None
    manager: object = None
    channel: object = None
    indicator: object = None
    value: object = None
    sheet: str = ""
    cells: tuple[str, ...] = ()
    value_column: str = "value"
    problem: str = ""


@dataclass
class Meter:
    """How far reading has gone: bytes of a CSV file, rows of a workbook's sheets."""

    done: int = 0
    total: int = 0

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0


@dataclass(frozen=True)
class Detected:
    """How the file was read, told back to the user with every answer."""

    kind: str  # csv, xlsx
    encoding: str = ""
    delimiter: str = ""

    def __str__(self) -> str:
        if self.kind == "xlsx":
            return _("read as an Excel workbook (XLSX)")
        separator = _("tab") if self.delimiter == "\t" else self.delimiter
        return _("read as %(encoding)s, separator “%(separator)s”") % {
            "encoding": ENCODING_NAMES.get(self.encoding, self.encoding),
            "separator": separator,
        }


def _text(cell) -> str:
    return "" if cell is None else str(cell).strip()


def _blank(row: Iterable) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row)


# --- CSV ---------------------------------------------------------------------------------------


def _encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        # An incremental decoder: a character cut at the sample's end is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(sample, cp_isolation=["utf_8", "cp1251"]).best()
    if best is None:
        line = sample.count(b"\n") + 1
        raise FileRejected(_("The file is not text in UTF-8 or Windows-1251."), line)
    return "utf-8" if best.encoding == "utf_8" else "cp1251"


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def csv_open(binary, meter: Meter) -> tuple[Detected, Iterator[list[str]], csv.Reader]:
    """The binary file → how it was read and a csv reader over it (streamed)."""
    meter.total = binary.seek(0, io.SEEK_END)
    binary.seek(0)
    sample = binary.read(SAMPLE_BYTES)
    if b"\x00" in sample:
        line = sample[: sample.index(b"\x00")].count(b"\n") + 1
        raise FileRejected(_("The file contains binary data; save it as CSV or XLSX."), line)
    if not sample.strip():
        raise FileRejected(_("The file is empty."))
    encoding = _encoding(sample)
    first_line = sample.split(b"\n", 1)[0].decode(encoding, errors="replace")
    delimiter = _delimiter(first_line)
    head = io.BytesIO(sample)
    text = io.TextIOWrapper(_Chain(head, binary, meter), encoding=encoding, newline="")
    return Detected("csv", encoding, delimiter), text, csv.reader(text, delimiter=delimiter)


class _Chain(io.RawIOBase):
    """The sample already read, then the rest of the file: one stream for TextIOWrapper."""

    def __init__(self, head: io.BytesIO, rest, meter: Meter):
        self.head, self.rest, self.meter = head, rest, meter

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.head.read(len(buffer)) or self.rest.read(len(buffer))
        buffer[: len(data)] = data
        self.meter.done += len(data)
        return len(data)


# --- XLSX --------------------------------------------------------------------------------------


def _counted(rows: Iterator[tuple], meter: Meter) -> Iterator[tuple[int, tuple]]:
    for number, row in enumerate(rows, start=1):
        meter.done += 1
        yield number, row


def xlsx_sheets(binary, meter: Meter) -> Iterator[tuple[str, Iterator[tuple[int, tuple]]]]:
    """Each sheet's title and its rows as (row number, values), read-only (streamed)."""
    try:
        book = load_workbook(binary, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileRejected(
            _("The XLSX file cannot be read (%(error)s).") % {"error": error}
        ) from error
    try:
        # The sheets' sizes as their files state them: enough for a progress bar.
        meter.total = sum(sheet.max_row or 0 for sheet in book.worksheets)
        for sheet in book.worksheets:
            yield sheet.title, _counted(sheet.iter_rows(values_only=True), meter)
    finally:
        book.close()


# --- layouts -----------------------------------------------------------------------------------


def _long_rows(rows: Iterator[tuple[int, tuple]], sheet: str) -> Iterator[RawRow]:
    cells = tuple(get_column_letter(i) for i in range(1, 6)) if sheet else ()
    for line, row in rows:
        if len(row) == 5 and row[0]:  # the usual row, at no further cost
            yield RawRow(line, row[0], row[1], row[2], row[3], row[4], sheet, cells)
            continue
        if _blank(row):
            continue
        values = list(row)
        while len(values) > 5 and (values[-1] is None or values[-1] == ""):
            values.pop()
        if len(values) != 5:
            yield RawRow(
                line,
                sheet=sheet,
                problem=_("Expected %(expected)s columns, found %(found)s.")
                % {"expected": 5, "found": len(values)},
            )
            continue
        yield RawRow(line, *values, sheet=sheet, cells=cells)


def _wide_rows(rows: Iterator[tuple[int, tuple]], sheet: str, first: tuple) -> Iterator[RawRow]:
    manager = _text(first[1]) if len(first) > 1 else ""
    columns: list[tuple[int, str, str, str]] = []  # (index, letter, channel, indicator)
    for line, row in rows:
        if _blank(row):
            continue
        if _text(row[0]).lower() != WIDE_DATE or not any(
            CODE_RE.fullmatch(_text(cell)) for cell in row[1:]
        ):
            continue  # the names row ("Date", "Дата"), and any other row above the codes
        for index, cell in enumerate(row[1:], start=1):
            code = _text(cell)
            if not code:
                continue  # a column without a code (notes, totals) is not read
            channel, dot, indicator = code.partition(CODE_SEPARATOR)
            if not dot or not channel or not indicator:
                yield RawRow(
                    line,
                    sheet=sheet,
                    cells=(get_column_letter(index + 1),) * 5 if sheet else (),
                    value_column=code,
                    problem=_("Write the column's code as channel.indicator, not “%(code)s”.")
                    % {"code": code[:40]},
                )
                continue
            columns.append((index, get_column_letter(index + 1), channel, indicator))
        break
    else:
        yield RawRow(1, sheet=sheet, problem=_("No row starting with “date” and the codes."))
        return
    for line, row in rows:
        if _blank(row):
            continue
        for index, letter, channel, indicator in columns:
            value = row[index] if index < len(row) else None
            if value is None or (isinstance(value, str) and not value.strip()):
                continue  # an empty cell leaves the stored value as it is
            yield RawRow(
                line,
                row[0],
                manager,
                channel,
                indicator,
                value,
                sheet=sheet,
                cells=("A", "B", letter, letter, letter) if sheet else (),
                value_column=f"{channel}{CODE_SEPARATOR}{indicator}",
            )


def layout_rows(rows: Iterator[tuple[int, tuple]], sheet: str = "") -> Iterator[RawRow]:
    """A sheet's (or a CSV file's) rows in either layout → RawRows; a sheet with nothing on it
    yields nothing."""
    for line, first in rows:
        if _blank(first):
            continue
        head = tuple(_text(c).lower() for c in first)
        while head and not head[-1]:
            head = head[:-1]
        if head == LONG_HEADER:
            yield from _long_rows(rows, sheet)
        elif head and head[0] == WIDE_MANAGER:
            yield from _wide_rows(rows, sheet, first)
        else:
            yield RawRow(
                line,
                sheet=sheet,
                problem=_(
                    "The first line must be: %(header)s — or, in the monthly template, "
                    "start with “manager”."
                )
                % {"header": ",".join(LONG_HEADER)},
            )
        return


# --- a whole file ------------------------------------------------------------------------------


def file_rows(file, meter: Meter | None = None) -> tuple[Detected, Iterator[RawRow]]:
    """A binary file (or bytes) → how it was read and its rows, streamed. FileRejected when the
    file as a whole cannot be read. `meter` follows how far the reading has gone."""
    meter = meter or Meter()
    binary = io.BytesIO(file) if isinstance(file, bytes) else file
    start = binary.read(len(XLSX_MAGIC))
    binary.seek(0)
    if start == XLSX_MAGIC:
        return Detected("xlsx"), _xlsx_rows(binary, meter)
    detected, text, reader = csv_open(binary, meter)
    return detected, _csv_rows(text, reader)


def _xlsx_rows(binary, meter: Meter) -> Iterator[RawRow]:
    for title, rows in xlsx_sheets(binary, meter):
        yield from layout_rows(rows, sheet=title)


def _csv_rows(text, reader) -> Iterator[RawRow]:
    lines = ((reader.line_num, row) for row in reader)
    try:
        yield from layout_rows(lines)
    except UnicodeDecodeError:
        raise FileRejected(
            _("The file is not text in %(encoding)s.") % {"encoding": text.encoding},
            reader.line_num + 1,
        ) from None
    except csv.Error as error:
        raise FileRejected(
            _("Not a valid CSV file: %(error)s") % {"error": error}, reader.line_num
        ) from None
