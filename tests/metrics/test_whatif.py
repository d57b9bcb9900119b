"""The what-if planner's arithmetic (metrics.whatif): the examples of docs/metrics.md,
"What-if planner", and the properties every path keeps."""

from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from metrics.whatif import (
    ACTIVITY,
    CHECK,
    MANAGERS,
    Levers,
    best_levers,
    blocker,
    ceil_count,
    forecast,
    history_levers,
    lever_changes,
    path,
    revenue_from,
    split_counts,
    split_money,
)

D = Decimal
# The worked example: contacts → meetings 25 %, meetings → invoices 40 %, invoices →
# payments 80 %, an average check of 20 000.00, 2 managers, 3 contacts a day each.
EXAMPLE = Levers(
    conversions=(D("0.25"), D("0.40"), D("0.80")),
    average_check=D("20000.00"),
    managers=2,
    activity=D("3"),
)


def test_the_path_runs_back_from_the_target_through_every_conversion():
    p = path(D("300000.00"), EXAMPLE, 20)
    # 300 000 / 20 000 = 15 payments; 15 / 0.8 = 18.75 invoices; / 0.4 = 46.875 meetings;
    # / 0.25 = 187.5 contacts.
    assert p.payments == D("15")
    assert p.stages == (D("187.5"), D("46.875"), D("18.75"))
    assert [ceil_count(s) for s in p.stages] == [188, 47, 19]
    # Per working day of the month and per manager per working day, rounded up.
    assert p.per_day(p.stages[0]) == D("9.375")
    assert ceil_count(p.per_day(p.stages[0])) == 10
    assert p.per_manager_day(p.stages[0]) == D("4.6875")
    assert ceil_count(p.per_manager_day(p.stages[0])) == 5
    assert ceil_count(p.per_manager_day(p.payments)) == 1


def test_a_month_without_working_days_has_no_daily_figures():
    p = path(D("300000.00"), EXAMPLE, 0)
    assert p.stages[0] == D("187.5")
    assert p.per_day(p.stages[0]) is None
    assert p.per_manager_day(p.stages[0]) is None
    assert forecast(EXAMPLE, 0) is None


def test_a_conversion_of_zero_or_undefined_makes_the_path_undefined():
    zero = Levers(conversions=(D("0.25"), D("0"), D("0.8")), average_check=D("1"), managers=1)
    assert blocker(zero) == 1
    assert path(D("100"), zero, 20) is None
    undefined = Levers(conversions=(None, D("0.4"), D("0.8")), average_check=D("1"), managers=1)
    assert blocker(undefined) == 0
    assert path(D("100"), undefined, 20) is None
    assert forecast(undefined, 20) is None
    assert lever_changes(D("100"), undefined, 20) == []


def test_no_average_check_makes_the_path_undefined():
    levers = Levers(conversions=(D("0.5"),), average_check=None, managers=1)
    assert blocker(levers) == CHECK
    assert path(D("100"), levers, 20) is None
    assert blocker(Levers(conversions=(D("0.5"),), average_check=D("0"), managers=1)) == CHECK


def test_a_conversion_above_100_percent_needs_fewer_at_the_earlier_stage():
    # 7 invoices from 6 contracts (contracts of the previous month invoiced now): 116.67 %.
    levers = Levers(conversions=(D("1.1667"), D("1")), average_check=D("1000.00"), managers=1)
    p = path(D("7000.00"), levers, 20)
    assert p.stages[1] == D("7")
    assert ceil_count(p.stages[0]) == 6
    assert p.stages[0] < p.stages[1]


def test_history_levers_are_the_history_rounded_as_the_page_shows_them():
    levers = history_levers(
        [400, 100, 80, 60, 40, 30],
        20,
        D("400000.00"),
        managers=3,
        history_managers=1,
        history_days=60,
    )
    assert levers.conversions == (
        D("0.2500"),
        D("0.8000"),
        D("0.7500"),
        D("0.6667"),
        D("0.7500"),
        D("0.6667"),
    )
    assert levers.average_check == D("20000.00")
    assert levers.activity == D("6.67")  # 400 contacts / (1 manager × 60 working days)
    assert levers.managers == 3


def test_no_history_leaves_every_lever_undefined():
    levers = history_levers(
        [0, 0, 0], 0, D("0.00"), managers=1, history_managers=1, history_days=60
    )
    assert levers.conversions == (None, None, None)
    assert levers.average_check is None
    assert levers.activity == D("0.00")
    assert blocker(levers) == 0
    assert forecast(levers, 20) is None


def test_a_channel_without_stages_goes_straight_to_payments():
    levers = history_levers([], 4, D("100.00"), managers=1, history_managers=1, history_days=5)
    assert levers.conversions == ()
    assert levers.activity is None
    p = path(D("50.00"), levers, 5)
    assert (p.payments, p.stages) == (D("2"), ())


