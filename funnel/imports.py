"""Import of past daily values from a CSV file: validate the whole file, then write it at once.

Format (docs/formats.md): UTF-8, header `date,manager,channel,indicator,value`, one value
per row. Any bad row rejects the file; the report names every bad row by its physical line
(the header is line 1) and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import Channel
from funnel.forms import date_parse, value_parse
from funnel.models import MONEY_CODES, MONEY_DECIMAL_CODES, FactChange, Indicator
from funnel.services import ValueWrite, values_write
from funnel.values import CENT
from teams.models import User

HEADER = ("date", "manager", "channel", "indicator", "value")


@dataclass(frozen=True)
class BadRow:
    line: int
    column: str
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    changed: int = 0
    unchanged: int = 0
    dry_run: bool = False
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


def _decode(data: bytes) -> tuple[str | None, BadRow | None]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return None, BadRow(line, "", _("The file is not UTF-8 text."))
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, BadRow(line, "", _("The file contains binary data; save it as CSV (UTF-8)."))
    return text, None


def _short(text: str, limit: int = 40) -> str:
    """A value echoed in a message, cut so that junk cannot flood the report."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def kpi_import(file, *, by: User | None, dry_run: bool = False) -> ImportReport:
    """Check every row of a CSV file (bytes or a binary file), then write all values at once.

    With `dry_run` the writes are rolled back, so the report tells what an import would change.
    Nothing is written when any row is bad.
    """
    report = ImportReport(dry_run=dry_run)
    data = file if isinstance(file, bytes) else file.read()
    text, bad = _decode(data)
    if bad:
        report.bad_rows.append(bad)
        return report
    if not text.strip():
        report.bad_rows.append(BadRow(1, "", _("The file is empty.")))
        return report

    lookups = _Lookups.load(by)
    today = timezone.localdate()
    reader = csv.reader(io.StringIO(text, newline=""))
    # ((date, manager_id, channel_id), code) → value, and → the line that set it.
    values: dict[tuple, Decimal | int] = {}
    seen: dict[tuple, int] = {}
    dates: dict[str, dt.date | str] = {}
    # What accepted rows proved valid, so that most rows skip _row_check: a date as written
    # → the day, (manager, channel, indicator) as written → (manager_id, channel_id,
    # is decimal money, indicator code).
    good_days: dict[str, dt.date] = {}
    good_cells: dict[tuple[str, str, str], tuple[int, int, bool, str]] = {}
    bad_rows = report.bad_rows
    data_rows = 0
    try:
        header = next(reader)
        if tuple(h.strip().lower() for h in header) != HEADER:
            bad_rows.append(
                BadRow(
                    1, "", _("The first line must be: %(header)s") % {"header": ",".join(HEADER)}
                )
            )
            return report
        for row in reader:
            if len(row) == 5:
                # Keyed by the fields as they are, so that the usual row costs no strip().
                raw_date, username, channel_code, code, raw_value = row
                day = good_days.get(raw_date)
                cell = good_cells.get((username, channel_code, code))
                if day is not None and cell is not None:
                    value = _value_fast(raw_value, money=cell[2])
                    if value is not None:
                        key = ((day, cell[0], cell[1]), cell[3])
                        if key not in seen:
                            data_rows += 1
                            seen[key] = reader.line_num
                            values[key] = value
                            continue
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            data_rows += 1
            if len(row) != len(HEADER):
                bad_rows.append(
                    BadRow(
                        line,
                        "",
                        _("Expected %(expected)s columns, found %(found)s.")
                        % {"expected": len(HEADER), "found": len(row)},
                    )
                )
                continue
            cleaned = [v.strip() for v in row]
            write = _row_check(line, cleaned, lookups, today, dates, bad_rows)
            if write is None:
                continue
            good_days[row[0]] = write.date
            good_cells[tuple(row[1:4])] = (
                write.manager_id,
                write.channel_id,
                write.code in MONEY_DECIMAL_CODES,
                write.code,
            )
            key = ((write.date, write.manager_id, write.channel_id), write.code)
            if key in seen:
                bad_rows.append(
                    BadRow(line, "", _("Same value as line %(line)s.") % {"line": seen[key]})
                )
                continue
            seen[key] = line
            values[key] = write.value
    except csv.Error as error:
        bad_rows.append(
            BadRow(reader.line_num, "", _("Not a valid CSV file: %(error)s") % {"error": error})
        )
    report.rows = data_rows
    if bad_rows:
        return report
    if not values:
        bad_rows.append(BadRow(2, "", _("The file has no rows to import.")))
        return report
    try:
        with transaction.atomic():
            result = values_write(values, by=by, source=FactChange.Source.IMPORT)
            if dry_run:
                transaction.set_rollback(True)
    except ValidationError as error:
        bad_rows.append(BadRow(0, "", " ".join(error.messages)))
        return report
    report.changed, report.unchanged = result.changed, result.unchanged
    return report


