import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from funnel.models import DailyCount, DailyFact, FactChange
from funnel.services import ValueWrite, facts_write
from tests.factories import channel

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writers with a file lock"
)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("default_channels")
def test_two_saves_of_one_cell_at_once_keep_one_row_and_both_changes(manager_a, head1):
    day = dt.date(2026, 1, 5)
    active = channel("active")
    start = threading.Barrier(2)
    errors = []

    def save(value: int, by) -> None:
        try:
            start.wait(timeout=10)
            facts_write(
                writes=[
                    ValueWrite(day, manager_a.pk, active.pk, "first_contacts", Decimal(value)),
                    ValueWrite(day, manager_a.pk, active.pk, "revenue", Decimal(value)),
                ],
                by=by,
                source="grid",
            )
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=save, args=(1, manager_a)),
        threading.Thread(target=save, args=(2, head1)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert DailyFact.objects.count() == 1
    count = DailyCount.objects.get()
    changes = list(
        FactChange.objects.filter(code="first_contacts")
        .order_by("id")
        .values_list("old_value", "new_value")
    )
    # Whichever thread got the lock first, the second one saw its value as "old".
    first, second = changes
    assert first[0] is None
    assert second == (first[1], Decimal(count.value))
    assert {first[1], second[1]} == {1, 2}
    assert FactChange.objects.filter(code="revenue").count() == 2
    assert DailyFact.objects.get().revenue == count.value
