import contextlib
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


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("default_channels")
def test_two_large_imports_of_the_same_managers_in_opposite_orders_both_land(
    manager_a, manager_b, monkeypatch
):
    # Files too large to keep are written chunk by chunk. Each import locks all of its
    # managers before its first chunk: otherwise one would hold Anna and wait for Boris
    # while the other held Boris and waited for Anna, and PostgreSQL would kill one.
    from funnel import imports

    monkeypatch.setattr(imports, "KEEP_VALUES", 2)
    monkeypatch.setattr(imports, "CHUNK", 3)
    first_chunk_done = threading.Barrier(2)
    write = imports.import_write

    def import_write(values, **kwargs):
        result = write(values, **kwargs)
        if not getattr(local, "waited", False):
            local.waited = True
            # Both imports past their first chunk at once, if their locks allow it.
            with contextlib.suppress(threading.BrokenBarrierError):
                first_chunk_done.wait(timeout=2)
        return result

    local = threading.local()
    monkeypatch.setattr(imports, "import_write", import_write)

    def rows(people, days) -> bytes:
        lines = [
            f"2026-01-{day:02};{person.username};active;first_contacts;{day}"
            for person in people
            for day in days
        ]
        return ("date;manager;channel;indicator;value\n" + "\n".join(lines)).encode()

    files = [
        rows([manager_a, manager_b], range(5, 8)),
        rows([manager_b, manager_a], range(12, 15)),
    ]
    reports, errors = [], []

    def run(data: bytes) -> None:
        try:
            reports.append(imports.kpi_import(data, by=None))
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(data,)) for data in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted((r.changed, r.ok) for r in reports) == [(6, True), (6, True)]
    assert DailyCount.objects.count() == 12
