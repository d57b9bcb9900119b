import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.compute import (
    Comparison,
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
    month_bounds,
    months_in,
    period_forecast,
    plan_completion,
    previous_period,
    profitability,
    prorated_expenses,
    prorated_plan,
    ratio,
    round_ratio,
    run_rate_days,
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
OCT = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
NOV = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
OCT_15, NOV_14 = dt.date(2026, 10, 15), dt.date(2026, 11, 14)


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


def test_previous_period_of_a_whole_past_month_is_the_whole_previous_month():
    # November 2026 seen on 6 December: the whole of October.
    assert previous_period(NOV[0], NOV[1], as_of=dt.date(2026, 12, 6), overrides={}) == (
        Comparison(NOV, OCT)
    )
    # March 2026 against February's 28 days, not the 31 days before March.
    march = (MARCH, dt.date(2026, 3, 31))
    assert previous_period(*march, as_of=dt.date(2026, 4, 1), overrides={}) == Comparison(
        march, (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    )


@pytest.mark.parametrize("date_to", [dt.date(2026, 12, 6), dt.date(2026, 12, 31)])
def test_previous_period_of_a_month_in_progress_compares_its_first_k_working_days(date_to):
    # As of Sunday 6 December 2026: 1-4 December are k = 4 working days (Tue-Fri), the
    # compared part is 1-5 December (Saturday the 5th included); November's first 4
    # working days end on Thursday the 5th (Monday the 2nd is its first).
    comparison = previous_period(
        dt.date(2026, 12, 1), date_to, as_of=dt.date(2026, 12, 6), overrides={}
    )
    assert comparison == Comparison(
        (dt.date(2026, 12, 1), dt.date(2026, 12, 5)), (dt.date(2026, 11, 1), dt.date(2026, 11, 5))
    )
    assert working_days(*comparison.previous, {}) == 4


def test_previous_period_of_a_month_in_progress_follows_the_holiday_list():
    # A holiday on Monday 2 November pushes the 4th working day to Friday the 6th; a worked
    # Saturday 5 December makes k = 5 as of Monday the 7th.
    overrides = {dt.date(2026, 11, 2): False, dt.date(2026, 12, 5): True}
    comparison = previous_period(
        dt.date(2026, 12, 1), dt.date(2026, 12, 31), as_of=dt.date(2026, 12, 7), overrides=overrides
    )
    assert comparison.previous == (dt.date(2026, 11, 1), dt.date(2026, 11, 9))
    assert working_days(*comparison.previous, overrides) == 5


def test_previous_period_with_no_working_day_elapsed_is_undefined():
    # k = 0: Tuesday 1 December 2026 itself, or a month starting on a weekend.
    assert (
        previous_period(
            dt.date(2026, 12, 1), dt.date(2026, 12, 31), as_of=dt.date(2026, 12, 1), overrides={}
        )
        is None
    )
    assert previous_period(
        MARCH, dt.date(2026, 3, 31), as_of=dt.date(2026, 3, 2), overrides={}
    ) is (None)


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        (dt.date(2026, 3, 2), dt.date(2026, 3, 8), (dt.date(2026, 2, 23), dt.date(2026, 3, 1))),
        (dt.date(2026, 1, 1), dt.date(2026, 1, 1), (dt.date(2025, 12, 31), dt.date(2025, 12, 31))),
        # 15 Oct - 14 Nov 2026: 31 days, the 31 days before.
        (OCT_15, NOV_14, (dt.date(2026, 9, 14), dt.date(2026, 10, 14))),
    ],
)
def test_previous_period_of_another_past_range_has_the_same_length_and_ends_the_day_before(
    date_from, date_to, expected
):
    comparison = previous_period(date_from, date_to, as_of=dt.date(2026, 12, 6), overrides={})
    assert comparison == Comparison((date_from, date_to), expected)


