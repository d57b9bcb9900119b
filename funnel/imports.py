"""Import of past daily values: read the file (funnel/readers.py: CSV or XLSX, long or wide
layout), check every value with `RowChecker`, then write them all at once with `import_write`.

Any bad value rejects the file; the report names every one by where it is (the CSV line, the
header being line 1, or the XLSX sheet, row and column letter), its column and the reason.
`RowChecker` is the one place an imported value is checked: a caller with its own rows (the
API's batch) builds `RawRow`s and gets the same answers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import Channel
from funnel.forms import date_parse
from funnel.models import MONEY_CODES, MONEY_DECIMAL_CODES, FactChange, Indicator
from funnel.readers import (
    LONG_HEADER,
    XLSX_MAGIC,
    Detected,
    FileRejected,
    RawRow,
    csv_open,
    layout_rows,
    xlsx_sheets,
)
from funnel.services import ValueWrite, values_write
from funnel.values import CENT, value_check, value_parse
from teams.models import User

HEADER = LONG_HEADER
RU_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})", re.ASCII)
# Excel's binary floats: 1234.56 may come back as 1234.5600000000002.
FLOAT_NOISE = Decimal("0.000001")


@dataclass(frozen=True)
class BadRow:
    """One problem: `line` is the CSV line (header = 1) or the XLSX row; `sheet` and `cell`
    (the column letter) are set for XLSX; `column` names the file's column."""

    line: int
    column: str
    reason: str
    sheet: str = ""
    cell: str = ""

    @property
    def where(self) -> str:
        if self.sheet:
            return _("sheet “%(sheet)s”, row %(row)s, column %(cell)s") % {
                "sheet": self.sheet,
                "row": self.line,
                "cell": self.cell or "—",
            }
        return _("line %(line)s") % {"line": self.line}


@dataclass
class ImportReport:
    rows: int = 0
    changed: int = 0
    unchanged: int = 0
    dry_run: bool = False
    detected: str = ""
    bad_rows: list[BadRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.bad_rows


@dataclass
class _Lookups:
    """Everything a row is checked against, loaded once (4 queries for any file size)."""

    managers: dict[str, int]
    allowed: set[int]
    manager_channels: dict[int, set[int]]
    channels: dict[str, int]
    codes: dict[int, set[str]]

    @classmethod
    def load(cls, by: User | None) -> _Lookups:
        managers, allowed = {}, set()
        led = set(by.led_teams.values_list("pk", flat=True)) if by and by.is_head else set()
        for pk, username, team_id in User.objects.filter(role=User.Role.MANAGER).values_list(
            "pk", "username", "team_id"
        ):
            managers[username] = pk
            # The command runs as nobody in particular and may import for everyone.
            if by is None or by.sees_everything or team_id in led or pk == by.pk:
                allowed.add(pk)
        manager_channels: dict[int, set[int]] = {}
        for user_id, channel_id in User.channels.through.objects.values_list(
            "user_id", "channel_id"
        ):
            manager_channels.setdefault(user_id, set()).add(channel_id)
        codes: dict[int, set[str]] = {}
        for channel_id, code in Indicator.objects.values_list("channel_id", "code"):
            codes.setdefault(channel_id, set(MONEY_CODES)).add(code)
        channels = dict(Channel.objects.values_list("code", "pk"))
        for pk in channels.values():
            codes.setdefault(pk, set(MONEY_CODES))
        return cls(managers, allowed, manager_channels, channels, codes)


def _short(text: str, limit: int = 40) -> str:
    """A value echoed in a message, cut so that junk cannot flood the report."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(cell) -> str:
    return "" if cell is None else str(cell).strip()


def day_parse(raw) -> dt.date:
    """A date cell: a date from XLSX, or text as YYYY-MM-DD or DD.MM.YYYY (ValidationError)."""
    if isinstance(raw, dt.date):
        text = (raw.date() if isinstance(raw, dt.datetime) else raw).isoformat()
    else:
        text = _text(raw)
        if match := RU_DATE.fullmatch(text):
            day, month, year = match.groups()
            text = f"{year}-{int(month):02}-{int(day):02}"
    try:
        return date_parse(text)
    except ValidationError as error:
        if error.code == "date_range":
            raise
        raise ValidationError(
            _("Enter a date as YYYY-MM-DD or DD.MM.YYYY."), code="bad_date"
        ) from None


def number_parse(raw, *, money: bool) -> Decimal | None:
    """A value cell: a number from XLSX or text ("1 234,50" as well as "1234.50") → Decimal
    within funnel.values' limits, None when empty; ValidationError otherwise."""
    if isinstance(raw, (bool, dt.date)):
        raise ValidationError(_("Enter a number."), code="invalid")
    if isinstance(raw, int):
        return value_check(raw, money=money)
    if isinstance(raw, float):
        number = Decimal(repr(raw))
        if not number.is_finite():
            raise ValidationError(_("Enter a number."), code="invalid")
        near = number.quantize(CENT) if money else number.to_integral_value()
        return value_check(near if abs(number - near) < FLOAT_NOISE else number, money=money)
    return value_parse(None if raw is None else str(raw), money=money)


COUNT_TEXT = re.compile(r"[0-9]{1,9}", re.ASCII)
MONEY_TEXT = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,2})?", re.ASCII)


