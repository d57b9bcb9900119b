import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from funnel.imports import BadRow, kpi_import
from funnel.models import DailyCount, DailyFact, FactChange
from tests.factories import channel, make_user

HEADER = "date,manager,channel,indicator,value\n"
DAY = "2026-01-05"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return (header + "".join(f"{r}\n" for r in rows)).encode()


GOOD = csv_bytes(
    f"{DAY},manager_a,active,first_contacts,10",
    f"{DAY},manager_a,active,meetings_set,3",
    f"{DAY},manager_a,active,revenue,1500.50",
    f"{DAY},manager_a,inbound,payments_count,2",
    "2026-01-06,manager_b,partner,dm_attempts,7",
)


def stored():
    counts = {
        (str(c.fact.date), c.fact.manager.username, c.fact.channel.code, c.indicator.code): c.value
        for c in DailyCount.objects.select_related("fact__manager", "fact__channel", "indicator")
    }
    money = {
        (str(f.date), f.manager.username, f.channel.code): (f.revenue, f.payments_count)
        for f in DailyFact.objects.select_related("manager", "channel")
    }
    return counts, money


def test_good_file_is_imported_with_a_summary(manager_a, manager_b):
    report = kpi_import(GOOD, by=None)
    assert report.ok
    assert (report.rows, report.changed, report.unchanged) == (5, 5, 0)
    counts, money = stored()
    assert counts == {
        (DAY, "manager_a", "active", "first_contacts"): 10,
        (DAY, "manager_a", "active", "meetings_set"): 3,
        ("2026-01-06", "manager_b", "partner", "dm_attempts"): 7,
    }
    assert money[(DAY, "manager_a", "active")] == (Decimal("1500.50"), 0)
    assert money[(DAY, "manager_a", "inbound")] == (Decimal("0.00"), 2)
    assert set(FactChange.objects.values_list("source", flat=True)) == {"import"}


def test_reimporting_the_same_file_changes_nothing(manager_a, manager_b):
    kpi_import(GOOD, by=None)
    report = kpi_import(GOOD, by=None)
    assert (report.changed, report.unchanged) == (0, 5)
    assert FactChange.objects.count() == 5


def test_a_file_with_new_values_overwrites_and_leaves_the_rest(manager_a, manager_b):
    kpi_import(GOOD, by=None)
    report = kpi_import(csv_bytes(f"{DAY},manager_a,active,first_contacts,11"), by=None)
    assert (report.changed, report.unchanged) == (1, 0)
    counts, _money = stored()
    assert counts[(DAY, "manager_a", "active", "first_contacts")] == 11
    assert counts[(DAY, "manager_a", "active", "meetings_set")] == 3
    change = FactChange.objects.order_by("-id").first()
    assert (change.old_value, change.new_value) == (10, 11)


def test_dry_run_reports_changes_and_writes_nothing(manager_a, manager_b):
    report = kpi_import(GOOD, by=None, dry_run=True)
    assert (report.ok, report.changed, report.dry_run) == (True, 5, True)
    assert not DailyFact.objects.exists()
    assert not FactChange.objects.exists()


def test_byte_order_mark_and_crlf_and_blank_lines_are_accepted(manager_a):
    data = (
        b"\xef\xbb\xbf" + HEADER.replace("\n", "\r\n").encode() + b"\r\n"
        b"2026-01-05,manager_a,active,first_contacts,4\r\n"
    )
    assert kpi_import(data, by=None).ok
    assert DailyCount.objects.get().value == 4


BAD_DATE = "Enter a date as YYYY-MM-DD or DD.MM.YYYY."


