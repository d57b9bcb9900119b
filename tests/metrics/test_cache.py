"""Repeated identical dashboard requests reuse the sums; a save in scope retires them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards import cache as dashboard_cache
from funnel import totals
from funnel.services import ValueWrite, facts_write
from kpi_project.cache import FailSafeRedisCache
from plans.models import Plan
from plans.services import plans_copy_previous
from teams.models import Membership
from tests.factories import channel, write_fact
from tests.metrics.test_views import HTMX, dashboard_url

DAY = dt.date(2025, 3, 10)


@pytest.fixture(autouse=True)
def dashboard_cache_on(settings):
    settings.DASHBOARD_CACHE = True


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def answer(client, url, headers=None):
    """(revenue on the first card, number of queries) of one request."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers or {})
    assert response.status_code == 200
    return response.context["dash"].cards[0].value, len(queries)


def test_the_same_request_again_reuses_the_cached_sums(client, director, march_facts):
    client.force_login(director)
    first, first_queries = answer(client, dashboard_url())
    again, again_queries = answer(client, dashboard_url())
    assert again == first == Decimal("4500.00")
    # Session, user and the filter form's choices are still read; no sums.
    assert again_queries == 5 < first_queries == 21


def test_a_fragment_is_cached_apart_from_the_page(client, director, march_facts):
    client.force_login(director)
    answer(client, dashboard_url())
    _value, queries = answer(client, dashboard_url(panel="cards"), HTMX)
    assert queries == 10
    _value, queries = answer(client, dashboard_url(panel="cards"), HTMX)
    assert queries == 2  # session and user


def test_a_save_in_scope_shows_the_new_number_at_once(
    client, director, manager_a, march_facts, django_capture_on_commit_callbacks
):
    client.force_login(director)
    assert answer(client, dashboard_url())[0] == Decimal("4500.00")
    with django_capture_on_commit_callbacks(execute=True):
        facts_write(
            writes=[ValueWrite(DAY, manager_a.pk, channel("active").pk, "revenue", 250)],
            by=manager_a,
            source="grid",
        )
    assert answer(client, dashboard_url())[0] == Decimal("4750.00")


def test_a_cell_saved_in_the_week_grid_retires_the_teams_answer(
    client, head1, manager_a, march_facts
):
    client.force_login(head1)
    before, _queries = answer(client, dashboard_url())
    response = client.post(
        "/entry/cell/",
        {
            "manager": manager_a.pk,
            "date": DAY.isoformat(),
            "channel": channel("active").pk,
            "code": "revenue",
            "value": "100.00",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    after, _queries = answer(client, dashboard_url())
    assert after == before + Decimal("100.00")


def test_a_save_outside_the_scope_keeps_the_cached_answer(
    client, director, team1, manager_b, march_facts
):
    client.force_login(director)
    url = dashboard_url(team=team1.pk)
    first, _queries = answer(client, url)
    write_fact(manager_b, "active", DAY, revenue="999.00")  # team2
    again, queries = answer(client, url)
    assert again == first
    assert queries < 10
    # The whole company's answer does change.
    assert answer(client, dashboard_url())[0] == Decimal("5499.00")


def test_a_team_move_retires_both_teams_answers(client, director, team2, manager_a, march_facts):
    client.force_login(director)
    url = dashboard_url(team=team2.pk)
    before, _queries = answer(client, url)
    # From today: March stays where it was.
    manager_a.team = team2
    manager_a.save()
    assert answer(client, url)[0] == before
    # The move dated back to March: March's numbers go along.
    Membership.objects.filter(user=manager_a, team=team2).update(since=dt.date(2025, 3, 1))
    Membership.objects.get(user=manager_a, team=team2).save()
    assert answer(client, url)[0] == before + Decimal("1000.00")


def test_a_new_plan_shows_at_once(client, director, manager_a, march_facts):
    client.force_login(director)
    url = dashboard_url(panel="cards")
    assert client.get(url, headers=HTMX).context["dash"].plan_card is None
    Plan.objects.create(
        month=dt.date(2025, 3, 1),
        channel=channel("active"),
        manager=manager_a,
        indicator="revenue",
        value=Decimal("5000.00"),
    )
    assert client.get(url, headers=HTMX).context["dash"].plan_card.plan == Decimal("5000.00")


def test_answers_are_not_shared_between_languages(client, director, march_facts):
    client.force_login(director)
    answer(client, dashboard_url())
    _value, queries = answer(client, dashboard_url(), {"Accept-Language": "ru"})
    assert queries == 21  # a different key, computed afresh, then cached
    _value, again = answer(client, dashboard_url(), {"Accept-Language": "ru"})
    assert again == 5


def test_redis_down_still_serves_fresh_numbers(
    client, director, manager_a, march_facts, monkeypatch, caplog
):
    down = FailSafeRedisCache(
        "redis://127.0.0.1:9/0",  # nothing listens there
        {"OPTIONS": {"socket_connect_timeout": 0.05, "socket_timeout": 0.05}},
    )
    monkeypatch.setattr(dashboard_cache, "cache", down)
    monkeypatch.setattr(totals, "cache", down)
    client.force_login(director)
    assert answer(client, dashboard_url())[0] == Decimal("4500.00")
    write_fact(manager_a, "active", DAY, revenue="1.00")
    assert answer(client, dashboard_url())[0] == Decimal("4501.00")
    assert "Redis unavailable" in caplog.text


def test_plans_copied_from_last_month_show_at_once(client, director, head1, manager_a, march_facts):
    client.force_login(director)
    url = dashboard_url(panel="cards")
    assert client.get(url, headers=HTMX).context["dash"].plan_card is None
    Plan.objects.create(
        month=dt.date(2025, 2, 1),
        channel=channel("active"),
        manager=manager_a,
        indicator="revenue",
        value=Decimal("7000.00"),
    )
    answer(client, url, HTMX)  # cached again after February's plan
    plans_copy_previous(
        month=dt.date(2025, 3, 1), managers=[manager_a], by=head1, today=dt.date(2025, 2, 20)
    )
    assert client.get(url, headers=HTMX).context["dash"].plan_card.plan == Decimal("7000.00")


def test_without_a_shared_cache_every_request_is_computed_afresh(
    client, director, march_facts, settings
):
    # A per-process memory cache cannot see saves made by other workers: no caching then.
    settings.DASHBOARD_CACHE = False
    client.force_login(director)
    _value, first = answer(client, dashboard_url())
    _value, again = answer(client, dashboard_url())
    assert again == first > 5
