"""Pages under the real Content-Security-Policy header: no violation, no console error, and
HTMX saves still work (scripts come from our static files with the request's nonce)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from funnel.models import DailyCount, DailyFact
from tests.browser.conftest import quiet
from tests.factories import channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script: records every CSP violation the browser reports.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""

# (who, path) of every page checked; add new pages here (the dashboard when it lands).
PAGES = [
    ("manager_a", "/accounts/login/"),
    ("manager_a", "/entry/"),
    ("manager_a", "/entry/week/"),
    ("manager_a", "/entry/history/"),
    ("manager_a", "/accounts/password_change/"),
    ("head1", "/entry/import/"),
    ("head1", "/dashboard/"),
    ("head1", "/dashboard/plans/"),
    ("head1", "/dashboard/discipline/"),
    ("manager_a", "/dashboard/my/"),
]


class Watched:
    """A page whose CSP violations and console errors are collected."""

    def __init__(self, page: Page):
        self.page = page
        self.console_errors: list[str] = []
        page.add_init_script(WATCH_CSP)
        page.on(
            "console",
            lambda msg: msg.type == "error" and self.console_errors.append(msg.text),
        )
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    def goto(self, url: str):
        response = self.page.goto(url)
        assert response.ok, (url, response.status)
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self' 'nonce-" in policy, url
        return response

    def violations(self) -> list[str]:
        return self.page.evaluate("window.__cspViolations")

    def assert_clean(self):
        assert self.violations() == []
        assert self.console_errors == []


def _sign_in(page: Page, client, live_server, user):
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


@pytest.fixture
def people(manager_a, head1, team1, settings):
    settings.KPI_EDIT_WINDOW_DAYS = 30
    manager_a.channels.set([channel("inbound")])
    return {"manager_a": manager_a, "head1": head1}


@pytest.mark.parametrize(("who", "path"), PAGES)
def test_page_loads_without_csp_violations_or_console_errors(
    page: Page, live_server, client, people, who, path
):
    watched = Watched(page)
    if path != "/accounts/login/":
        _sign_in(page, client, live_server, people[who])
    watched.goto(f"{live_server.url}{path}")
    page.wait_for_load_state("networkidle")
    watched.assert_clean()


def test_the_watcher_does_see_an_inline_script_without_nonce(page: Page, live_server, people):
    """The negative control: the policy blocks an inline script and the listener reports it."""
    watched = Watched(page)
    watched.goto(f"{live_server.url}/accounts/login/")
    with pytest.raises(Exception, match="Content Security Policy|script"):
        page.add_script_tag(content="window.injected = true")
    assert page.evaluate("window.injected === undefined")
    expect(page.locator("body")).to_be_visible()
    assert any(v.startswith("script-src") for v in watched.violations())


def test_week_grid_cell_saves_through_htmx_under_the_policy(
    page: Page, live_server, client, people
):
    watched = Watched(page)
    _sign_in(page, client, live_server, people["manager_a"])
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday() + 7)
    watched.goto(f"{live_server.url}/entry/week/?week={monday.isoformat()}")
    first = page.locator("tbody.group tr.count-row").nth(0).locator("input.cell-input").nth(0)
    first.focus()
    page.keyboard.type("7")
    page.keyboard.press("Tab")
    expect(page.locator(".grid-status")).to_contain_text("All changes saved at")
    quiet(page)
    assert DailyCount.objects.get().value == 7
    watched.assert_clean()


def test_day_form_saves_through_htmx_under_the_policy(page: Page, live_server, client, people):
    watched = Watched(page)
    _sign_in(page, client, live_server, people["manager_a"])
    watched.goto(f"{live_server.url}/entry/")
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Leads received").fill("12")
    page.get_by_label("Leads received").press("Enter")
    expect(page.locator(".saved-state")).to_contain_text("Saved at")
    # "Saved at" shows once the field's own save is in; Enter's whole form follows it.
    quiet(page)
    assert page.evaluate("window.notReloaded") is True
    assert DailyFact.objects.get().counts.get().value == 12
    watched.assert_clean()
