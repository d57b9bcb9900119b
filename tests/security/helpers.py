"""What the security tests check after every hostile request: row counts and exact totals."""

from __future__ import annotations

from funnel.models import DailyCount, DailyFact, DailyTotal, FactChange, ManagerTotal, MonthTotal
from funnel.summaries.verify import pivot_differences, totals_differences

HX = {"HX-Request": "true"}


def fact_rows() -> dict[str, int]:
    """Rows of every table a fact write touches."""
    return {
        "facts": DailyFact.objects.count(),
        "counts": DailyCount.objects.count(),
        "history": FactChange.objects.count(),
        "totals": DailyTotal.objects.count(),
        "pivot": ManagerTotal.objects.count(),
        "months": MonthTotal.objects.count(),
    }


def fact_state() -> tuple:
    """Everything a write could change, to compare before and after a refused request."""
    return (
        sorted(
            DailyFact.objects.values_list(
                "pk", "invoiced_amount", "payments_count", "revenue", "variable_costs"
            )
        ),
        sorted(DailyCount.objects.values_list("fact_id", "indicator_id", "value")),
        FactChange.objects.count(),
        sorted(DailyTotal.objects.values_list("team_key", "date", "channel_id", "code", "value")),
        sorted(ManagerTotal.objects.values_list()),
        sorted(MonthTotal.objects.values_list()),
    )


def assert_totals_exact() -> None:
    count, differences = totals_differences(limit=5)
    assert count == 0, f"totals differ from a fresh aggregation: {differences}"
    count, differences = pivot_differences(limit=5)
    assert count == 0, f"the per-manager pivot differs from the facts: {differences}"
