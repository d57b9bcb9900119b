from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from funnel.plausibility import hard_default, is_unusual, median, soft_limit


def test_defaults():
    assert hard_default(money=False) == 1000
    assert hard_default(money=True) == Decimal("100000000")


def test_median_of_no_days_is_zero_and_floor_decides():
    assert median([]) == 0
    assert soft_limit(median([]), money=False) == 20
    assert soft_limit(Decimal(0), money=True) == Decimal("500000")


def test_five_times_the_median_above_the_floor():
    assert median([3, 9, 6]) == 6
    assert median([2, 4, 6, 8]) == 5
    assert soft_limit(Decimal(6), money=False) == 30
    assert not is_unusual(30, Decimal(6), money=False)
    assert is_unusual(31, Decimal(6), money=False)
    assert not is_unusual(20, Decimal(1), money=False)
    assert is_unusual(21, Decimal(1), money=False)
    assert is_unusual(Decimal("2500000.01"), Decimal("500000"), money=True)


@given(st.lists(st.integers(0, 500), max_size=40), st.integers(0, 5000))
def test_unusual_exactly_above_the_limit(values, value):
    usual = median(values)
    assert is_unusual(value, usual, money=False) == (value > max(5 * usual, 20))