def _value_fast(raw, *, money: bool) -> Decimal | int | None:
    """The usual spellings of a value ("12", "1234.50"), parsed without number_parse's
    checks, which they pass by construction: up to 9 digits is a count within its limit,
    up to 12 digits with 2 decimals an amount within its. None for anything else."""
    if type(raw) is not str:
        return None
    if money:
        return Decimal(raw).quantize(CENT) if MONEY_TEXT.fullmatch(raw) else None
    return int(raw) if COUNT_TEXT.fullmatch(raw) else None


class RowChecker:
    """Checks one imported value at a time against the catalogue and the author's scope,
    loaded once (4 queries for any number of rows):

        checker = RowChecker(by=user)
        result = checker.check(RawRow(line, date, manager, channel, indicator, value))

    `result` is a ValueWrite, or the list of BadRows (where, column, reason) saying every problem
    of that row. Fields may be text as in a CSV file or cells as openpyxl reads them."""

    def __init__(self, *, by: User | None, today: dt.date | None = None):
        self.lookups = _Lookups.load(by)
        self.today = today or timezone.localdate()
        # What accepted rows proved valid, so that most rows skip the full check: a date as
        # written → the day, (manager, channel, indicator) as written → (manager_id,
        # channel_id, is decimal money, indicator code).
        self.good_days: dict[object, dt.date] = {}
        self.good_cells: dict[tuple, tuple[int, int, bool, str]] = {}
        self.bad_days: dict[object, str] = {}

    def check(self, raw: RawRow) -> ValueWrite | list[BadRow]:
        day = self.good_days.get(raw.date)
        cell = self.good_cells.get((raw.manager, raw.channel, raw.indicator))
        if day is not None and cell is not None:
            value = _value_fast(raw.value, money=cell[2])
            if value is not None:
                return ValueWrite(day, cell[0], cell[1], cell[3], value)
        return self._check_fully(raw)

    def bad(self, raw: RawRow, index: int | None, reason: str) -> BadRow:
        """A problem of `raw` in its field `index` (0 date … 4 value; None: the whole row)."""
        if index is None:
            column = raw.value_column if raw.value_column != "value" else ""
        elif raw.value_column != "value" and index >= 2:
            column = raw.value_column  # the wide layout: the column's code
        else:
            column = HEADER[index]
        cell = raw.cells[index] if raw.cells and index is not None else ""
        if raw.cells and index is None:
            cell = raw.cells[-1] if raw.value_column != "value" else ""
        return BadRow(raw.line, column, reason, raw.sheet, cell)

    def _check_fully(self, raw: RawRow) -> ValueWrite | list[BadRow]:
        if raw.problem:
            return [self.bad(raw, None, raw.problem)]
        lookups, bad = self.lookups, []
        username, channel_code, code = _text(raw.manager), _text(raw.channel), _text(raw.indicator)

        day = self._day(raw.date)
        if isinstance(day, str):
            bad.append(self.bad(raw, 0, day))

        manager_id = lookups.managers.get(username)
        if manager_id is None:
            reason = _("Unknown manager “%(name)s”.") % {"name": _short(username)}
            bad.append(self.bad(raw, 1, reason))
        elif manager_id not in lookups.allowed:
            reason = _("Manager “%(name)s” is not in your teams.") % {"name": _short(username)}
            bad.append(self.bad(raw, 1, reason))

        channel_id = lookups.channels.get(channel_code)
        if channel_id is None:
            reason = _("Unknown channel “%(code)s”.") % {"code": _short(channel_code)}
            bad.append(self.bad(raw, 2, reason))
        elif manager_id is not None and channel_id not in lookups.manager_channels.get(
            manager_id, ()
        ):
            reason = _("%(name)s does not report on channel “%(code)s”.") % {
                "name": username,
                "code": channel_code,
            }
            bad.append(self.bad(raw, 2, reason))
        if channel_id is not None and code not in lookups.codes[channel_id]:
            reason = _("Unknown indicator “%(code)s” for channel “%(channel)s”.") % {
                "code": _short(code),
                "channel": channel_code,
            }
            bad.append(self.bad(raw, 3, reason))
        elif channel_id is None and not code:
            bad.append(self.bad(raw, 3, _("The indicator is missing.")))

        value = None
        try:
            value = number_parse(raw.value, money=code in MONEY_DECIMAL_CODES)
            if value is None:
                bad.append(self.bad(raw, 4, _("The value is missing.")))
        except ValidationError as error:
            bad.append(self.bad(raw, 4, error.messages[0]))

        if bad:
            return bad
        self.good_days[raw.date] = day
        self.good_cells[(raw.manager, raw.channel, raw.indicator)] = (
            manager_id,
            channel_id,
            code in MONEY_DECIMAL_CODES,
            code,
        )
        return ValueWrite(day, manager_id, channel_id, code, value)

    def _day(self, raw) -> dt.date | str:
        """The day, or the reason it is not one (remembered per spelling)."""
        if (known := self.good_days.get(raw)) is not None:
            return known
        if (reason := self.bad_days.get(raw)) is not None:
            return reason
        try:
            day = day_parse(raw)
        except ValidationError as error:
            self.bad_days[raw] = error.messages[0]
            return error.messages[0]
        if day > self.today:
            self.bad_days[raw] = _("The date is in the future.")
            return self.bad_days[raw]
        return day