def test_the_forecast_is_activity_times_managers_days_conversions_and_check():
    # 3 × 2 × 20 = 120 contacts × 0.25 × 0.4 × 0.8 = 9.6 payments × 20 000 = 192 000.
    assert forecast(EXAMPLE, 20) == D("192000.00")


def test_each_lever_alone_closes_the_gap_by_the_same_factor_within_its_limits():
    changes = {c.lever: c for c in lever_changes(D("300000.00"), EXAMPLE, 20)}
    # 300 000 / 192 000 = 1.5625: every continuous lever needs +56.25 %.
    assert changes[ACTIVITY].needed == D("4.6875")
    assert changes[0].needed == D("0.390625")
    assert changes[1].needed == D("0.625")
    assert changes[CHECK].needed == D("31250.00")
    for lever in (ACTIVITY, 0, 1, CHECK):
        assert changes[lever].change == D("0.5625")
        assert changes[lever].feasible
    # 80 % × 1.5625 = 125 %: more payments than invoices cannot be planned.
    assert changes[2].needed == D("1.25")
    assert not changes[2].feasible
    # 2 × 1.5625 = 3.125 managers: 4 people, +100 %.
    assert changes[MANAGERS].needed == D("4")
    assert changes[MANAGERS].change == D("1")
    best = best_levers(list(changes.values()))
    assert [c.lever for c in best] == [ACTIVITY, 0, 1, CHECK]


def test_a_whole_number_of_managers_can_be_the_smallest_change():
    # 4 managers, +25 % needed: a fifth manager is exactly +25 %, tied with the rest.
    levers = Levers(conversions=(D("0.5"),), average_check=D("100"), managers=4, activity=D("1"))
    changes = lever_changes(D("1000"), levers, 20)  # forecast 4 × 20 × 0.5 × 100 = 4 000
    assert changes == []
    changes = lever_changes(D("5000"), levers, 20)
    by = {c.lever: c for c in changes}
    assert by[MANAGERS].needed == D("5")
    assert by[MANAGERS].change == D("0.25")
    assert [c.lever for c in best_levers(changes)] == [ACTIVITY, 0, CHECK, MANAGERS]


def test_no_lever_changes_once_the_target_is_reached_and_none_feasible_gives_no_best():
    assert lever_changes(D("192000.00"), EXAMPLE, 20) == []
    assert lever_changes(D("100000.00"), EXAMPLE, 20) == []
    assert best_levers([]) == []
    infeasible = lever_changes(
        D("10000"),
        Levers(conversions=(D("1"),), average_check=D("10"), managers=1, activity=D("1")),
        10,
    )
    assert best_levers([c for c in infeasible if c.lever == 0]) == []


def test_a_team_path_is_split_evenly_rounding_counts_up_and_money_to_the_kopeck():
    assert split_counts(D("18.75"), 3) == 7
    assert split_counts(D("15"), 3) == 5
    assert split_counts(D("187.5"), 2) == 94
    assert split_money(D("100000.00"), 3) == [D("33333.34"), D("33333.33"), D("33333.33")]
    assert split_money(D("0.05"), 3) == [D("0.02"), D("0.02"), D("0.01")]
    assert split_money(D("300000.00"), 1) == [D("300000.00")]


conversions = st.lists(
    st.decimals(min_value=D("0.0001"), max_value=D("2"), places=4), min_size=1, max_size=8
)
targets = st.decimals(min_value=D("0.01"), max_value=D("1000000000"), places=2)
checks = st.decimals(min_value=D("0.01"), max_value=D("10000000"), places=2)


@settings(max_examples=300, deadline=None)
@given(targets, conversions, checks, st.integers(1, 31))
def test_the_unrounded_path_brings_back_the_target_within_a_kopeck(target, convs, check, days):
    p = path(target, Levers(conversions=tuple(convs), average_check=check, managers=1), days)
    for index, stage in enumerate(p.stages):
        assert abs(revenue_from(stage, convs[index:], check) - target) <= D("0.01")
    assert abs(p.payments * check - target) <= D("0.01")


@settings(max_examples=300, deadline=None)
@given(targets, conversions, checks, st.integers(1, 31), st.integers(1, 50))
# 4.8 × 10²⁷ first contacts: more digits than Decimal's default 28 keep exact.
@example(D("480014.62"), [D("0.0001")] * 5, D("0.01"), 3, 3)
def test_counts_rounded_up_never_fall_short(target, convs, check, days, managers):
    levers = Levers(conversions=tuple(convs), average_check=check, managers=managers)
    p = path(target, levers, days)
    for index, stage in enumerate(p.stages):
        rounded = ceil_count(stage)
        assert rounded >= stage
        assert revenue_from(rounded, convs[index:], check) >= target
        assert ceil_count(p.per_day(stage)) * days >= stage
        assert ceil_count(p.per_manager_day(stage)) * days * managers >= stage
        assert split_counts(stage, managers) * managers >= stage
    assert ceil_count(p.payments) * check >= target
    assert sum(split_money(target, managers)) == target
