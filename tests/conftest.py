"""The cast every view test uses: two teams, their heads, managers, a director, an admin."""

import importlib
import inspect
import unittest

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.utils import translation

from channels.models import Channel
from teams.models import User
from tests.factories import make_team, make_user


def _touches_no_database(item) -> bool:
    """pytest-django refuses database access to a test that asks for none (no django_db mark,
    no db, transactional_db or live_server fixture), unless it fetches a fixture by name."""
    if getattr(item, "cls", None) is not None and issubclass(item.cls, unittest.TestCase):
        return False
    fixtures = getattr(item, "fixturenames", ())
    if item.get_closest_marker("django_db") or {"db", "transactional_db", "live_server"} & set(
        fixtures
    ):
        return False
    function = getattr(item, "function", None)
    return function is not None and "request" not in inspect.signature(function).parameters


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL, leave out what the engine cannot change: tests marked one_db and tests
    that touch no database. They run in the SQLite run of `make test`; everything else (every
    query, aggregate, lock, migration and query-count pin) runs on both."""
    if connection.vendor != "postgresql":
        return
    kept, left_out = [], []
    for item in items:
        once = item.get_closest_marker("one_db") or _touches_no_database(item)
        (left_out if once else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


@pytest.fixture
def head1(db):
    return make_user("head1", role=User.Role.HEAD, channels=())


@pytest.fixture
def head2(db):
    return make_user("head2", role=User.Role.HEAD, channels=())


@pytest.fixture
def team1(head1):
    return make_team("Team 1", heads=(head1,))


@pytest.fixture
def team2(head2):
    return make_team("Team 2", heads=(head2,))


@pytest.fixture
def manager_a(team1):
    return make_user("manager_a", team=team1, full_name="Anna Alekseeva")


@pytest.fixture
def manager_a2(team1):
    return make_user("manager_a2", team=team1, full_name="Artem Antonov")


@pytest.fixture
def manager_b(team2):
    return make_user("manager_b", team=team2, full_name="Boris Belov")


@pytest.fixture
def director(db):
    return make_user("director", role=User.Role.DIRECTOR, channels=())


@pytest.fixture
def admin_user(db):
    return make_user("admin", role=User.Role.ADMIN, channels=(), is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def _language_reset():
    """A request in a user's language leaves it active in the thread: the next test starts
    in the default language again."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The default hasher costs about a second per user on these machines; tests need none of it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def default_channels(request):
    """Put back the migration's four channels for transactional tests.

    Live-server and other transaction=True tests run on a flushed database (a flush
    removes data-migration rows too); serialized_rollback clashes with the content types
    the flush recreates, so the channels are created again instead.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = {"live_server", "transactional_db"} & set(request.fixturenames) or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    if not Channel.objects.exists():
        migration = importlib.import_module("funnel.migrations.0003_default_channels")
        migration.create_channels(django_apps, None)


@pytest.fixture
def debug_cursor(db):
    """Every statement logged as under DEBUG (`make run`): the debug cursor formats each one
    with its parameters, which a raw SQL string with a stray `%` breaks."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        yield queries