def future() -> str:
    return (timezone.localdate() + dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (
            f"{DAY},nobody,active,first_contacts,1",
            "manager",
            "Unknown manager “nobody”, or not in your teams.",
        ),
        (
            f"{DAY},head1,active,first_contacts,1",
            "manager",
            "Unknown manager “head1”, or not in your teams.",
        ),
        (f"{DAY},manager_a,telepathy,first_contacts,1", "channel", "Unknown channel “telepathy”."),
        (
            f"{DAY},manager_a,active,leads_received,1",
            "indicator",
            "Unknown indicator “leads_received” for channel “active”.",
        ),
        (
            f"{DAY},manager_a,partner,partner_contacts,1",
            "channel",
            "manager_a does not report on channel “partner”.",
        ),
        ("05/01/2026,manager_a,active,first_contacts,1", "date", BAD_DATE),
        ("2026-02-30,manager_a,active,first_contacts,1", "date", BAD_DATE),
        ("31.02.2026,manager_a,active,first_contacts,1", "date", BAD_DATE),
        ("FUTURE,manager_a,active,first_contacts,1", "date", "The date is in the future."),
        (f"{DAY},manager_a,active,first_contacts,-1", "value", "The value cannot be negative."),
        (f"{DAY},manager_a,active,first_contacts,many", "value", "Enter a number."),
        (f"{DAY},manager_a,active,first_contacts,", "value", "The value is missing."),
        (f"{DAY},manager_a,active,first_contacts,2.5", "value", "A count must be a whole number."),
        (f"{DAY},manager_a,active,payments_count,1.5", "value", "A count must be a whole number."),
        (f"{DAY},manager_a,active,revenue,10.001", "value", "Money has at most 2 decimal places."),
        (
            f"{DAY},manager_a,active,revenue,1e12",
            "value",
            "Enter a number written in full: exponents such as 1e9 are not accepted.",
        ),
        (f"{DAY},manager_a,active,revenue,9999999999999", "value", "The amount is too large."),
        (f"{DAY},manager_a,active,first_contacts,1,extra", "", "Expected 5 columns, found 6."),
    ],
)
def test_every_bad_row_is_named_and_nothing_is_written(manager_a, row, column, reason):
    manager_a.channels.set([channel("active"), channel("inbound")])
    data = csv_bytes(
        f"{DAY},manager_a,active,meetings_set,3",
        row.replace("FUTURE", future()),
        f"{DAY},manager_a,inbound,leads_received,2",
    )
    report = kpi_import(data, by=None)
    assert report.bad_rows == [BadRow(3, column, reason)]
    assert not DailyFact.objects.exists()
    assert not FactChange.objects.exists()


def test_the_same_key_twice_names_both_lines(manager_a):
    data = csv_bytes(
        f"{DAY},manager_a,active,first_contacts,1",
        f"{DAY},manager_a,active,meetings_set,1",
        f"{DAY},manager_a,active,first_contacts,2",
    )
    assert kpi_import(data, by=None).bad_rows == [BadRow(4, "", "Same value as line 2.")]


