"""The API keeps the contract of its own OpenAPI schema: schemathesis generates requests for
every operation from /api/schema/ and checks each answer — never a server error, a status
the schema lists, JSON, a body that matches its schema. Bounded (a few dozen examples per
operation, no shrinking) so that it runs in seconds on SQLite and on PostgreSQL."""

import datetime as dt

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.tokens import token_create
from plans.models import Plan
from tests.factories import channel, write_fact

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 25


@pytest.fixture
def company(manager_a, manager_a2, manager_b, head1, director, team2):
    day = dt.date(2026, 3, 2)
    write_fact(manager_a, "active", day, first_contacts=3, meetings_set=1, revenue="120.00")
    write_fact(manager_b, "inbound", day, leads_received=8, payments_count=2, revenue="80.50")
    Plan.objects.create(
        month=day.replace(day=1), channel=channel("active"), manager=manager_a,
        indicator="revenue", value=1000,
    )  # fmt: skip
    return {"director": director, "head1": head1, "manager_a": manager_a}


@pytest.fixture
def wsgi_app():
    """The app as a WSGI server runs it, minus the end-of-request closing of connections
    (Django's test client leaves it out too): it would close the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("role", ["director", "head1", "manager_a"])
def test_every_operation_keeps_the_schemas_contract(company, role, settings, wsgi_app):
    settings.API_THROTTLE_RATE = "1000000/hour"
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    _token, raw = token_create(user=company[role], name="contract test")
    headers = {"Authorization": f"Bearer {raw}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {f"{op.method.upper()} {op.path}" for op in operations} == {
        "GET /api/v1/me/",
        "GET /api/v1/channels/",
        "GET /api/v1/teams/",
        "GET /api/v1/people/",
        "GET /api/v1/report/",
        "GET /api/v1/facts/",
        "POST /api/v1/facts/",
        "GET /api/v1/plans/",
        "POST /api/v1/plans/",
    }
    # Random dates are mostly refused (before 1900, after 2999, the wrong way round): the
    # operations with a period run once more within the company's month.
    month = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
    runs = [(op, {}) for op in operations]
    runs += [(op, month) for op in operations if op.method == "get" and "report" in op.path]
    runs += [(op, month) for op in operations if op.method == "get" and "facts" in op.path]
    for operation, fixed in runs:

        @hsettings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(query=fixed or None))
        def call(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

        call()
