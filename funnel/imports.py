"""Import of past daily values: read the file (funnel/readers.py: CSV or XLSX, long or wide
layout), check every value with `RowChecker`, then write them all at once with `import_write`.

Any bad value rejects the file; the report names every one by where it is (the CSV line, the
header being line 1, or the XLSX sheet, row and column letter), its column and the reason.
`RowChecker` is the one place an imported value is checked: a caller with its own rows (the
API's batch) builds `RawRow`s and gets the same answers.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import reset_queries, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.utils import column_index_from_string, get_column_letter

from channels.models import Channel
from funnel.forms import date_parse
from funnel.models import MONEY_CODES, MONEY_DECIMAL_CODES, FactChange, Indicator
from funnel.plausibility_checks import UnusualValues, hard_max, hard_message, limits_load
from funnel.preview import Preview, import_preview
from funnel.readers import LONG_HEADER, FileRejected, Meter, RawRow, file_rows
from funnel.services import ValueWrite, WriteResult, managers_lock, values_write
from funnel.values import CENT, value_check, value_parse
from teams.models import User

HEADER = LONG_HEADER
RU_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})", re.ASCII)
# Excel's binary floats: 1234.56 may come back as 1234.5600000000002.
FLOAT_NOISE = Decimal("0.000001")
# Checked values are written this many at a time (bounded memory for any file size).
CHUNK = 20_000
# A file of up to this many values keeps them from the check for the write (one reading);
# a larger one is read again (bounded memory).
KEEP_VALUES = 200_000
PROGRESS_ROWS = 5_000
# The percent of the progress bar reached when the check ends and the write begins.
WRITING = 80


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
    preview: Preview | None = None
    # Values above their managers' usual (funnel.plausibility_checks): a warning each; the
    # import writes them only when `accept_unusual` confirms them.
    unusual: list[BadRow] = field(default_factory=list)
    accept_unusual: bool = False

    @property
    def ok(self) -> bool:
        return not self.bad_rows and (self.dry_run or self.accept_unusual or not self.unusual)


@dataclass
class _Lookups:
    """Everything a row is checked against, loaded once (5 queries for any file size)."""

    managers: dict[str, int]
    allowed: set[int]
    manager_channels: dict[int, set[int]]
    channels: dict[str, int]
    codes: dict[int, set[str]]
    limits: dict[tuple[int, str], Decimal]  # the maxima per day set in the admin

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
        limits = limits_load(channels.values())
        return cls(managers, allowed, manager_channels, channels, codes, limits)


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
    """The usual spellings of a value ("12", "1234.50", an XLSX integer), parsed without
    number_parse's checks, which they pass by construction: up to 9 digits is a count within
    its limit, up to 12 digits with 2 decimals an amount within its. None for anything else."""
    if type(raw) is int:  # an XLSX number cell
        if money:
            return Decimal(raw).quantize(CENT) if 0 <= raw < 10**12 else None
        return raw if 0 <= raw < 10**9 else None
    if type(raw) is not str:
        return None
    if money:
        return Decimal(raw).quantize(CENT) if MONEY_TEXT.fullmatch(raw) else None
    # As COUNT_TEXT.fullmatch, cheaper: ASCII digits only.
    return int(raw) if len(raw) <= 9 and raw.isdigit() and raw.isascii() else None


class RowChecker:
    """Checks one imported value at a time against the catalogue and the author's scope,
    loaded once (5 queries for any number of rows):

        checker = RowChecker(by=user)
        result = checker.check(RawRow(line, date, manager, channel, indicator, value))

    `result` is a ValueWrite, or the list of BadRows (where, column, reason) saying every problem
    of that row. Fields may be text as in a CSV file or cells as openpyxl reads them."""

    def __init__(self, *, by: User | None, today: dt.date | None = None):
        self.by = by
        self.lookups = _Lookups.load(by)
        self.today = today or timezone.localdate()
        # What accepted rows proved valid, so that most rows skip the full check: a date as
        # written → the day, (manager, channel, indicator) as written → (manager_id,
        # channel_id, is decimal money, indicator code, maximum per day).
        self.good_days: dict[object, dt.date] = {}
        self.good_cells: dict[tuple, tuple[int, int, bool, str]] = {}
        self.bad_days: dict[object, str] = {}

    def check(self, raw: RawRow) -> ValueWrite | list[BadRow]:
        day = self.good_days.get(raw.date)
        cell = self.good_cells.get((raw.manager, raw.channel, raw.indicator))
        if day is not None and cell is not None:
            value = _value_fast(raw.value, money=cell[2])
            if value is not None and value <= cell[4]:
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
        if manager_id is not None and manager_id not in lookups.allowed:
            # Whether the username exists elsewhere, and where they work, is not the
            # importer's to learn: one message for both.
            manager_id = None
        if manager_id is None:
            reason = _("Unknown manager “%(name)s”, or not in your teams.") % {
                "name": _short(username)
            }
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
        limit = None
        if channel_id is not None:
            limit = hard_max(lookups.limits, channel_id, code)
            if value is not None and value > limit:
                money = code in MONEY_DECIMAL_CODES
                bad.append(self.bad(raw, 4, hard_message(value, limit, money=money)))

        if bad:
            return bad
        self.good_days[raw.date] = day
        self.good_cells[(raw.manager, raw.channel, raw.indicator)] = (
            manager_id,
            channel_id,
            code in MONEY_DECIMAL_CODES,
            code,
            limit,
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


class _Seen:
    """Where each value of the file was first set, in ~100 bytes a value: the key packed into
    one int, the place into another (line; for XLSX also the sheet and column)."""

    def __init__(self):
        self.places: dict[int, int] = {}
        self.codes: dict[str, int] = {}
        self.sheets: dict[str, int] = {}
        self.sheet_names: list[str] = []

    def key(self, write: ValueWrite) -> int:
        code = self.codes.setdefault(write.code, len(self.codes))
        packed = (write.date.toordinal() << 32 | write.manager_id) << 24 | write.channel_id
        return packed << 16 | code

    def place(self, raw: RawRow) -> int:
        if not raw.sheet:
            return raw.line
        sheet = self.sheets.get(raw.sheet)
        if sheet is None:
            sheet = self.sheets[raw.sheet] = len(self.sheet_names)
            self.sheet_names.append(raw.sheet)
        return ((sheet + 1) << 15 | column_index_from_string(raw.cells[-1])) << 21 | raw.line

    def where(self, place: int) -> str:
        return self.bad_row(place, "", "").where

    def bad_row(self, place: int, column: str, reason: str) -> BadRow:
        sheet = place >> 36
        if not sheet:
            return BadRow(place, column, reason)
        cell = get_column_letter((place >> 21) & (2**15 - 1))
        return BadRow(place & (2**21 - 1), column, reason, self.sheet_names[sheet - 1], cell)


def kpi_import(
    file,
    *,
    by: User | None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    accept_unusual: bool = False,
) -> ImportReport:
    """Check every value of a file (bytes or a seekable binary file: CSV or XLSX), then write
    them all in one transaction; any bad value rejects the file and nothing is written. With
    `dry_run` the transaction is rolled back and the report carries the preview (what an import
    would change). The file is streamed — checked first, outside any transaction, then written
    every CHUNK values (a large file read again for that) — so memory holds only where each
    value was (for "same value as line …"). `progress` is called with the percent done now and
    then, outside the transaction. Values unusual for their managers are listed in
    `report.unusual`; unless `accept_unusual`, the import then writes nothing (a dry run
    lists them all the same)."""
    report = ImportReport(dry_run=dry_run, accept_unusual=accept_unusual)
    binary = io.BytesIO(file) if isinstance(file, bytes) else file
    checker, kept, seen = _check_pass(binary, by, report, progress)
    if report.bad_rows:
        return report
    if progress:
        progress(WRITING)
    first_change = 0
    if dry_run:  # the preview reads the history rows written after this one
        first_change = FactChange.objects.order_by("-id").values_list("id", flat=True).first() or 0
    binary.seek(0)
    with transaction.atomic():
        try:
            _write_pass(binary, checker, report, kept, confirm=dry_run or accept_unusual)
        except UnusualValues as error:
            report.unusual = [_unusual_row(seen, item) for item in error.items]
            report.changed = report.unchanged = 0
            transaction.set_rollback(True)
            return report
        except ValidationError as error:
            # The catalogue changed since the check: reject, and write nothing.
            report.bad_rows.append(BadRow(0, "", " ".join(error.messages)))
            report.changed = report.unchanged = 0
            transaction.set_rollback(True)
            return report
        report.unusual = [_unusual_row(seen, item) for item in report.unusual]
        if dry_run:
            report.preview = import_preview(first_change, by=by, unchanged=report.unchanged)
            transaction.set_rollback(True)
    if progress:
        progress(100)
    return report


def _check_pass(
    binary, by, report: ImportReport, progress
) -> tuple[RowChecker | None, dict, _Seen]:
    """Every value checked, nothing written: the report's rows, detected format and problems;
    → the checker, for a file of up to KEEP_VALUES values the values (else None: the write
    pass reads the file again), and where each value is."""
    bad_rows = report.bad_rows
    seen = _Seen()
    kept: dict[tuple, Decimal | int] | None = {}
    meter = Meter()
    rows = 0
    checker = None
    try:
        detected, raw_rows = file_rows(binary, meter)
        report.detected = str(detected)
        checker = RowChecker(by=by)
        check, places = checker.check, seen.places
        # The checker's fast path without a ValueWrite a row: what its caches proved, with
        # the parts of seen.key — (manager, channel, indicator) as written → (money, maximum,
        # key bits, manager_id, channel_id, code); the date as written → (day, key bits).
        cells: dict[tuple, tuple] = {}
        days: dict[object, tuple] = {}
        for raw in raw_rows:
            rows += 1
            if not rows % PROGRESS_ROWS:
                if progress:
                    progress(int(meter.fraction * WRITING))
                if rows * meter.fraction and rows > 2 * KEEP_VALUES * meter.fraction:
                    kept = None  # twice too large by the first rows' size: keep nothing
            cell, day = cells.get(raw_cell := (raw.manager, raw.channel, raw.indicator)), None
            if cell is not None and (day := days.get(raw.date)) is not None:
                value = _value_fast(raw.value, money=cell[0])
                if value is None or value > cell[1]:
                    day = None
            if day is None:
                result = check(raw)
                if type(result) is list:
                    bad_rows.extend(result)
                    continue
                value = result.value
                day = days.get(raw.date) or days.setdefault(
                    raw.date, (result.date, result.date.toordinal() << 72)
                )
                if cell is None:
                    m, c, money, code, limit = checker.good_cells[raw_cell]
                    bits = m << 40 | c << 16 | seen.codes.setdefault(code, len(seen.codes))
                    cell = cells[raw_cell] = (money, limit, bits, m, c, code)
            key = day[1] | cell[2]
            if (place := places.get(key)) is not None:
                reason = _("Same value as %(where)s.") % {"where": seen.where(place)}
                bad_rows.append(checker.bad(raw, None, reason))
                continue
            places[key] = seen.place(raw) if raw.sheet else raw.line
            if kept is not None:
                kept[((day[0], cell[3], cell[4]), cell[5])] = value
                if len(kept) > KEEP_VALUES:
                    kept = None
    except FileRejected as error:
        bad_rows.append(BadRow(error.line, "", error.reason, error.sheet, error.cell))
    report.rows = rows
    if not bad_rows and not seen.places:
        bad_rows.append(BadRow(2, "", _("The file has no rows to import.")))
    return checker, kept, seen


def _unusual_row(seen: _Seen, item) -> BadRow:
    """An unusual value (funnel.plausibility_checks.Unusual) where the file has it."""
    place = seen.places.get(seen.key(item))
    return seen.bad_row(place or 0, item.code, item.message)


def _write_pass(
    binary, checker: RowChecker, report: ImportReport, kept: dict | None, *, confirm: bool
) -> None:
    """The checked values written (inside the transaction): those kept by the check at once,
    or the file read again and written CHUNK values at a time."""
    if kept is not None:  # in memory already: one write, as fast as it gets
        _count(report, import_write(kept, by=checker.by, confirm=confirm))
        return
    # Every manager of the file locked first, in one sorted pass: chunk by chunk, two large
    # imports would take their managers in the files' orders and could wait on each other.
    managers_lock({manager_id for manager_id, *_rest in checker.good_cells.values()})
    chunk: dict[tuple, Decimal | int] = {}
    for key, value in _checked_values(binary, checker):
        chunk[key] = value
        if len(chunk) >= CHUNK:
            _count(report, import_write(chunk, by=checker.by, confirm=confirm))
            chunk.clear()
            # With DEBUG on, the query log would keep every chunk's statements.
            reset_queries()
    if chunk:
        _count(report, import_write(chunk, by=checker.by, confirm=confirm))


def _checked_values(binary, checker: RowChecker):
    _detected, raw_rows = file_rows(binary)
    for raw in raw_rows:
        result = checker.check(raw)
        if type(result) is list:  # cannot happen: the same rows passed the check
            raise ValidationError(result[0].reason)
        yield ((result.date, result.manager_id, result.channel_id), result.code), result.value


def _count(report: ImportReport, result: WriteResult) -> None:
    report.changed += result.changed
    report.unchanged += result.unchanged
    report.unusual.extend(result.unusual)


def import_write(
    values: dict[tuple, Decimal | int], *, by: User | None, confirm: bool = False
) -> WriteResult:
    """The import's one write: checked values ((date, manager_id, channel_id), code) → value,
    recorded as an import by `by`. Call it inside the import's transaction. Unusual values
    raise UnusualValues unless `confirm`."""
    return values_write(values, by=by, source=FactChange.Source.IMPORT, confirm=confirm)