def test_rows_repeating_checked_fields_are_held_to_the_same_rules(manager_a, manager_b):
    """Rows whose date and cell an earlier row proved valid skip most checks; every other
    spelling, value and repeated key still gets the full check and the same messages."""
    data = csv_bytes(
        f"{DAY},manager_a,active,first_contacts,10",
        f"{DAY},manager_a,active,meetings_set,0012",  # checked fields again, another value
        f" {DAY} , manager_a ,active, first_contacts ,11",  # the key of line 2, padded
        f"{DAY},manager_a,active,first_contacts, 12",  # and once more, value padded
        f"{DAY},manager_a,active,revenue,1 234,5",  # quoted below: one field
        f"{DAY},manager_a,active,meetings_set,1.5",
        f"{DAY},manager_a,active,meetings_set,2147483648",
        f"{DAY},manager_a,active,revenue,1.505",
        f"{DAY},manager_a,active,revenue,1000000000000",
        f"{DAY},manager_a,inbound,payments_count,2.0",
    ).replace(b"1 234,5", b'"1 234,5"')
    report = kpi_import(data, by=None)
    assert report.rows == 10
    assert report.bad_rows == [
        BadRow(4, "", "Same value as line 2."),
        BadRow(5, "", "Same value as line 2."),
        BadRow(7, "value", "A count must be a whole number."),
        BadRow(8, "value", "The number is too large."),
        BadRow(9, "value", "Money has at most 2 decimal places."),
        BadRow(10, "value", "The amount is too large."),
    ]

    good = csv_bytes(
        f"{DAY},manager_a,active,first_contacts,10",
        f"{DAY},manager_a,active,meetings_set,0012",
        f"{DAY},manager_a,active,revenue,1 234,5",
        f"{DAY},manager_a,active,stage_x,1",  # unknown indicator, after known cells
        "2026-01-06,manager_a,active,first_contacts, 7 ",
        f"{DAY},manager_a,inbound,payments_count,2",
        f"{DAY},manager_a,inbound,revenue,100000000.00",
    ).replace(b"1 234,5", b'"1 234,5"')
    assert kpi_import(good, by=None).bad_rows == [
        BadRow(5, "indicator", "Unknown indicator “stage_x” for channel “active”.")
    ]
    report = kpi_import(good.replace(b"stage_x", b"invoiced_amount"), by=None, accept_unusual=True)
    assert report.ok
    assert (report.rows, report.changed) == (7, 7)
    counts, money = stored()
    assert counts == {
        (DAY, "manager_a", "active", "first_contacts"): 10,
        (DAY, "manager_a", "active", "meetings_set"): 12,
        ("2026-01-06", "manager_a", "active", "first_contacts"): 7,
    }
    assert money[(DAY, "manager_a", "active")] == (Decimal("1234.50"), 0)
    assert money[(DAY, "manager_a", "inbound")] == (Decimal("100000000.00"), 2)
    assert DailyFact.objects.get(channel__code="active", date=DAY).invoiced_amount == 1


def test_every_bad_row_of_a_file_is_reported_with_every_bad_column(manager_a):
    data = csv_bytes(
        f"{DAY},manager_a,active,first_contacts,1",
        "2026-99-01,ghost,active,first_contacts,x",
        f"{DAY},manager_a,active,first_contacts,5",
    )
    report = kpi_import(data, by=None)
    assert [(b.line, b.column) for b in report.bad_rows] == [
        (3, "date"),
        (3, "manager"),
        (3, "value"),
        (4, ""),
    ]
    assert report.rows == 3


def test_line_numbers_are_physical_lines_across_quoted_newlines(manager_a):
    data = (
        HEADER + f'{DAY},manager_a,active,first_contacts,"1"\n\n{DAY},"man\nager",active,x,1\n'
    ).encode()
    report = kpi_import(data, by=None)
    assert {b.line for b in report.bad_rows} == {5}


@pytest.mark.parametrize(
    ("data", "bad"),
    [
        (b"", BadRow(1, "", "The file is empty.")),
        (b"  \n", BadRow(1, "", "The file is empty.")),
        (
            b"day,user,channel,indicator,value\n",
            BadRow(
                1,
                "",
                "The first line must be: date,manager,channel,indicator,value — or, in the "
                "monthly template, start with “manager”.",
            ),
        ),
        (HEADER.encode(), BadRow(2, "", "The file has no rows to import.")),
        (
            # Not UTF-8, so read as Windows-1251: the row is then wrong for what it holds.
            HEADER.encode() + b"2026-01-05,manager_a,active,first_contacts,1\n\xff\xfe,x\n",
            BadRow(3, "", "Expected 5 columns, found 2."),
        ),
        (
            "date;manager;channel\n".encode("utf-16"),
            BadRow(1, "", "The file contains binary data; save it as CSV or XLSX."),
        ),
        (
            HEADER.encode() + b"2026-01-05,manager_a,\x00,first_contacts,1\n",
            BadRow(2, "", "The file contains binary data; save it as CSV or XLSX."),
        ),
    ],
)
def test_broken_files_are_rejected_with_a_reason(manager_a, data, bad):
    assert kpi_import(data, by=None).bad_rows == [bad]
    assert not DailyFact.objects.exists()


