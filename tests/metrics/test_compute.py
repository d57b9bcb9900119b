import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.compute import (
    MoneyMetrics,
    MoneySums,
    average_check,
    change,
    channel_metrics,
    fact_for_indicator,
    forecast,
    funnel_conversion,
    margin,
    money,
    months_in,
    plan_completion,
    previous_period,
    profitability,
    ratio,
    round_ratio,
    stage_conversions,
    valuable_final_product,
    working_days,
)

D = Decimal
# March 2026: the 1st is a Sunday; 22 weekdays. The 9th (Monday) is a holiday and
# Saturday the 7th a transferred working day, so the month still has 22 working days.
HOLIDAY, WORKED_SATURDAY = dt.date(2026, 3, 9), dt.date(2026, 3, 7)
CALENDAR = {HOLIDAY: False, WORKED_SATURDAY: True}
MARCH = dt.date(2026, 3, 1)


def test_ratio_of_anything_over_zero_is_undefined():
    assert ratio(5, 0) is None
    assert ratio(D("5.00"), D("0.00")) is None
    assert ratio(1, 4) == D("0.25")


def test_the_first_stage_has_no_conversion_and_the_others_divide_by_the_previous():
    assert stage_conversions([40, 10, 4]) == [None, D("0.25"), D("0.4")]


def test_a_stage_after_a_zero_stage_has_no_conversion():
    assert stage_conversions([20, 0, 0, 1]) == [None, D(0), None, None]


def test_conversion_above_one_hundred_percent_is_kept_as_it_is():
    # 7 invoices from 6 contracts: one contract was agreed in the previous period.
    assert stage_conversions([6, 7])[1] == D(7) / D(6)
    assert round_ratio(stage_conversions([6, 7])[1]) == D("1.1667")


def test_funnel_conversion_is_won_over_first_and_undefined_without_a_first_stage():
    assert funnel_conversion([60, 15, 4]) == D(4) / D(60)
    assert funnel_conversion([0, 3, 1]) is None
    assert funnel_conversion([]) is None


@pytest.mark.parametrize(
    ("revenue", "payments", "expected"),
    [
        ("100.00", 3, D("33.33")),  # 33.333… rounds down
        ("0.05", 2, D("0.03")),  # 0.025 rounds half-up
        ("0.01", 2, D("0.01")),  # 0.005 rounds half-up
        ("200.00", 3, D("66.67")),
        ("150000.01", 3, D("50000.00")),
    ],
)
def test_average_check_is_rounded_half_up_to_the_kopeck(revenue, payments, expected):
    assert average_check(D(revenue), payments) == expected


def test_average_check_is_undefined_without_payments():
    assert average_check(D("100.00"), 0) is None


def test_money_rounds_half_up():
    assert money(D("100.00") / 3) == D("33.33")
    assert money(D("0.005")) == D("0.01")
    assert money(D("-0.005")) == D("-0.01")


def test_ratios_round_half_up_to_four_places_only_for_display():
    assert round_ratio(D("0.66665")) == D("0.6667")
    assert round_ratio(D("0.00005")) == D("0.0001")
    assert round_ratio(None) is None


def test_margin_and_profitability_may_be_negative():
    assert margin(D("100.00"), D("130.00")) == D("-30.00")
    assert profitability(D("100.00"), D("130.00")) == D("-0.3")


def test_profitability_is_undefined_at_zero_revenue_even_with_costs():
    assert profitability(D("0.00"), D("12.34")) is None
    assert margin(D("0.00"), D("12.34")) == D("-12.34")


def test_plan_completion_is_fact_over_plan_and_undefined_without_a_plan():
    assert plan_completion(D("150.00"), D("100.00")) == D("1.5")
    assert plan_completion(60, None) is None
    assert plan_completion(60, D(0)) is None


