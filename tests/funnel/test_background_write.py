"""A large write on PostgreSQL inserts in a background thread (funnel.summaries.bulk's
InsertWriter), the counts while its loop still runs: the same result as inline, the history
the plausibility check reads as stored before the write, and all or nothing when the thread
fails. Here the threshold is lowered so that a handful of values takes that path (on SQLite
it is inline)."""

import datetime as dt
import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection

from funnel import imports, services
from funnel.imports import kpi_import
from funnel.models import DailyCount, DailyFact, FactChange
from funnel.plausibility_checks import UnusualValues
from funnel.services import ValueWrite, facts_write
from funnel.summaries import bulk
from funnel.summaries.models import DailyTotal, ManagerTotal, MonthTotal
from tests.factories import channel

DAY = dt.date(2026, 3, 2)
DAYS = [DAY + dt.timedelta(days=n) for n in range(10)]


@pytest.fixture
def background(monkeypatch):
    """A write of 2 values or more goes to the background, 2 counts a statement; → the
    models inserted by other threads than this one, in order."""
    monkeypatch.setattr(services, "BACKGROUND_VALUES", 2)
    threads: list = []
    insert = bulk.pg_insert

    def spy(cursor, model, *args):
        if threading.current_thread() is not threading.main_thread():
            threads.append(model)
        return insert(cursor, model, *args)

    monkeypatch.setattr(bulk, "pg_insert", spy)
    return threads


def csv(rows) -> bytes:
    lines = [f"{day:%Y-%m-%d},manager_a,active,{code},{value}" for day, code, value in rows]
    return ("date,manager,channel,indicator,value\n" + "\n".join(lines)).encode()


def assert_totals_verified():
    call_command("totals_verify", stdout=StringIO())


def test_an_import_written_in_the_background_equals_the_inline_write(manager_a, background):
    rows = [(day, code, n + 1) for n, day in enumerate(DAYS) for code in ("first_contacts",)]
    rows += [(day, "revenue", f"{n}.50") for n, day in enumerate(DAYS)]
    report = kpi_import(csv(rows), by=None)
    assert (report.ok, report.changed, report.unchanged) == (True, 20, 0)
    if connection.vendor == "postgresql":
        # Counts and the history of values that cannot be unusual (all of them here) two a
        # statement while the loop runs, then the facts: all in the background.
        assert background == [DailyCount, FactChange] * 5 + [FactChange] * 5 + [DailyFact]
    else:
        assert background == []  # SQLite writes inline
    counts = DailyCount.objects.filter(indicator__code="first_contacts")
    assert sorted(counts.values_list("fact__date", "value")) == [
        (day, n + 1) for n, day in enumerate(DAYS)
    ]
    assert sorted(DailyFact.objects.values_list("date", "revenue")) == [
        (day, Decimal(f"{n}.50")) for n, day in enumerate(DAYS)
    ]
    assert FactChange.objects.count() == 20  # one row per change
    assert_totals_verified()
    # Again with other values: updates, old values in the history, totals still exact.
    again = kpi_import(
        csv([(day, code, int(value) * 2) for day, code, value in rows[:10]]), by=None
    )
    assert (again.changed, again.unchanged) == (10, 0)
    changes = FactChange.objects.filter(code="first_contacts", old_value__isnull=False)
    assert sorted(changes.values_list("old_value", "new_value")) == [
        (Decimal(n + 1), Decimal(2 * (n + 1))) for n in range(10)
    ]
    assert_totals_verified()


def test_the_plausibility_check_reads_the_history_as_it_was_before_the_write(manager_a, background):
    # Three quiet days, then ten days of 100 each after them: every one is unusual against
    # the quiet days, although the counts of the first ones are in the table (written in
    # the background) when the last ones are checked, and would make 100 usual.
    ch = channel("active")
    quiet = [DAY - dt.timedelta(days=n) for n in range(1, 4)]
    writes = [ValueWrite(day, manager_a.pk, ch.pk, "first_contacts", 2) for day in quiet]
    facts_write(writes=writes, by=manager_a, source="form")
    with pytest.raises(UnusualValues) as refused:
        facts_write(
            writes=[ValueWrite(day, manager_a.pk, ch.pk, "first_contacts", 100) for day in DAYS],
            by=manager_a,
            source="form",
        )
    assert [item.date for item in refused.value.items] == DAYS
    assert not DailyCount.objects.filter(fact__date__gte=DAY).exists()  # nothing written
    report = kpi_import(csv([(day, "first_contacts", 100) for day in DAYS]), by=None)
    assert (report.ok, report.changed, len(report.unusual)) == (False, 0, 10)
    assert not DailyCount.objects.filter(fact__date__gte=DAY).exists()
    confirmed = kpi_import(
        csv([(day, "first_contacts", 100) for day in DAYS]), by=None, accept_unusual=True
    )
    assert (confirmed.ok, confirmed.changed, len(confirmed.unusual)) == (True, 10, 10)
    marked = FactChange.objects.filter(confirmed_unusual=True).values_list("new_value", flat=True)
    assert list(marked) == [Decimal(100)] * 10
    assert_totals_verified()


