"""The review flags' rules (metrics.review), on plain rows: exact values per rule, and
hypothesis: clean generated data raises no flag, one injected anomaly raises only its own."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.review import (
    Change,
    ChannelInfo,
    Fact,
    Kind,
    ReviewData,
    detect,
    late_edit_flags,
    month_end_days,
    month_end_flags,
    repeated_flags,
    stage_order_flags,
    unusual_flags,
    zero_flags,
)

D = Decimal
STAGES = ("s1", "s2", "s3", "s4")
CHANNELS = {1: ChannelInfo(1, "active", STAGES)}
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
WORKING = [
    dt.date(2026, 3, d) for d in range(1, 32) if dt.date(2026, 3, d).weekday() < 5
]  # 22 working days, Monday 2 – Tuesday 31 March


def fact(day, manager=1, **values):
    return Fact(manager, 1, day, {k: D(v) for k, v in values.items()})


# --- each rule, exact values --------------------------------------------------------------


def test_unusual_is_above_five_times_the_median_or_the_floor():
    history = [fact(WORKING[i], s1=10) for i in range(5)] + [fact(WORKING[5], s1=12)]
    today = WORKING[6]
    # The median of 10, 10, 10, 10, 10, 12 is 10: the limit is 50; 50 passes, 51 is flagged.
    assert unusual_flags([*history, fact(today, s1=50)], CHANNELS, *MARCH, {}) == []
    (flag,) = unusual_flags([*history, fact(today, s1=51)], CHANNELS, *MARCH, {})
    assert (flag.kind, flag.date_from, flag.code, flag.value, flag.reference) == (
        Kind.UNUSUAL,
        today,
        "s1",
        D(51),
        D(50),
    )
    # Without history the floor decides: 20 for a count, 500 000.00 for money.
    assert unusual_flags([fact(today, s1=20, revenue="500000")], CHANNELS, *MARCH, {}) == []
    flags = unusual_flags([fact(today, s1=21, revenue="500000.01")], CHANNELS, *MARCH, {})
    assert sorted((f.code, f.reference) for f in flags) == [
        ("revenue", D("500000")),
        ("s1", D(20)),
    ]


def test_unusual_reads_only_the_working_days_of_the_ninety_days_before():
    day = dt.date(2026, 6, 10)
    old = fact(day - dt.timedelta(days=91), s1=100)  # out of the 90 days
    weekend = fact(dt.date(2026, 6, 6), s1=100)  # a Saturday
    inside = fact(day - dt.timedelta(days=1), s1=4)
    flags = unusual_flags([old, weekend, inside, fact(day, s1=21)], CHANNELS, day, day, {})
    assert [(f.value, f.reference) for f in flags] == [(D(21), D(20))]


def test_repeated_needs_five_working_days_in_a_row_with_the_same_stages():
    same = {"s1": 5, "s2": 2, "s3": 1, "s4": 0}
    # Friday 6 – Thursday 12 March: the weekend between does not break the run.
    days = WORKING[4:9]
    facts = [fact(d, **same) for d in days]
    (flag,) = repeated_flags(facts, CHANNELS, *MARCH, {})
    assert (flag.date_from, flag.date_to, flag.value) == (days[0], days[-1], D(5))
    assert repeated_flags(facts[:4], CHANNELS, *MARCH, {}) == []
    # A working day without a report breaks it; all zeros is another rule.
    assert repeated_flags(facts[:2] + facts[3:], CHANNELS, *MARCH, {}) == []
    zeros = [fact(d, s1=0) for d in days]
    assert repeated_flags(zeros, CHANNELS, *MARCH, {}) == []
    # Money may change: only the stage counts are compared.
    varied = [fact(d, revenue=i, **same) for i, d in enumerate(days)]
    assert len(repeated_flags(varied, CHANNELS, *MARCH, {})) == 1


def test_zeros_is_a_reported_day_with_every_value_zero_on_every_channel():
    day = WORKING[0]
    assert [f.date_from for f in zero_flags([fact(day, s1=0, revenue=0)], *MARCH)] == [day]
    other = Fact(1, 2, day, {"s1": D(3)})
    assert zero_flags([fact(day, s1=0), other], *MARCH) == []


def test_stage_order_compares_the_period_sums():
    facts = [fact(WORKING[0], s1=5, s2=6), fact(WORKING[1], s1=3, s2=1, s3=3)]
    # s2: 7 ≤ 8; s3: 3 > s2's 7? no. Then s4 0.
    assert stage_order_flags(facts, CHANNELS, *MARCH) == []
    facts.append(fact(WORKING[2], s1=0, s2=2))
    (flag,) = stage_order_flags(facts, CHANNELS, *MARCH)
    assert (flag.code, flag.value, flag.reference) == ("s2", D(9), D(8))
    assert (flag.date_from, flag.date_to) == MARCH


def change(day, on, *, leader=True, old=1, new=2, code="s1", manager=1):
    return Change(manager, 1, day, code, None if old is None else D(old), D(new), leader, on)


def test_late_edit_is_a_leaders_change_once_the_window_closed():
    day = WORKING[0]  # Monday 2 March; a 7-day window closes after Sunday 8 March
    in_window = change(day, dt.date(2026, 3, 8))
    late = change(day, dt.date(2026, 3, 9), new=5)
    by_manager = change(day, dt.date(2026, 3, 20), leader=False)
    assert late_edit_flags([in_window, by_manager], CHANNELS, *MARCH, 7) == []
    (flag,) = late_edit_flags([in_window, late, by_manager], CHANNELS, *MARCH, 7)
    assert (flag.kind, flag.date_from, flag.code, flag.value, flag.reference) == (
        Kind.LATE_EDIT,
        day,
        "s1",
        D(5),
        D(1),
    )


def test_month_end_is_over_a_fifth_of_the_months_value_changed_in_its_last_two_days():
    assert month_end_days(dt.date(2026, 3, 1), {}) == [dt.date(2026, 3, 30), dt.date(2026, 3, 31)]
    # A holiday on the 31st moves the window to the 27th and 30th.
    assert month_end_days(dt.date(2026, 3, 1), {dt.date(2026, 3, 31): False}) == [
        dt.date(2026, 3, 27),
        dt.date(2026, 3, 30),
    ]
    facts = [fact(d, s1=10) for d in WORKING]  # 220 in March
    on = dt.date(2026, 3, 30)
    # 44 of 220 is exactly 20 %: not flagged; 45 is.
    edits = [change(WORKING[0], on, old=0, new=40), change(WORKING[1], on, old=10, new=6)]
    assert month_end_flags(facts, edits, CHANNELS, *MARCH, {}) == []
    edits.append(change(WORKING[2], on, old=None, new=1))
    (flag,) = month_end_flags(facts, edits, CHANNELS, *MARCH, {})
    assert (flag.date_from, flag.date_to, flag.value, flag.reference) == (*MARCH, D(45), D(220))
    # Entering the last two days themselves, or editing earlier, is not weighed.
    normal = [change(WORKING[-1], on, old=None, new=100), change(WORKING[0], WORKING[5], new=99)]
    assert month_end_flags(facts, normal, CHANNELS, *MARCH, {}) == []


def test_out_of_scope_days_are_history_only():
    day = WORKING[0]
    hidden = replace(fact(day, s1=0), in_scope=False)
    assert zero_flags([hidden], *MARCH) == []
    assert unusual_flags([hidden], CHANNELS, *MARCH, {}) == []


# --- generated data -----------------------------------------------------------------------

stage_days = st.lists(
    st.tuples(
        st.integers(2, 20),  # s1
        st.integers(0, 19),
        st.integers(0, 19),
        st.integers(0, 19),
        st.integers(0, 1000),  # revenue
    ),
    min_size=len(WORKING),
    max_size=len(WORKING),
)


@st.composite
def clean_data(draw):
    """Up to three managers reporting every working day of March: counts at most 20 (below
    the floor), each stage below the one before, the first stage never the same two days in
    a row, every value entered by the manager on its own day."""
    facts, changes = [], []
    for manager in range(1, draw(st.integers(1, 3)) + 1):
        previous = None
        for day, (s1, s2, s3, s4, revenue) in zip(WORKING, draw(stage_days), strict=True):
            if s1 == previous:
                s1 = s1 + 1 if s1 < 20 else s1 - 1
            previous = s1
            s2 = min(s2, s1 - 1)
            s3, s4 = min(s3, s2), min(s4, s2, s3)
            values = {"s1": s1, "s2": s2, "s3": s3, "s4": s4, "revenue": revenue}
            facts.append(fact(day, manager, **values))
            changes += [
                change(day, day, leader=False, old=None, new=v, code=c, manager=manager)
                for c, v in values.items()
            ]
    return facts, changes


def kinds(facts, changes) -> set[str]:
    return {f.kind for f in detect(ReviewData(*MARCH, facts, changes, CHANNELS))}


def _replace_values(facts, manager, index, **values):
    days = [i for i, f in enumerate(facts) if f.manager_id == manager]
    at = days[index]
    facts[at] = replace(facts[at], values={**facts[at].values, **values})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=clean_data(), pick=st.data())
def test_clean_data_raises_no_flag_and_each_anomaly_only_its_own(data, pick):
    facts, changes = data
    assert kinds(facts, changes) == set()
    manager = pick.draw(st.sampled_from(sorted({f.manager_id for f in facts})))
    index = pick.draw(st.integers(0, len(WORKING) - 5))
    mine = [f for f in facts if f.manager_id == manager]

    unusual = list(facts)
    _replace_values(unusual, manager, index, s1=D(1000))
    assert kinds(unusual, changes) == {Kind.UNUSUAL}

    repeated = list(facts)
    for step in range(1, 5):
        _replace_values(repeated, manager, index + step, **mine[index].values)
    assert kinds(repeated, changes) == {Kind.REPEATED}

    zeros = list(facts)
    _replace_values(zeros, manager, index, **dict.fromkeys(mine[index].values, D(0)))
    assert kinds(zeros, changes) == {Kind.ZEROS}

    swapped = [
        replace(f, values={**f.values, "s1": f.values["s2"], "s2": f.values["s1"]})
        if f.manager_id == manager
        else f
        for f in facts
    ]
    assert kinds(swapped, changes) == {Kind.STAGE_ORDER}

    day = WORKING[index]
    late = change(day, day + dt.timedelta(days=7), manager=manager, old=3, new=3)
    assert kinds(facts, [*changes, late]) == {Kind.LATE_EDIT}

    closing = month_end_days(MARCH[0], {})[0]
    backfill = [
        change(f.day, closing, leader=False, old=None, new=f.values["s1"], manager=manager)
        for f in mine
        if f.day < closing
    ]
    assert kinds(facts, [*changes, *backfill]) == {Kind.MONTH_END}
