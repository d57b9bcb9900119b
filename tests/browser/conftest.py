"""Browser tests drive Debian's Chromium through Playwright against the live server."""

import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.test import Client
from django.test.testcases import LiveServerThread
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.metrics.sample_company import build_company

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))


class SerialWSGIServer(WSGIServer):
    """The live server answering one request at a time. On SQLite the test database lives
    in memory and every thread of the live server shares its one connection, which is not
    safe to use from two threads at once ("bad parameter or other API misuse", "table is
    locked") — and a dashboard now loads several panels at once. PostgreSQL keeps Django's
    threaded server."""

    def __init__(self, *args, connections_override=None, **kwargs):
        # The live server thread has installed the overridden connections itself, and
        # answers every request in that thread.
        super().__init__(*args, **kwargs)


if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    LiveServerThread.server_class = SerialWSGIServer


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"Chromium is missing at {CHROMIUM}; .ci/run installs it")
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


class Traffic:
    """A page's requests to the live server: those still in flight, and when the last one
    began or ended."""

    def __init__(self, page: Page):
        self.page = page
        self.in_flight: set = set()
        self.last = time.monotonic()
        page.on("request", lambda request: self._seen(self.in_flight.add, request))
        page.on("requestfinished", lambda request: self._seen(self.in_flight.discard, request))
        page.on("requestfailed", lambda request: self._seen(self.in_flight.discard, request))

    def _seen(self, change, request) -> None:
        change(request)
        self.last = time.monotonic()

    def settle(self, quiet_ms: int = 400, limit_ms: int = 10_000) -> None:
        """Wait until no request has been in flight for `quiet_ms`, counted from the last
        one seen: a page already quiet costs one turn of the event loop, not the whole
        window again. Each turn delivers the page's events first, so a request sent just
        before the call is seen (and restarts the count) before the page is called quiet."""
        deadline = time.monotonic() + limit_ms / 1000
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(100)
            if not self.in_flight and time.monotonic() - self.last >= quiet_ms / 1000:
                return


# Each open page's traffic, so that a test (and its teardown) can wait until the live
# server has answered every request before it touches the database.
_TRAFFIC: dict[int, Traffic] = {}


@pytest.fixture(autouse=True)
def quiet_before_the_flush(request):
    """Every browser test ends only once its page has no request in flight: a save or a
    panel still being answered when the test's data is flushed would share the database
    with the flush (on SQLite the very same connection) and fail it ("FOREIGN KEY
    constraint failed")."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    traffic = _TRAFFIC[id(page)] = Traffic(page)
    yield
    if not page.is_closed():
        traffic.settle()
    del _TRAFFIC[id(page)]


def quiet(page: Page) -> None:
    """Wait until the page has had no request in flight for a moment: the live server is
    done writing, and the test may read the database (on SQLite it shares the server's
    one connection)."""
    _TRAFFIC[id(page)].settle()


@pytest.fixture
def company(live_server):
    return build_company(today=timezone.localdate())


@pytest.fixture
def watched(page: Page, live_server, quiet_before_the_flush):
    """The page, recording every request that leaves the server and every script error."""
    outside, errors = [], []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(live_server.url) or request.url.startswith("data:")
            else outside.append(request.url)
        ),
    )
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    quiet(page)
    assert outside == []
    assert errors == []


def log_in(page: Page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def reveal_every_panel(page: Page) -> None:
    """Scroll each element that loads itself when revealed (the dashboard's panels below the
    fold, its discipline or norms panel) into view until none is left unrevealed and every
    placeholder has been replaced; what the revealed requests fill in may still be arriving.

    One element at a time: htmx notices a scroll on its own (throttled) clock, so each element
    is waited for until htmx has marked it revealed (or replaced it) before the next; a fast
    loop would otherwise scroll the same unmarked element again without any scroll event."""
    for _ in range(30):
        left = page.evaluate(
            """() => {
              const next = document.querySelector(
                "[hx-trigger~='revealed']:not([data-hx-revealed])");
              if (next) {
                next.setAttribute("data-test-revealing", "");
                next.scrollIntoView();
              }
              return !!next;
            }"""
        )
        if not left:
            break
        page.wait_for_function(
            """() => {
              const element = document.querySelector("[data-test-revealing]");
              return !element || element.hasAttribute("data-hx-revealed");
            }"""
        )
        page.evaluate(
            """() => document.querySelectorAll("[data-test-revealing]").forEach(
              (element) => element.removeAttribute("data-test-revealing"))"""
        )
        page.wait_for_function("() => !document.querySelector('.lazy-panel[data-hx-revealed]')")
    expect(page.locator(".lazy-panel")).to_have_count(0)