def file_rows(file) -> tuple[Detected, Iterator[RawRow]]:
    """A binary file (or bytes) → how it was read and its rows, streamed. FileRejected when the
    file as a whole cannot be read."""
    binary = io.BytesIO(file) if isinstance(file, bytes) else file
    start = binary.read(len(XLSX_MAGIC))
    binary.seek(0)
    if start == XLSX_MAGIC:
        return Detected("xlsx"), _xlsx_rows(binary)
    detected, text, reader = csv_open(binary)
    return detected, _csv_rows(text, reader)


def _xlsx_rows(binary) -> Iterator[RawRow]:
    for title, rows in xlsx_sheets(binary):
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


def kpi_import(file, *, by: User | None, dry_run: bool = False) -> ImportReport:
    """Check every value of a file (bytes or a binary file: CSV or XLSX), then write them all at
    once (`import_write`). With `dry_run` the writes are rolled back, so the report tells what an
    import would change. Nothing is written when any value is bad."""
    report = ImportReport(dry_run=dry_run)
    bad_rows = report.bad_rows
    values: dict[tuple, Decimal | int] = {}
    seen: dict[tuple, int] = {}
    rows = 0
    try:
        detected, raw_rows = file_rows(file)
        report.detected = str(detected)
        checker = RowChecker(by=by)
        for raw in raw_rows:
            rows += 1
            result = checker.check(raw)
            if type(result) is list:
                bad_rows.extend(result)
                continue
            key = ((result.date, result.manager_id, result.channel_id), result.code)
            if key in seen:
                reason = _("Same value as %(where)s.") % {"where": _where(seen[key], raw.sheet)}
                bad_rows.append(checker.bad(raw, None, reason))
                continue
            seen[key] = raw.line if not raw.sheet else (raw.sheet, raw.line, raw.cells[-1])
            values[key] = result.value
    except FileRejected as error:
        bad_rows.append(BadRow(error.line, "", error.reason, error.sheet, error.cell))
    report.rows = rows
    if bad_rows:
        return report
    if not values:
        bad_rows.append(BadRow(2, "", _("The file has no rows to import.")))
        return report
    try:
        report.changed, report.unchanged = import_write(values, by=by, dry_run=dry_run)
    except ValidationError as error:
        bad_rows.append(BadRow(0, "", " ".join(error.messages)))
    return report


def _where(seen, sheet: str) -> str:
    if isinstance(seen, tuple):
        return BadRow(seen[1], "", "", seen[0], seen[2]).where
    return BadRow(seen, "", "").where


def import_write(
    values: dict[tuple, Decimal | int], *, by: User | None, dry_run: bool = False
) -> tuple[int, int]:
    """Write checked values ((date, manager_id, channel_id), code) → value in one transaction
    as an import by `by`; with `dry_run` roll it back. → (changed, unchanged)."""
    with transaction.atomic():
        result = values_write(values, by=by, source=FactChange.Source.IMPORT)
        if dry_run:
            transaction.set_rollback(True)
    return result.changed, result.unchanged
