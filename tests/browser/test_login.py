import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_manager_logs_in_with_the_keyboard(page: Page, live_server, manager_a):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "manager_a")
    page.fill("#id_password", "pass-1234-word")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/entry/")
    expect(page.locator(".who")).to_have_text("Anna Alekseeva")
