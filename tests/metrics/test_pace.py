"""Pace against plan, the "vs last year" range and sample sizes (docs/metrics.md), pinned
with exact values and properties."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.compute import working_days
from metrics.pace import (
    BEHIND,
    MIN_SAMPLE,
    a_year_before,
    expected_to_date,
    is_small_sample,
    pace,
    pace_status,
    year_ago,
)

MAR_2026 = dt.date(2026, 3, 1)  # a Sunday; 22 working days (2-6, 9-13, 16-20, 23-27, 30, 31)
MAR_END = dt.date(2026, 3, 31)
PLAN = {MAR_2026: Decimal(2200)}


def expected(as_of: dt.date, overrides=None, plans=PLAN, start=MAR_2026, end=MAR_END):
    return expected_to_date(plans, start, end, as_of=as_of, overrides=overrides or {})


def test_no_pace_until_a_working_day_has_passed():
    # On the month's first working day (Monday 2 March) nothing has elapsed yet: "—".
    assert expected(dt.date(2026, 3, 1)) is None
    assert expected(dt.date(2026, 3, 2)) is None
    # The day after it, one working day of 22 has passed: 2200 × 1 / 22.
    assert expected(dt.date(2026, 3, 3)) == Decimal(100)


def test_on_the_last_working_day_and_after_the_month():
    # As of Tuesday 31 March, 21 of 22 working days have passed.
    assert expected(dt.date(2026, 3, 31)) == Decimal(2100)
    # Once the period is over, the plan expects all of itself.
    assert expected(dt.date(2026, 4, 1)) == Decimal(2200)
    assert expected(dt.date(2027, 1, 1)) == Decimal(2200)


def test_a_holiday_leaves_the_month_with_fewer_working_days():
    # Monday 9 March a holiday: 21 working days; as of the 10th, 5 have passed (2-6).
    holiday = {dt.date(2026, 3, 9): False}
    assert expected(dt.date(2026, 3, 10), holiday) == Decimal(2200) * 5 / 21
    # Without it, 6 of 22.
    assert expected(dt.date(2026, 3, 10)) == Decimal(600)


def test_a_transferred_working_day_counts_as_one():
    # Saturday 7 March worked, Monday 9 a holiday: still 22 working days, and as of Sunday
    # the 8th six have passed (2-7) instead of five.
    moved = {dt.date(2026, 3, 7): True, dt.date(2026, 3, 9): False}
    assert expected(dt.date(2026, 3, 8), moved) == Decimal(600)
    assert expected(dt.date(2026, 3, 8)) == Decimal(500)


def test_a_period_across_months_expects_each_months_share():
    # 16 February – 15 March: February 2026 has 20 working days, of which 16-27 (10) are in
    # the period; as of 4 March, all 10 of them and 2-3 March (2 of 22) have passed.
    plans = {dt.date(2026, 2, 1): Decimal(2000), MAR_2026: Decimal(2200)}
    start, end = dt.date(2026, 2, 16), dt.date(2026, 3, 15)
    found = expected(dt.date(2026, 3, 4), plans=plans, start=start, end=end)
    assert found == Decimal(2000) * 10 / 20 + Decimal(2200) * 2 / 22


def test_a_period_in_the_future_has_no_pace():
    assert expected(dt.date(2026, 2, 20)) is None


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (Decimal("1.2"), "on_track"),
        (Decimal(1), "on_track"),
        (Decimal("0.9999"), "behind"),
        (BEHIND, "behind"),
        (Decimal("0.8999"), "far_behind"),
        (Decimal(0), "far_behind"),
        (None, None),
    ],
)
def test_pace_bands(value, status):
    assert pace_status(value) == status


@pytest.mark.parametrize(
    ("value", "status"),
    [(Decimal("0.5"), "on_track"), (Decimal(1), "on_track"), (Decimal("1.1"), "behind")]
    + [(Decimal("1.1001"), "far_behind")],
)
def test_where_less_is_better_the_bands_mirror(value, status):
    assert pace_status(value, higher_is_better=False) == status


def test_pace_is_done_over_expected_and_undefined_without_an_expectation():
    assert pace(Decimal(450), Decimal(500)) == Decimal("0.9")
    assert pace(Decimal(450), None) is None
    assert pace(Decimal(450), Decimal(0)) is None
    assert pace(None, Decimal(500)) is None


@pytest.mark.parametrize(
    ("current", "then"),
    [
        # A month in progress: 1-4 December 2026 holds 4 working days (Tuesday to Friday);
        # December 2025 starts on a Monday, its 4th working day is the 4th.
        (
            (dt.date(2026, 12, 1), dt.date(2026, 12, 4)),
            (dt.date(2025, 12, 1), dt.date(2025, 12, 4)),
        ),
        # 1-10 March 2026: 7 working days; March 2025's 7th is Tuesday the 11th.
        ((MAR_2026, dt.date(2026, 3, 10)), (dt.date(2025, 3, 1), dt.date(2025, 3, 11))),
        # A whole month: the whole month.
        ((dt.date(2026, 2, 1), dt.date(2026, 2, 28)), (dt.date(2025, 2, 1), dt.date(2025, 2, 28))),
        # Any other range: the same dates; 29 February becomes the 28th.
        (
            (dt.date(2026, 3, 15), dt.date(2026, 4, 14)),
            (dt.date(2025, 3, 15), dt.date(2025, 4, 14)),
        ),
        (
            (dt.date(2024, 2, 29), dt.date(2024, 2, 29)),
            (dt.date(2023, 2, 28), dt.date(2023, 2, 28)),
        ),
    ],
)
def test_vs_last_year_takes_the_same_working_days_of_the_same_month(current, then):
    assert year_ago(current, {}) == then


def test_vs_last_year_follows_the_holiday_list_of_that_year():
    # A holiday on 3 March 2025 moves the 7th working day of March 2025 to the 12th.
    holidays = {dt.date(2025, 3, 3): False}
    assert year_ago((MAR_2026, dt.date(2026, 3, 10)), holidays) == (
        dt.date(2025, 3, 1),
        dt.date(2025, 3, 12),
    )


def test_sample_size_minimum():
    assert is_small_sample(MIN_SAMPLE - 1)
    assert not is_small_sample(MIN_SAMPLE)
    assert is_small_sample(None)


months = st.dates(dt.date(2001, 1, 1), dt.date(2099, 12, 1)).map(lambda d: d.replace(day=1))
holidays = st.dictionaries(
    st.dates(dt.date(2001, 1, 1), dt.date(2099, 12, 31)), st.booleans(), max_size=8
)


@given(
    month=months,
    plan=st.decimals(0, 10**9, places=2),
    days=st.lists(st.integers(0, 45), min_size=2, max_size=2),
    overrides=holidays,
)
def test_expected_grows_with_the_days_up_to_the_whole_plan(month, plan, days, overrides):
    last = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    early, late = sorted(month + dt.timedelta(days=d) for d in days)
    first = expected_to_date({month: plan}, month, last, as_of=early, overrides=overrides)
    second = expected_to_date({month: plan}, month, last, as_of=late, overrides=overrides)
    for as_of, found in ((early, first), (late, second)):
        elapsed = working_days(month, min(last, as_of - dt.timedelta(days=1)), overrides)
        assert (found is None) == (elapsed == 0 or as_of <= month)
        if found is not None:
            assert 0 <= found <= plan
            if as_of > last:
                assert found == plan
    if first is not None:
        assert second is not None
        assert first <= second


@given(st.dates(dt.date(2001, 1, 1), dt.date(2099, 12, 31)))
def test_a_year_before_is_the_same_day_a_year_earlier(day):
    before = a_year_before(day)
    assert before.year == day.year - 1
    assert (before.month, before.day) == (day.month, day.day) or (day.month, day.day) == (2, 29)