def test_head_imports_only_managers_of_their_own_teams(head1, manager_a, manager_b):
    data = csv_bytes(
        f"{DAY},manager_a,active,first_contacts,1",
        f"{DAY},manager_b,active,first_contacts,1",
    )
    report = kpi_import(data, by=head1)
    assert report.bad_rows == [
        BadRow(3, "manager", "Unknown manager “manager_b”, or not in your teams.")
    ]
    assert not DailyFact.objects.exists()
    assert kpi_import(data, by=manager_b.__class__.objects.get(username="head1")).bad_rows


def test_a_head_learns_nothing_about_people_outside_their_teams(head1, manager_a, manager_b):
    """Another team's manager, on a channel they do not work in, reads as an unknown name."""
    manager_b.channels.set([])
    data = csv_bytes(
        f"{DAY},manager_b,partner,first_contacts,1",
        f"{DAY},nobody_at_all,partner,first_contacts,1",
    )
    rows = [
        (r.column, r.reason.replace("manager_b", "X").replace("nobody_at_all", "X"))
        for r in kpi_import(data, by=head1).bad_rows
    ]
    assert rows[: len(rows) // 2] == rows[len(rows) // 2 :]
    assert ("manager", "Unknown manager “X”, or not in your teams.") in rows
    assert not any("report on channel" in message for _column, message in rows)


def test_director_imports_for_every_team_and_is_the_author(director, manager_a, manager_b):
    report = kpi_import(GOOD, by=director)
    assert report.ok
    assert set(FactChange.objects.values_list("changed_by__username", flat=True)) == {"director"}


def test_validation_costs_a_fixed_number_of_queries(manager_a, django_assert_num_queries):
    rows = [f"{DAY},manager_a,active,first_contacts,{i}" for i in range(300)]
    rows += [f"{DAY},ghost,active,first_contacts,1"]
    with django_assert_num_queries(5):  # with the maxima per day
        report = kpi_import(csv_bytes(*rows), by=None)
    assert len(report.bad_rows) == 300


def test_inactive_managers_past_data_can_still_be_imported(team1):
    make_user("left", team=team1, is_active=False)
    assert kpi_import(csv_bytes(f"{DAY},left,active,first_contacts,1"), by=None).ok


# ---- the command ----


def test_command_imports_and_prints_a_summary(manager_a, manager_b, tmp_path, capsys):
    path = tmp_path / "kpi.csv"
    path.write_bytes(GOOD)
    call_command("import_kpi", str(path))
    assert "5 rows: 5 values changed, 0 unchanged." in capsys.readouterr().out
    assert DailyCount.objects.count() == 3


def test_command_rejects_a_bad_file_listing_every_bad_line(manager_a, tmp_path, capsys):
    path = tmp_path / "kpi.csv"
    path.write_bytes(
        csv_bytes(
            f"{DAY},manager_a,active,first_contacts,-1",
            f"{DAY},manager_a,active,meetings_set,1",
            f"{DAY},ghost,active,meetings_set,1",
        )
    )
    with pytest.raises(CommandError, match="2 problems"):
        call_command("import_kpi", str(path))
    err = capsys.readouterr().err
    assert "line 2, value: The value cannot be negative." in err
    assert "line 4, manager: Unknown manager “ghost”, or not in your teams." in err
    assert not DailyFact.objects.exists()


def test_command_reports_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError):
        call_command("import_kpi", str(tmp_path / "missing.csv"))


def test_command_records_the_author_given_with_by(manager_a, head1, tmp_path):
    path = tmp_path / "kpi.csv"
    path.write_bytes(csv_bytes(f"{DAY},manager_a,active,first_contacts,1"))
    call_command("import_kpi", str(path), "--by", "head1")
    assert FactChange.objects.get().changed_by == head1


# ---- the upload page ----
