"""The per-manager pivot (funnel.summaries): buckets that cover any range exactly, and rows kept
equal to the facts when the admin changes a channel's stages."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from funnel.catalogue import catalogue
from funnel.models import Indicator, ManagerTotal
from funnel.summaries import buckets as pivot
from tests.factories import channel, write_fact
from tests.funnel.test_totals import assert_totals_exact

DAY = dt.date(2026, 11, 2)  # a Monday


def days_of(period: int, start: dt.date) -> list[dt.date]:
    end = {
        pivot.DAY: start,
        pivot.HALF: pivot.half_end(start),
        pivot.WEEK: pivot.week_end(start),
        pivot.MONTH: pivot.month_end(start),
    }[period]
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def test_buckets_of_a_day():
    # Sunday 1 November 2026: its week began in October, so its week part starts on the 1st.
    assert pivot.buckets(dt.date(2026, 11, 1)) == (
        (pivot.DAY, dt.date(2026, 11, 1)),
        (pivot.HALF, dt.date(2026, 11, 1)),
        (pivot.WEEK, dt.date(2026, 11, 1)),
        (pivot.MONTH, dt.date(2026, 11, 1)),
    )
    # Thursday 5 November: the half from Thursday, the week from Monday the 2nd.
    assert pivot.buckets(dt.date(2026, 11, 5))[1:3] == (
        (pivot.HALF, dt.date(2026, 11, 5)),
        (pivot.WEEK, dt.date(2026, 11, 2)),
    )
    assert pivot.buckets(dt.date(2026, 11, 4))[1] == (pivot.HALF, dt.date(2026, 11, 2))
    assert pivot.half_end(dt.date(2026, 11, 2)) == dt.date(2026, 11, 4)
    assert pivot.half_end(dt.date(2026, 11, 26)) == dt.date(2026, 11, 29)
    assert pivot.half_end(dt.date(2026, 9, 28)) == dt.date(2026, 9, 30)  # the month ends
    assert pivot.week_end(dt.date(2026, 10, 26)) == dt.date(2026, 11, 1) - dt.timedelta(days=1)


def test_a_year_is_mostly_months():
    covered = pivot.cover(dt.date(2025, 11, 27), dt.date(2026, 11, 26))
    assert covered[pivot.MONTH] == [dt.date(2025, 12, 1)] + [
        dt.date(2026, m, 1) for m in range(1, 11)
    ]
    # Thu 27 – Sun 30 Nov 2025 is the second half of a week. Sunday 1 Nov 2026 is a whole
    # week part (its week began in October), then three whole weeks, then Mon 23 – Wed 25
    # (a half) and Thursday 26 (a day).
    assert covered[pivot.WEEK] == [dt.date(2026, 11, d) for d in (1, 2, 9, 16)]
    assert covered[pivot.HALF] == [dt.date(2025, 11, 27), dt.date(2026, 11, 23)]
    assert covered[pivot.DAY] == [dt.date(2026, 11, 26)]


@given(
    start=st.dates(dt.date(2023, 1, 1), dt.date(2027, 12, 31)),
    length=st.integers(0, 800),
)
def test_cover_takes_every_day_of_the_range_exactly_once(start, length):
    end = start + dt.timedelta(days=length)
    covered = pivot.cover(start, end)
    days = [day for period, starts in covered.items() for s in starts for day in days_of(period, s)]
    assert sorted(days) == [start + dt.timedelta(days=n) for n in range(length + 1)]
    # Each bucket is one a write adds to: its start is what `buckets` gives its days.
    for period, starts in covered.items():
        for s in starts:
            assert all(dict(pivot.buckets(day))[period] == s for day in days_of(period, s))
    # Bounded, whatever the length: three days at most at each end of the two partial
    # months, one or two halves and a few weeks beside them.
    assert len(covered[pivot.DAY]) <= 12
    assert len(covered[pivot.HALF]) <= 4


def stage(code: str) -> Indicator:
    return Indicator.objects.get(channel=channel("active"), code=code)


def test_a_write_fills_the_day_week_and_month_rows(manager_a):
    write_fact(manager_a, "active", DAY, first_contacts=10, meetings_set=4, revenue="12.34")
    write_fact(manager_a, "active", DAY + dt.timedelta(days=1), first_contacts=5)
    rows = {
        (r.period, r.start): (r.stage_1, r.stage_2, r.revenue)
        for r in ManagerTotal.objects.filter(manager=manager_a)
    }
    positions = catalogue().stage_positions([channel("active").pk])
    assert positions[(channel("active").pk, "first_contacts")] == 0
    assert positions[(channel("active").pk, "meetings_set")] == 1
    assert rows[(pivot.DAY, DAY)][0] == 10
    assert rows[(pivot.HALF, DAY)][0] == 15  # Monday and Tuesday
    assert rows[(pivot.WEEK, DAY)][0] == 15
    assert rows[(pivot.MONTH, DAY.replace(day=1))] == (15, 4, 1234)
    assert_totals_exact()


def test_reordering_the_stages_rebuilds_the_channels_rows(manager_a):
    write_fact(manager_a, "active", DAY, first_contacts=10, meetings_set=4)
    first = stage("first_contacts")
    first.order = 99  # now the last stage
    first.save()
    row = ManagerTotal.objects.get(manager=manager_a, period=pivot.DAY, start=DAY)
    positions = catalogue().stage_positions([first.channel_id])
    assert positions[(first.channel_id, "first_contacts")] == len(positions) - 1
    assert getattr(row, f"stage_{len(positions)}") == 10
    assert_totals_exact()


def test_turning_an_activity_into_a_stage_brings_its_counts_in(manager_a):
    activity = Indicator.objects.filter(channel=channel("active"), kind="activity").first()
    write_fact(manager_a, "active", DAY, **{activity.code: 7})
    assert not ManagerTotal.objects.exclude(stage_1=0).exists()
    stages = Indicator.objects.filter(channel=channel("active"), kind="stage")
    last = stages.order_by("-order", "-id").first()
    last.kind = "activity"  # six stages at most
    last.save()
    activity.kind = "stage"
    activity.order = 0
    activity.save()
    assert_totals_exact()
    assert ManagerTotal.objects.filter(manager=manager_a).exclude(stage_1=0).exists()


def test_verify_reports_a_damaged_pivot_and_rebuild_repairs_it(manager_a):
    write_fact(manager_a, "active", DAY, first_contacts=10)
    ManagerTotal.objects.filter(period=pivot.MONTH).update(stage_1=11)
    out = StringIO()
    with pytest.raises(CommandError, match="differences"):
        call_command("totals_verify", stdout=out)
    assert "stage_1" in out.getvalue()
    call_command("totals_rebuild", stdout=StringIO())
    assert_totals_exact()