def test_previous_period_of_a_range_holding_as_of_compares_its_elapsed_part():
    # 15 November - 14 December 2026 as of 6 December: 15 Nov - 5 Dec holds 15 working
    # days; the shortest range ending 14 November with 15 working days starts Monday the
    # 26th of October (26-30 Oct, 2-6 and 9-13 Nov).
    comparison = previous_period(
        dt.date(2026, 11, 15), dt.date(2026, 12, 14), as_of=dt.date(2026, 12, 6), overrides={}
    )
    assert comparison == Comparison(
        (dt.date(2026, 11, 15), dt.date(2026, 12, 5)),
        (dt.date(2026, 10, 26), dt.date(2026, 11, 14)),
    )
    assert working_days(*comparison.current, {}) == working_days(*comparison.previous, {}) == 15
    # Nothing elapsed yet on its first day.
    assert (
        previous_period(
            dt.date(2026, 11, 15), dt.date(2026, 12, 14), as_of=dt.date(2026, 11, 15), overrides={}
        )
        is None
    )


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
    # As of the 11th, elapsed before it: 2, 3, 4, 5, 6, Saturday 7, (holiday 9), 10 = 7 of 22.
    assert forecast(60, month=MARCH, as_of=dt.date(2026, 3, 11), overrides=CALENDAR) == (
        D(60) * 22 / 7
    )
    assert money(
        forecast(D("150000.01"), month=MARCH, as_of=dt.date(2026, 3, 11), overrides=CALENDAR)
    ) == (D("471428.60"))
    # Without the calendar the 9th counts and the 7th does not: 7 of 22 all the same.
    assert forecast(70, month=MARCH, as_of=dt.date(2026, 3, 11), overrides={}) == D(220)


DECEMBER = dt.date(2026, 12, 1)  # a Tuesday; 23 working days


def test_forecast_is_as_of_the_end_of_the_previous_day_sunday_and_monday_agree():
    # Facts of 1-6 December 2026, nothing new reported on Sunday: as of Sunday the 6th and
    # of Monday the 7th, 4 working days have passed (Tue 1 - Fri 4) of 23.
    fact = D("8903042.00")
    for as_of in (dt.date(2026, 12, 6), dt.date(2026, 12, 7)):
        assert run_rate_days(month=DECEMBER, as_of=as_of, overrides={}) == (4, 23)
        # 8 903 042.00 × 23 / 4 = 51 192 491.5 exactly: ,50 (never ,51).
        assert money(forecast(fact, month=DECEMBER, as_of=as_of, overrides={})) == D("51192491.50")
    # Tuesday the 8th: Monday has passed too.
    assert run_rate_days(month=DECEMBER, as_of=dt.date(2026, 12, 8), overrides={}) == (5, 23)


def test_forecast_on_the_first_working_day_is_undefined():
    assert forecast(5, month=DECEMBER, as_of=DECEMBER, overrides={}) is None
    assert forecast(5, month=DECEMBER, as_of=dt.date(2026, 12, 2), overrides={}) == D(115)


def test_forecast_counts_a_transferred_working_saturday():
    # Saturday 5 December worked: as of Monday the 7th, 5 of 24 working days have passed.
    worked = {dt.date(2026, 12, 5): True}
    assert run_rate_days(month=DECEMBER, as_of=dt.date(2026, 12, 7), overrides=worked) == (5, 24)
    assert forecast(10, month=DECEMBER, as_of=dt.date(2026, 12, 7), overrides=worked) == D(48)


def test_forecast_skips_a_holiday():
    # Friday 4 December a holiday: as of Monday the 7th, 3 of 22 working days have passed.
    holiday = {dt.date(2026, 12, 4): False}
    assert run_rate_days(month=DECEMBER, as_of=dt.date(2026, 12, 7), overrides=holiday) == (3, 22)
    assert money(
        forecast(D("100.00"), month=DECEMBER, as_of=dt.date(2026, 12, 7), overrides=holiday)
    ) == D("733.33")


def test_a_total_forecast_is_computed_from_summed_facts_and_rounded_once():
    # Two channels with 0.02 each over 4 of 23 days: each runs to 0.115 → 0.12, and adding
    # the rounded parts gives 0.24; the total's 0.04 × 23 / 4 = 0.23 is one kopeck less.
    days = (4, 23)
    part = period_forecast(earlier=0, before_as_of=D("0.02"), days=days)
    assert money(part) == D("0.12")
    total = period_forecast(earlier=0, before_as_of=D("0.04"), days=days)
    assert money(total) == D("0.23") != money(part) + money(part)
    # Earlier months' facts are added as they are.
    assert period_forecast(earlier=D("100.00"), before_as_of=D("0.04"), days=days) == D("100.23")
    assert period_forecast(earlier=D("100.00"), before_as_of=D("0.04"), days=None) is None


def test_forecast_is_undefined_before_any_working_day():
    # Sunday the 1st: nothing elapsed yet.
    assert forecast(5, month=MARCH, as_of=dt.date(2026, 3, 1), overrides={}) is None
    # A holiday on the only weekday elapsed.
    holiday_first = {dt.date(2026, 6, 1): False}
    june = dt.date(2026, 6, 1)
    assert forecast(5, month=june, as_of=june, overrides=holiday_first) is None