COUNT_TEXT = re.compile(r"[0-9]{1,9}", re.ASCII)
MONEY_TEXT = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,2})?", re.ASCII)


def _value_fast(text: str, *, money: bool) -> Decimal | int | None:
    """The usual spellings of a value ("12", "1234.50"), parsed without value_parse's
    checks, which they pass by construction: up to 9 digits is a count within its limit,
    up to 12 digits with 2 decimals an amount within its. None for anything else."""
    if money:
        return Decimal(text).quantize(CENT) if MONEY_TEXT.fullmatch(text) else None
    return int(text) if COUNT_TEXT.fullmatch(text) else None


def _row_check(
    line: int,
    row: list[str],
    lookups: _Lookups,
    today: dt.date,
    dates: dict[str, dt.date | str],
    bad_rows: list[BadRow],
) -> ValueWrite | None:
    """One data row → a ValueWrite, or None after adding its problems to `bad_rows`."""
    raw_date, username, channel_code, code, raw_value = row
    errors_before = len(bad_rows)

    day = dates.get(raw_date)
    if day is None:
        try:
            day = date_parse(raw_date)
            if day > today:
                day = _("The date is in the future.")
        except ValidationError as error:
            day = error.messages[0]
        dates[raw_date] = day
    if isinstance(day, str):
        bad_rows.append(BadRow(line, "date", day))

    manager_id = lookups.managers.get(username)
    if manager_id not in lookups.allowed:
        # Someone outside the importer's teams is told apart from nobody by nothing: not the
        # name's existence, not the channels they work in.
        manager_id = None
        bad_rows.append(
            BadRow(
                line,
                "manager",
                _("Unknown manager “%(name)s”, or not in your teams.") % {"name": _short(username)},
            )
        )

    channel_id = lookups.channels.get(channel_code)
    if channel_id is None:
        bad_rows.append(
            BadRow(
                line, "channel", _("Unknown channel “%(code)s”.") % {"code": _short(channel_code)}
            )
        )
    elif manager_id is not None and channel_id not in lookups.manager_channels.get(manager_id, ()):
        bad_rows.append(
            BadRow(
                line,
                "channel",
                _("%(name)s does not report on channel “%(code)s”.")
                % {"name": username, "code": channel_code},
            )
        )
    if channel_id is not None and code not in lookups.codes[channel_id]:
        bad_rows.append(
            BadRow(
                line,
                "indicator",
                _("Unknown indicator “%(code)s” for channel “%(channel)s”.")
                % {"code": _short(code), "channel": channel_code},
            )
        )
    elif channel_id is None and not code:
        bad_rows.append(BadRow(line, "indicator", _("The indicator is missing.")))

    value: Decimal | None = None
    try:
        value = value_parse(code, raw_value)
        if value is None:
            bad_rows.append(BadRow(line, "value", _("The value is missing.")))
    except ValidationError as error:
        bad_rows.append(BadRow(line, "value", error.messages[0]))

    if len(bad_rows) > errors_before:
        return None
    return ValueWrite(
        date=day, manager_id=manager_id, channel_id=channel_id, code=code, value=value
    )
