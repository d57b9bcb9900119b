"""The API reference page renders from the app's own files under the real policy, and the
profile page makes a token in the browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from api.models import ApiToken
from tests.browser.test_csp import Watched, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_reference_page_shows_every_operation_from_local_files(page: Page, live_server):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    watched = Watched(page)
    response = page.goto(f"{live_server.url}/api/docs/")
    assert response.ok
    # The page runs no inline script at all: its policy allows our own files only.
    assert "script-src 'self';" in response.headers["content-security-policy"]
    expect(page.locator(".opblock-summary-path").first).to_be_visible(timeout=15000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/facts/" in [p.replace("\u200b", "") for p in paths]
    assert len(paths) == 9
    assert requested
    assert all(url.startswith(live_server.url) or url.startswith("data:") for url in requested)
    watched.assert_clean()


def test_a_token_is_made_on_the_profile_page(page: Page, live_server, client, manager_a):
    watched = Watched(page)
    _sign_in(page, client, live_server, manager_a)
    watched.goto(f"{live_server.url}/accounts/profile/")
    page.get_by_label("Name of a new token").fill("amoCRM")
    page.get_by_role("button", name="Create token").click()
    shown = page.locator("#new-token").inner_text()
    assert shown.startswith("kpi_")
    assert ApiToken.objects.get().prefix == shown[:8]
    watched.assert_clean()