def test_change_against_the_previous_period():
    assert change(D("120.00"), D("100.00")) == D("0.2")
    assert change(D("80.00"), D("100.00")) == D("-0.2")
    assert change(D("50.00"), D("0.00")) is None
    # A negative margin improving from -100 to -50 is a rise of 50 %.
    assert change(D("-50.00"), D("-100.00")) == D("0.5")


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        (dt.date(2026, 3, 1), dt.date(2026, 3, 31), (dt.date(2026, 1, 29), dt.date(2026, 2, 28))),
        (dt.date(2026, 3, 2), dt.date(2026, 3, 8), (dt.date(2026, 2, 23), dt.date(2026, 3, 1))),
        (dt.date(2026, 1, 1), dt.date(2026, 1, 1), (dt.date(2025, 12, 31), dt.date(2025, 12, 31))),
    ],
)
def test_previous_period_has_the_same_length_and_ends_the_day_before(date_from, date_to, expected):
    assert previous_period(date_from, date_to) == expected


def test_months_in_a_range_are_their_first_days():
    assert months_in(dt.date(2025, 12, 15), dt.date(2026, 2, 1)) == [
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
    ]
    assert months_in(dt.date(2026, 3, 5), dt.date(2026, 3, 1)) == []


def test_working_days_skip_weekends_and_holidays_and_count_transferred_days():
    assert working_days(MARCH, dt.date(2026, 3, 31), {}) == 22
    assert working_days(MARCH, dt.date(2026, 3, 31), {HOLIDAY: False}) == 21
    assert working_days(MARCH, dt.date(2026, 3, 31), CALENDAR) == 22
    assert working_days(MARCH, dt.date(2026, 3, 10), CALENDAR) == 7
    assert working_days(dt.date(2026, 3, 5), dt.date(2026, 3, 4), {}) == 0


def test_forecast_runs_the_rate_over_working_days_with_a_holiday_and_a_transferred_day():
    # Elapsed to the 10th: 2, 3, 4, 5, 6, Saturday 7, (holiday 9), 10 = 7 of 22 days.
    assert forecast(60, month=MARCH, as_of=dt.date(2026, 3, 10), overrides=CALENDAR) == (
        D(60) * 22 / 7
    )
    assert money(
        forecast(D("150000.01"), month=MARCH, as_of=dt.date(2026, 3, 10), overrides=CALENDAR)
    ) == (D("471428.60"))
    # Without the calendar the 9th counts and the 7th does not: 7 of 22 all the same.
    assert forecast(70, month=MARCH, as_of=dt.date(2026, 3, 10), overrides={}) == D(220)


def test_forecast_is_undefined_before_any_working_day():
    # Sunday the 1st: nothing elapsed yet.
    assert forecast(5, month=MARCH, as_of=dt.date(2026, 3, 1), overrides={}) is None
    # A holiday on the only weekday elapsed.
    holiday_first = {dt.date(2026, 6, 1): False}
    june = dt.date(2026, 6, 1)
    assert forecast(5, month=june, as_of=june, overrides=holiday_first) is None


def test_forecast_of_a_month_not_started_is_undefined_and_of_a_finished_month_is_its_fact():
    assert forecast(5, month=MARCH, as_of=dt.date(2026, 2, 27), overrides={}) is None
    assert forecast(5, month=MARCH, as_of=dt.date(2026, 3, 31), overrides={}) == D(5)
    assert forecast(5, month=MARCH, as_of=dt.date(2026, 4, 2), overrides={}) == D(5)


def test_forecast_of_a_period_starting_mid_month_counts_from_its_start():
    # 16th (Mon) to 18th: 3 of the 12 working days from the 16th to the 31st.
    assert forecast(
        9, month=MARCH, as_of=dt.date(2026, 3, 18), overrides={}, start=dt.date(2026, 3, 16)
    ) == D(36)


