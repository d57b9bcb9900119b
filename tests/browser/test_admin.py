"""The admin as `make run` runs it (DEBUG on: every SQL statement goes through the debug
cursor): an admin creates a channel with five stages and an activity in the browser."""

import pytest
from playwright.sync_api import Page, expect

from channels.models import Channel

pytestmark = pytest.mark.browser

ROWS = [
    ("stage", "first_touch"),
    ("stage", "demo_booked"),
    ("stage", "demo_held"),
    ("stage", "offer_sent"),
    ("stage", "invoices_issued"),
    ("activity", "calls_made"),
]


@pytest.mark.django_db(transaction=True)
def test_an_admin_creates_a_channel_in_the_browser(page: Page, live_server, settings, admin_user):
    settings.DEBUG = True
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "pass-1234-word")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/dashboard/")
    page.goto(f"{live_server.url}/admin/channels/channel/add/")
    page.fill("#id_code", "webinars")
    page.fill("#id_name_en", "Webinars")
    page.fill("#id_name_ru", "Вебинары")
    page.select_option("#id_kind", index=1)
    page.fill("#id_main_indicator", "first_touch")
    page.fill("#id_colour", "#336699")
    page.fill("#id_display_order", "9")
    order = {"stage": 0, "activity": 0}
    for i, (kind, code) in enumerate(ROWS):
        page.locator(".add-row a").click()
        order[kind] += 1
        page.select_option(f"#id_indicators-{i}-kind", kind)
        page.fill(f"#id_indicators-{i}-order", str(order[kind]))
        page.fill(f"#id_indicators-{i}-code", code)
        page.fill(f"#id_indicators-{i}-name_en", code.replace("_", " "))
        page.fill(f"#id_indicators-{i}-name_ru", code)
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_have_text(
        "The channel “Webinars” was added successfully."
    )
    channel = Channel.objects.get(code="webinars")
    stages = channel.indicators.filter(kind="stage").order_by("order")
    assert [i.code for i in stages] == [code for kind, code in ROWS if kind == "stage"]
    assert [i.code for i in channel.indicators.filter(kind="activity")] == ["calls_made"]
