"""The dashboard's panels in the cache (dashboards/panel_cache.py): kept under the database
snapshot they were read from, so that a page is never older than the last save.

The cache works on PostgreSQL only, between committed transactions: these tests run
there with transactional_db; a test inside one transaction (as most are) never uses it.
"""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import translation

from dashboards import panel_cache, views
from funnel.models import DailyTotal, ManagerTotal, MonthTotal
from plans.models import Holiday
from teams.models import User
from tests.factories import make_team, make_user, write_fact
from tests.metrics.test_views import HTMX, dashboard_url, my_url

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the cache keys on PostgreSQL's snapshot"
)
SUMMARIES = [model._meta.db_table for model in (DailyTotal, ManagerTotal, MonthTotal)]


@pytest.fixture
def company(transactional_db):
    cache.clear()
    head = make_user("head1", role=User.Role.HEAD, channels=())
    team = make_team("Team 1", heads=(head,))
    anna = make_user("manager_a", team=team, full_name="Anna Alekseeva")
    director = make_user("director", role=User.Role.DIRECTOR, channels=())
    write_fact(anna, "active", dt.date(2025, 3, 3), revenue="1000.00", payments_count=1)
    yield {"head": head, "team": team, "anna": anna, "director": director}
    cache.clear()


def _get(client, url, **headers):
    """(the response's text, whether it read the summaries)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    read = any(table in query["sql"] for query in captured for table in SUMMARIES)
    return response.content.decode(), read


def _quiet(looks):
    """`looks()` run until nothing committed anywhere while it ran: the snapshot is the
    cluster's, and another database's writes (another test run, a bench) move it too."""
    for _attempt in range(10):
        before = panel_cache.data_version()
        result = looks()
        if panel_cache.data_version() == before:
            return result
    # Not the code's fault: something else on the server commits without pause.
    pytest.skip("the PostgreSQL server never stayed still for two requests")


@pytest.fixture
def still(monkeypatch):
    """A database nothing writes to between the looks: the snapshot as read, but one name
    for every clean read (what each part of the key does, whatever else the server runs)."""
    real = panel_cache.data_version
    monkeypatch.setattr(panel_cache, "data_version", lambda: real() and "still")


def _panels(html: str) -> str:
    """The page from its panels on: what the cache keeps (the page around them carries a
    nonce and a token of its own request)."""
    return html[html.index('<div id="panels"') :]


@postgresql_only
@pytest.mark.parametrize(
    ("url", "headers"),
    [
        (dashboard_url(), {}),  # the first response
        (dashboard_url(full=1), {}),  # the whole page
        (dashboard_url(panel="trend"), HTMX),  # a panel loaded when revealed
        (dashboard_url(), HTMX),  # a filter change's panels
    ],
)
def test_a_second_look_with_no_save_between_is_served_from_the_cache(client, company, url, headers):
    client.force_login(company["director"])
    cache.clear()
    (first, first_read), (second, second_read) = _quiet(
        lambda: (_get(client, url, **headers), _get(client, url, **headers))
    )
    assert first_read
    assert not second_read
    if headers:
        assert second == first
    else:
        assert _panels(second) == _panels(first)


@postgresql_only
def test_a_save_between_two_looks_shows_at_the_next_one(client, company):
    client.force_login(company["director"])
    url = dashboard_url(full=1)
    before, _ = _get(client, url)
    assert "1,000" in before or "1 000" in before
    write_fact(company["anna"], "active", dt.date(2025, 3, 4), revenue="234.00", payments_count=1)
    after, read = _get(client, url)
    assert read
    assert "1,234" in after or "1 234" in after


@postgresql_only
def test_a_change_outside_the_facts_shows_too(client, company):
    """Every committed write moves the snapshot: holidays, plans, admin edits alike."""
    client.force_login(company["director"])
    _get(client, dashboard_url(full=1))
    Holiday.objects.create(date=dt.date(2025, 3, 10), name="Day off")
    _, read = _get(client, dashboard_url(full=1))
    assert read


@postgresql_only
def test_an_answer_rendered_while_a_save_committed_is_not_kept(client, company, monkeypatch):
    real = views.render_to_string
    saves = iter([dt.date(2025, 3, 5)])

    def render_with_a_save_meanwhile(*args, **kwargs):
        day = next(saves, None)
        if day is not None:  # another user's save commits while the panels are read
            write_fact(company["anna"], "active", day, revenue="5.00")
        return real(*args, **kwargs)

    kept = []
    real_set = panel_cache.cache.set
    monkeypatch.setattr(views, "render_to_string", render_with_a_save_meanwhile)
    monkeypatch.setattr(
        panel_cache.cache, "set", lambda *a, **k: kept.append(a[0]) or real_set(*a, **k)
    )
    client.force_login(company["director"])
    _, first_read = _get(client, dashboard_url(full=1))
    assert first_read
    assert kept == []  # no later request could find it: the save moved the snapshot

    def looks():
        kept.clear()
        return _get(client, dashboard_url(full=1))[1], _get(client, dashboard_url(full=1))[1]

    second_read, third_read = _quiet(looks)
    assert second_read
    assert len(kept) == 1
    assert not third_read


@postgresql_only
def test_viewers_do_not_share_answers(client, company, still):
    other = make_user("director2", role=User.Role.DIRECTOR, channels=())
    client.force_login(company["director"])
    colleague = Client()
    colleague.force_login(other)  # a log-in writes: before the looks

    def looks():
        _get(client, dashboard_url(full=1))
        return _get(colleague, dashboard_url(full=1))[1]

    assert looks()


@postgresql_only
def test_a_manager_gets_their_own_numbers_from_the_cache_too(client, company):
    client.force_login(company["anna"])
    (first, first_read), (second, second_read) = _quiet(
        lambda: (_get(client, my_url(full=1)), _get(client, my_url(full=1)))
    )
    assert first_read
    assert not second_read
    assert _panels(second) == _panels(first)


@postgresql_only
def test_each_language_has_its_own_answer(client, company, still):
    client.force_login(company["director"])

    def looks():
        with translation.override("en"):
            english, _ = _get(client, dashboard_url(full=1), **{"Accept-Language": "en"})
        return english, *_get(client, dashboard_url(full=1), **{"Accept-Language": "ru"})

    english, russian, read = looks()
    assert read
    assert "Headline numbers" in english
    assert "Headline numbers" not in russian


@postgresql_only
def test_another_day_has_its_own_answer(client, company, monkeypatch, still):
    client.force_login(company["director"])

    def looks():
        monkeypatch.setattr(views, "_today", lambda: dt.date(2025, 3, 11))
        _get(client, dashboard_url(full=1))
        monkeypatch.setattr(views, "_today", lambda: dt.date(2025, 3, 12))
        return _get(client, dashboard_url(full=1))[1]

    assert looks()


@postgresql_only
def test_each_query_has_its_own_answer(client, company, still):
    client.force_login(company["director"])

    def looks():
        _get(client, dashboard_url(full=1))
        return _get(client, dashboard_url(full=1, sort="revenue"))[1]

    assert looks()


@postgresql_only
def test_another_currency_sign_has_its_own_answer(client, company, settings, still):
    client.force_login(company["director"])

    def looks():
        settings.CURRENCY = "₽"
        _get(client, dashboard_url(full=1))
        settings.CURRENCY = "€"
        return _get(client, dashboard_url(full=1))

    page, read = looks()
    assert read
    assert "€" in page


@postgresql_only
def test_switched_off_nothing_is_kept(client, company, still):
    client.force_login(company["director"])
    with override_settings(DASHBOARD_CACHE=False):
        _get(client, dashboard_url(full=1))
        _, read = _get(client, dashboard_url(full=1))
    assert read


@postgresql_only
def test_with_redis_down_the_page_is_computed(client, company, still):
    down = {
        "default": {
            "BACKEND": "kpi_project.cache.FailSafeRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1},
        }
    }
    client.force_login(company["director"])
    with override_settings(CACHES=down, SESSION_ENGINE="django.contrib.sessions.backends.db"):
        first, first_read = _get(client, dashboard_url(full=1))
        second, second_read = _get(client, dashboard_url(full=1))
    assert first_read
    assert second_read
    assert "1,000" in second or "1 000" in second


@postgresql_only
def test_invalid_filters_are_never_kept(client, company):
    client.force_login(company["director"])
    url = dashboard_url(date_from="2025-04-01")  # after its end
    _get(client, url)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    assert not any("pg_current_snapshot" in q["sql"] for q in captured)


@postgresql_only
def test_a_transaction_that_wrote_is_never_named(db, manager_a):
    """Its own writes are not in any snapshot: a page read in it is not kept."""
    write_fact(manager_a, "active", dt.date(2025, 3, 3), revenue="1.00")
    assert panel_cache.data_version() is None


@postgresql_only
def test_between_transactions_the_version_is_the_snapshot(transactional_db):
    version = panel_cache.data_version()
    assert re.fullmatch(r"\d+:\d+:[\d,]*", version)
    Holiday.objects.create(date=dt.date(2025, 3, 10), name="Day off")
    assert panel_cache.data_version() != version


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's side")
def test_on_sqlite_nothing_is_cached(client, director, team1, manager_a):
    write_fact(manager_a, "active", dt.date(2025, 3, 3), revenue="1000.00")
    assert panel_cache.data_version() is None
    client.force_login(director)
    _get(client, dashboard_url(full=1))
    _, read = _get(client, dashboard_url(full=1))
    assert read


def test_the_code_token_follows_the_templates(tmp_path, settings):
    settings.BASE_DIR = tmp_path
    page = tmp_path / "templates" / "page.html"
    page.parent.mkdir()
    page.write_text("one")
    first = panel_cache._code_token.__wrapped__()
    assert panel_cache._code_token.__wrapped__() == first
    page.write_text("two, longer")
    assert panel_cache._code_token.__wrapped__() != first