def test_channel_metrics_put_stage_counts_conversions_and_money_together():
    metrics = channel_metrics(
        stage_counts=[("leads_received", 50), ("qualified_leads", 30), ("invoices_issued", 0)],
        activity_counts=[],
        sums=MoneySums(D("500.00"), 3, D("100.00"), D("130.00")),
    )
    assert [(s.code, s.count, s.conversion) for s in metrics.stages] == [
        ("leads_received", 50, None),
        ("qualified_leads", 30, D("0.6")),
        ("invoices_issued", 0, D(0)),
    ]
    assert metrics.funnel_conversion == D(0)
    assert metrics.money == MoneyMetrics(
        invoiced_amount=D("500.00"),
        payments_count=3,
        revenue=D("100.00"),
        average_check=D("33.33"),
        variable_costs=D("130.00"),
        margin=D("-30.00"),
        profitability=D("-0.3"),
    )


def test_money_metrics_of_nothing_are_zeros_and_undefined_ratios():
    metrics = MoneyMetrics.from_sums(MoneySums())
    assert (metrics.revenue, metrics.margin, metrics.payments_count) == (D("0.00"), D("0.00"), 0)
    assert (metrics.average_check, metrics.profitability) == (None, None)


def test_fact_for_a_plan_indicator_is_a_count_or_a_money_figure():
    sums = MoneySums(D("10.00"), 2, D("100.50"), D("40.25"))
    counts = {"first_contacts": 7}
    assert fact_for_indicator("revenue", counts=counts, sums=sums) == D("100.50")
    assert fact_for_indicator("margin", counts=counts, sums=sums) == D("60.25")
    assert fact_for_indicator("payments_count", counts=counts, sums=sums) == 2
    assert fact_for_indicator("first_contacts", counts=counts, sums=sums) == 7
    assert fact_for_indicator("meetings_set", counts=counts, sums=sums) == 0


def test_valuable_final_product_is_growth_and_margin_after_expenses_and_reserves():
    product = valuable_final_product(
        month=dt.date(2026, 3, 17),
        revenue=D("1200000.00"),
        previous_revenue=D("1000000.00"),
        variable_costs=D("450000.00"),
        expenses=D("500000.00"),
        reserves=D("100000.00"),
    )
    assert product.month == MARCH
    assert product.revenue_growth == D("0.2")
    assert product.margin == D("750000.00")
    # 750 000 − (500 000 + 100 000) = 150 000.
    assert product.result == D("150000.00")


def test_valuable_final_product_without_a_previous_month_or_expenses_is_partly_undefined():
    product = valuable_final_product(
        month=MARCH,
        revenue=D("100.00"),
        previous_revenue=D("0.00"),
        variable_costs=D("20.00"),
        expenses=None,
        reserves=None,
    )
    assert (product.revenue_growth, product.expenses, product.result) == (None, None, None)
    assert product.margin == D("80.00")


def test_valuable_final_product_falls_below_zero_when_expenses_exceed_the_margin():
    product = valuable_final_product(
        month=MARCH,
        revenue=D("100.00"),
        previous_revenue=D("200.00"),
        variable_costs=D("20.00"),
        expenses=D("90.00"),
        reserves=D("0.00"),
    )
    assert (product.revenue_growth, product.result) == (D("-0.5"), D("-10.00"))


counts_lists = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=6)


@settings(max_examples=50, deadline=None)
@given(counts=counts_lists, factor=st.integers(min_value=1, max_value=1000))
def test_conversions_do_not_change_when_every_count_is_multiplied_by_the_same_factor(
    counts, factor
):
    scaled = [c * factor for c in counts]
    assert stage_conversions(scaled) == stage_conversions(counts)
    assert funnel_conversion(scaled) == funnel_conversion(counts)


kopecks = st.integers(min_value=0, max_value=10**11).map(lambda k: D(k) / 100)


@settings(max_examples=50, deadline=None)
@given(rows=st.lists(st.tuples(kopecks, kopecks), max_size=40))
def test_margin_of_summed_rows_equals_the_sum_of_row_margins_to_the_kopeck(rows):
    revenue = sum((r for r, _c in rows), D(0))
    costs = sum((c for _r, c in rows), D(0))
    assert margin(revenue, costs) == sum((margin(r, c) for r, c in rows), D("0.00"))
