"""The wallboard in Chromium, as a TV shows it: no login, the charts drawn, the panels
rotating, the minute's poll bringing new numbers in, under the real CSP, nothing fetched
from outside; and its screenshot for the README (SCREENSHOTS=1 saves it)."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from channels.models import Channel
from channels.templatetags.kpi_format import money
from dashboards.board import link_create
from tests.browser.conftest import log_in
from tests.browser.test_csp import WATCH_CSP
from tests.factories import write_fact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ROTATE = 15  # seconds per panel


def test_the_board_rotates_its_panels_and_polls_for_new_numbers(browser, live_server, company):
    director = company["director"]
    _link, raw = link_create(
        user=director, label="Sales room", team=None, rotate_seconds=ROTATE, language="en"
    )
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, device_scale_factor=1)
    page = context.new_page()
    outside, errors = [], []
    page.on(
        "request",
        lambda r: None if r.url.startswith((live_server.url, "data:")) else outside.append(r.url),
    )
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(WATCH_CSP)
    # The page's timers (rotation, the htmx poll) run on a clock the test moves.
    page.clock.install()
    page.goto(f"{live_server.url}/board/{raw}/")

    headline = page.locator("#board-headline")
    expect(headline).to_be_visible()
    expect(page.locator(".board-updated")).to_have_text(re.compile(r"Updated at \d\d:\d\d"))
    for hidden in ("pace", "leaders", "funnels"):
        expect(page.locator(f"#board-{hidden}")).to_be_hidden()
    # Names are hidden: the link does not show them.
    expect(page.locator("body")).not_to_contain_text(company["managers"][0].full_name)

    page.clock.run_for(ROTATE * 1000)
    expect(page.locator("#board-pace")).to_be_visible()
    expect(headline).to_be_hidden()
    expect(page.locator('.board-tab[data-show="pace"]')).to_have_attribute("aria-pressed", "true")

    page.clock.run_for(ROTATE * 1000)
    expect(page.locator("#board-leaders")).to_be_visible()
    expect(page.locator("#board-chart-leaders.js-plotly-plot")).to_be_visible()
    expect(page.locator("#board-leaders tbody tr")).to_have_count(6)
    expect(page.locator("#board-leaders tbody")).to_contain_text("Manager 1")
    if os.environ.get("SCREENSHOTS") == "1":
        page.wait_for_timeout(300)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "wallboard.png")

    page.clock.run_for(ROTATE * 1000)
    expect(page.locator("#board-funnels")).to_be_visible()
    for code in Channel.objects.values_list("code", flat=True):
        expect(page.locator(f"#board-chart-{code}.js-plotly-plot")).to_be_visible()

    # New money today; the minute's poll (at 60 s) brings it in, the rotation goes on.
    manager = company["managers"][0]
    code = manager.channels.order_by("pk").first().code
    write_fact(manager, code, timezone.localdate(), revenue=Decimal("777777.00"))
    with page.expect_response(re.compile(rf"/board/{raw}/live/$")):
        page.clock.run_for(ROTATE * 1000)
    expect(headline).to_be_visible()
    with translation.override("en"):
        expected = money(Decimal("777777.00"))
    expect(page.locator("#board-revenue-today")).to_have_text(expected)
    expect(page.locator(".board-updated")).to_have_text(re.compile(r"Updated at \d\d:\d\d"))

    # Pause stops the rotation; a tab shows its panel at once.
    page.click("#board-pause")
    page.clock.run_for(ROTATE * 3000)
    expect(headline).to_be_visible()
    page.click('.board-tab[data-show="funnels"]')
    expect(page.locator("#board-funnels")).to_be_visible()

    assert page.evaluate("window.__cspViolations") == []
    assert outside == []
    assert errors == []
    context.close()


def test_a_head_makes_a_link_and_the_tv_opens_it(browser, live_server, company):
    """The links page's form (its POST passes the CSRF origin check), the address shown once
    with a Copy button, and that address opening the team's board in a browser without a
    session."""
    head = company["heads"][0]
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    log_in(page, live_server, head)
    page.goto(f"{live_server.url}/board/links/")
    page.fill("#id_label", "North TV")
    page.select_option("#id_team", str(company["teams"][0].pk))
    page.click("form.link-form button[type=submit]")
    address = page.locator("#new-board-url")
    expect(address).to_have_value(re.compile(rf"^{live_server.url}/board/[A-Za-z0-9_-]{{43}}/$"))
    expect(page.locator("[data-copy]")).to_be_visible()
    expect(page.locator("table")).to_contain_text("North TV")
    url = address.input_value()
    context.close()

    tv = browser.new_context()
    screen = tv.new_page()
    screen.goto(url)
    expect(screen.locator("h1")).to_contain_text("North")
    expect(screen.locator("#board-headline")).to_be_visible()
    assert tv.cookies() == []
    tv.close()