def test_forecast_of_a_month_not_started_is_undefined_and_of_a_finished_month_is_its_fact():
    assert forecast(5, month=MARCH, as_of=dt.date(2026, 2, 27), overrides={}) is None
    # On the month's last day its last day has not passed yet: 21 of 22.
    assert forecast(21, month=MARCH, as_of=dt.date(2026, 3, 31), overrides={}) == D(22)
    assert forecast(5, month=MARCH, as_of=dt.date(2026, 4, 1), overrides={}) == D(5)
    assert forecast(5, month=MARCH, as_of=dt.date(2026, 4, 2), overrides={}) == D(5)


def test_forecast_of_a_period_starting_mid_month_counts_from_its_start():
    # As of the 19th: 16th (Mon) to 18th, 3 of the 12 working days from the 16th to the 31st.
    assert forecast(
        9, month=MARCH, as_of=dt.date(2026, 3, 19), overrides={}, start=dt.date(2026, 3, 16)
    ) == D(36)


def test_a_plan_for_15_october_to_14_november_prorates_both_months_by_working_days():
    # October 2026 has 22 working days, 15-31 October 12 of them; November 21, 1-14 Nov 10.
    assert working_days(*OCT, {}) == 22
    assert working_days(OCT_15, OCT[1], {}) == 12
    assert working_days(*NOV, {}) == 21
    assert working_days(NOV[0], NOV_14, {}) == 10
    plans = {OCT[0]: D("220000.00"), NOV[0]: D("210000.00")}
    # 220 000 × 12 / 22 + 210 000 × 10 / 21 = 120 000 + 100 000.
    assert prorated_plan(plans, OCT_15, NOV_14, {}) == D("220000")
    # Counts keep their fraction: 100 × 12 / 22 = 54.5454…
    assert money(prorated_plan({OCT[0]: 100}, OCT_15, NOV_14, {})) == D("54.55")
    # A holiday inside the period takes its day from both counts.
    holiday = {dt.date(2026, 11, 4): False}
    assert prorated_plan({NOV[0]: D(200)}, NOV[0], NOV_14, holiday) == D(90)


def test_a_whole_month_gets_its_whole_plan_and_months_outside_nothing():
    plans = {OCT[0]: D("220000.00"), NOV[0]: D("210000.00"), dt.date(2026, 12, 1): D(1)}
    assert prorated_plan(plans, *NOV, {}) == D("210000.00")
    assert prorated_plan(plans, OCT[0], NOV[1], {}) == D("430000.00")


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
        date_from=MARCH,
        date_to=dt.date(2026, 3, 31),
        sums=MoneySums(revenue=D("1200000.00"), variable_costs=D("450000.00")),
        current_revenue=D("1200000.00"),
        previous_revenue=D("1000000.00"),
        result_range=(MARCH, dt.date(2026, 3, 31)),
        result_sums=MoneySums(revenue=D("1200000.00"), variable_costs=D("450000.00")),
        expenses=(D("500000.00"), D("100000.00")),
    )
    assert product.revenue_growth == D("0.2")
    assert product.margin == D("750000.00")
    # 750 000 − (500 000 + 100 000) = 150 000.
    assert product.result == D("150000.00")


def test_valuable_final_product_without_a_previous_period_or_expenses_is_partly_undefined():
    product = valuable_final_product(
        date_from=MARCH,
        date_to=dt.date(2026, 3, 31),
        sums=MoneySums(revenue=D("100.00"), variable_costs=D("20.00")),
        current_revenue=D("100.00"),
        previous_revenue=D("0.00"),
        result_range=(MARCH, dt.date(2026, 3, 31)),
        result_sums=MoneySums(revenue=D("100.00"), variable_costs=D("20.00")),
        expenses=None,
    )
    assert (product.revenue_growth, product.expenses, product.result) == (None, None, None)
    assert product.margin == D("80.00")


def test_valuable_final_product_falls_below_zero_when_expenses_exceed_the_margin():
    product = valuable_final_product(
        date_from=MARCH,
        date_to=dt.date(2026, 3, 31),
        sums=MoneySums(revenue=D("100.00"), variable_costs=D("20.00")),
        current_revenue=D("100.00"),
        previous_revenue=D("200.00"),
        result_range=(MARCH, dt.date(2026, 3, 31)),
        result_sums=MoneySums(revenue=D("100.00"), variable_costs=D("20.00")),
        expenses=(D("90.00"), D("0.00")),
    )
    assert (product.revenue_growth, product.result) == (D("-0.5"), D("-10.00"))