def test_an_error_in_the_background_rolls_everything_back(manager_a, background, monkeypatch):
    before = [(DAY, "first_contacts", 1), (DAY, "meetings_set", 1)]
    assert kpi_import(csv(before), by=None, accept_unusual=True).ok
    counts = set(DailyCount.objects.values_list("fact_id", "indicator_id", "value"))
    history = FactChange.objects.count()
    totals = set(DailyTotal.objects.values_list("team_key", "date", "code", "value"))
    insert = bulk.pg_insert

    def failing(cursor, model, columns, rows, tail):
        if model is FactChange:  # a broken history row: the CHECK of the counts' table
            model, columns, rows = DailyCount, ("fact_id", "indicator_id", "value"), [(0, 0, -1)]
        return insert(cursor, model, columns, rows, tail)

    monkeypatch.setattr(bulk, "pg_insert", failing)
    monkeypatch.setattr(bulk, "insert_rows", _inline(failing))
    rows = [(day, "first_contacts", 7) for day in DAYS]
    with pytest.raises(IntegrityError):  # psycopg's error as Django's, on either database
        kpi_import(csv(rows), by=None, accept_unusual=True)
    assert set(DailyCount.objects.values_list("fact_id", "indicator_id", "value")) == counts
    assert FactChange.objects.count() == history
    assert set(DailyTotal.objects.values_list("team_key", "date", "code", "value")) == totals
    assert not DailyFact.objects.filter(date__gt=DAY).exists()
    assert_totals_verified()


def _inline(failing):
    """insert_rows (SQLite's path) through `failing`."""
    insert = bulk.insert_rows

    def rows(model, columns, rows, tail=""):
        if model is FactChange:
            return insert(DailyCount, ("fact_id", "indicator_id", "value"), [(0, 0, -1)], tail)
        return insert(model, columns, rows, tail)

    return rows


def test_an_unusual_value_in_the_last_chunk_leaves_nothing_of_the_earlier_ones(
    manager_a, background, monkeypatch
):
    # A file too large to keep is written CHUNK values at a time: the last chunk's unusual
    # value, unconfirmed, rolls back the chunks already written.
    monkeypatch.setattr(imports, "KEEP_VALUES", 2)
    monkeypatch.setattr(imports, "CHUNK", 3)
    rows = [(day, "first_contacts", n % 5 + 1) for n, day in enumerate(DAYS[:-1])]
    rows.append((DAYS[-1], "first_contacts", 500))
    report = kpi_import(csv(rows), by=None)
    assert report.ok is False
    assert [(u.line, u.column) for u in report.unusual] == [(11, "first_contacts")]
    assert (report.changed, report.bad_rows) == (0, [])
    assert not DailyCount.objects.exists()
    assert not FactChange.objects.exists()
    assert not DailyTotal.objects.exists()
    assert not MonthTotal.objects.exists()
    assert not ManagerTotal.objects.exists()
    # With a bad row as well, the file is refused before any write, every problem named.
    rows.insert(3, (DAYS[2], "first_contacts", 1))
    rows.append((DAYS[-1], "no_such_code", 1))
    refused = kpi_import(csv(rows), by=None, accept_unusual=True)
    assert [(b.line, b.column) for b in refused.bad_rows] == [(5, ""), (13, "indicator")]
    assert not DailyCount.objects.exists()


def test_an_upload_is_read_in_slices_whatever_their_size(manager_a, head1, monkeypatch):
    from funnel import uploads
    from funnel.models import ImportUpload

    rows = [(day, "first_contacts", n + 1) for n, day in enumerate(DAYS)]
    data = csv(rows)
    # Slices of 7 bytes: the file is read in many queries and written whole.
    monkeypatch.setattr(uploads, "READ_SLICE", 7)
    upload = ImportUpload.objects.create(
        uploaded_by=head1, name="kpi.csv", data=data, size=len(data)
    )
    uploads.upload_run(upload.pk, dry_run=False)
    upload.refresh_from_db()
    assert (upload.status, upload.result["rows"], upload.result["changed"]) == ("done", 10, 10)
    counts = DailyCount.objects.filter(indicator__code="first_contacts")
    assert sorted(counts.values_list("fact__date", "value")) == [
        (day, n + 1) for n, day in enumerate(DAYS)
    ]
    # A file of exactly one slice, and an empty one, end as they should.
    monkeypatch.setattr(uploads, "READ_SLICE", len(data))
    exact = ImportUpload.objects.create(uploaded_by=head1, name="k.csv", data=data, size=len(data))
    uploads.upload_run(exact.pk, dry_run=True)
    exact.refresh_from_db()
    assert (exact.status, exact.result["unchanged"]) == ("checked", 10)
    empty = ImportUpload.objects.create(uploaded_by=head1, name="e.csv", data=b"", size=0)
    uploads.upload_run(empty.pk, dry_run=True)
    empty.refresh_from_db()
    assert empty.status == "failed"
    assert empty.result["bad_rows"][0][2] == "The file is empty."
