import datetime as dt

import pytest

from tests.factories import write_fact

MARCH = {"period": "custom", "date_from": "2025-03-01", "date_to": "2025-03-31"}


@pytest.fixture
def march_facts(manager_a, manager_a2, manager_b):
    """Three managers, two teams, a few days of March 2025."""
    write_fact(
        manager_a,
        "active",
        dt.date(2025, 3, 3),
        first_contacts=10,
        meetings_set=5,
        negotiations_held=4,
        proposals_sent=2,
        contracts_agreed=1,
        invoices_issued=1,
        revenue="1000.00",
        payments_count=1,
        variable_costs="400.00",
    )
    write_fact(
        manager_a2,
        "active",
        dt.date(2025, 3, 4),
        first_contacts=20,
        meetings_set=5,
        negotiations_held=5,
        proposals_sent=4,
        contracts_agreed=3,
        invoices_issued=3,
        revenue="3000.00",
        payments_count=2,
        variable_costs="1000.00",
    )
    write_fact(
        manager_b,
        "inbound",
        dt.date(2025, 3, 5),
        leads_received=8,
        qualified_leads=4,
        revenue="500.00",
        payments_count=1,
    )
    # February, for the change against the previous period.
    write_fact(manager_a, "active", dt.date(2025, 2, 20), revenue="2000.00", payments_count=1)