def test_expenses_and_reserves_are_prorated_by_working_days_of_each_month():
    entered = {OCT[0]: (D("22000.00"), D("2200.00")), NOV[0]: (D("21000.00"), D("2100.00"))}
    # 15 Oct - 14 Nov: 22 000 × 12/22 + 21 000 × 10/21 = 22 000; reserves 2 200.
    assert prorated_expenses(entered, OCT_15, NOV_14, {}) == (D("22000.00"), D("2200.00"))
    # A month in progress as of Sunday 6 December: 1-5 December holds 4 of 23 working days;
    # 1 000.00 × 4 / 23 = 173.913… → 173.91, 100.00 × 4 / 23 → 17.39.
    december = {dt.date(2026, 12, 1): (D("1000.00"), D("100.00"))}
    assert prorated_expenses(december, dt.date(2026, 12, 1), dt.date(2026, 12, 5), {}) == (
        D("173.91"),
        D("17.39"),
    )
    # A touched month without entered expenses leaves the result undefined.
    assert prorated_expenses({OCT[0]: (D(1), D(1))}, OCT_15, NOV_14, {}) is None


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


days_pairs = st.integers(min_value=1, max_value=23).flatmap(
    lambda elapsed: st.tuples(st.just(elapsed), st.integers(min_value=elapsed, max_value=23))
)


@settings(max_examples=100, deadline=None)
@given(parts=st.lists(st.tuples(kopecks, kopecks), min_size=1, max_size=8), days=days_pairs)
def test_the_forecast_of_summed_parts_is_the_sum_of_unrounded_part_forecasts(parts, days):
    earlier = sum((e for e, _b in parts), D(0))
    before = sum((b for _e, b in parts), D(0))
    total = money(period_forecast(earlier=earlier, before_as_of=before, days=days))
    # The exact sum of the parts' forecasts (Fractions, no Decimal precision), half-up.
    elapsed, month = days
    exact = sum(Fraction(e) + Fraction(b) * month / elapsed for e, b in parts)
    kopecks_exact = math.floor(exact * 100 + Fraction(1, 2))
    assert total == D(kopecks_exact) / 100
    # Adding rounded parts may drift by half a kopeck per part, never more.
    unrounded = [period_forecast(earlier=e, before_as_of=b, days=days) for e, b in parts]
    assert abs(total - sum(money(f) for f in unrounded)) <= D("0.005") * len(parts)


dates_2025_2027 = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 12, 31))
holiday_lists = st.dictionaries(dates_2025_2027, st.booleans(), max_size=20)


@settings(max_examples=100, deadline=None)
@given(
    first=dates_2025_2027,
    months=st.integers(min_value=1, max_value=14),
    values=st.lists(kopecks, min_size=14, max_size=14),
    overrides=holiday_lists,
)
def test_the_prorated_plan_of_whole_months_is_the_sum_of_their_plans(
    first, months, values, overrides
):
    start = first.replace(day=1)
    month_starts = [start]
    while len(month_starts) < months:
        month_starts.append(month_bounds(month_starts[-1])[1] + dt.timedelta(days=1))
    plans = dict(zip(month_starts, values, strict=False))
    end = month_bounds(month_starts[-1])[1]
    assert prorated_plan(plans, start, end, overrides) == sum(plans.values(), D(0))


@settings(max_examples=100, deadline=None)
@given(as_of=dates_2025_2027, overrides=holiday_lists, to_month_end=st.booleans())
def test_the_previous_period_of_a_month_in_progress_holds_as_many_working_days(
    as_of, overrides, to_month_end
):
    first, last = month_bounds(as_of)
    comparison = previous_period(
        first, last if to_month_end else as_of, as_of=as_of, overrides=overrides
    )
    elapsed = working_days(first, as_of - dt.timedelta(days=1), overrides)
    if not elapsed:
        assert comparison is None
        return
    assert comparison.current == (first, as_of - dt.timedelta(days=1))
    previous_month = month_bounds(first - dt.timedelta(days=1))
    assert comparison.previous[0] == previous_month[0]
    assert working_days(*comparison.previous, overrides) == min(
        elapsed, working_days(*previous_month, overrides)
    )
