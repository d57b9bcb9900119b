"""The one-to-one sheet prints on one A4 page, the site's chrome left out; the bottleneck
finder in the browser."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_dashboard import SCREENSHOTS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_sheet_prints_on_one_a4_page(page, live_server, company, language):
    director = company["director"]
    director.language = language
    director.save(update_fields=["language"])
    manager = company["managers"][0]
    log_in(page, live_server, director)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/dashboard/one-to-one/{manager.pk}/?period=this_month")
    expect(page.locator("#sheet-plan")).to_be_visible()
    expect(page.locator(".topbar")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator(".sheet-tools")).to_be_hidden()
    pdf = page.pdf(format="A4", print_background=True)
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages == 1
    assert errors == []
    if os.environ.get("SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"one-to-one-{language}.png", full_page=True)


def test_the_finder_lists_leaks_and_swaps_on_a_filter(page, live_server, company):
    log_in(page, live_server, company["director"])
    page.goto(f"{live_server.url}/dashboard/leaks/")
    expect(page.locator("#leaks-all h2")).to_be_visible()
    team = company["teams"][0]
    page.evaluate("window.notReloaded = true")
    page.select_option("#id_team", str(team.pk))
    expect(page).to_have_url(re.compile(rf"team={team.pk}"))
    assert page.evaluate("window.notReloaded") is True
    if os.environ.get("SCREENSHOTS") == "1":
        page.set_viewport_size({"width": 1366, "height": 900})
        page.screenshot(path=Path(SCREENSHOTS) / "leaks-en.png", full_page=True)
