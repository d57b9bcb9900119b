import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from plans.models import Plan

pytestmark = pytest.mark.browser


def next_month() -> dt.date:
    return (timezone.localdate().replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-1234-word")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/dashboard/")


def test_head_types_plans_with_the_keyboard(page: Page, live_server, head1, manager_a, manager_a2):
    log_in(page, live_server, "head1")
    month = f"{next_month():%Y-%m}"
    page.goto(f"{live_server.url}/dashboard/plans/?month={month}")
    a, a2 = manager_a.pk, manager_a2.pk

    def cell(manager_id: int, code: str):
        return page.locator(f"#plan-{manager_id}-active-{code}")

    def focused_cell() -> str:
        return page.evaluate("document.activeElement.closest('td').id")

    # Enter moves down the column, like a spreadsheet.
    cell(a, "first_contacts").locator(".plan-input").click()
    page.keyboard.type("100")
    page.keyboard.press("Enter")
    assert focused_cell() == f"plan-{a2}-active-first_contacts"
    page.keyboard.type("50")
    page.keyboard.press("Enter")  # last row: the cell still saves
    expect(cell(a2, "first_contacts").locator(".cell-status.ok")).to_be_visible()
    expect(cell(a, "first_contacts").locator(".cell-status.ok")).to_be_visible()

    # Tab moves right; arrows move down.
    cell(a, "revenue").locator(".plan-input").click()
    page.keyboard.type("1000")
    page.keyboard.press("Tab")
    assert focused_cell() == f"plan-{a}-active-margin"
    expect(cell(a, "revenue").locator(".cell-status.ok")).to_be_visible()
    page.keyboard.press("Shift+Tab")
    assert focused_cell() == f"plan-{a}-active-revenue"
    page.keyboard.press("ArrowDown")
    assert focused_cell() == f"plan-{a2}-active-revenue"
    page.keyboard.type("2000,5")
    totals = page.locator("table[data-channel=active] tr.total")
    expect(totals.locator('[data-total-col="9"]')).to_have_text("3,000.50")  # live, unsaved
    page.keyboard.press("Tab")
    expect(cell(a2, "revenue").locator(".cell-status.ok")).to_be_visible()

    # A bad value is shown in the cell and saves nothing.
    cell(a, "margin").locator(".plan-input").click()
    page.keyboard.type("-5")
    page.keyboard.press("Tab")
    expect(cell(a, "margin").locator(".cell-status.error")).to_have_text(
        "The value cannot be negative."
    )

    page.reload()
    expect(cell(a, "revenue").locator(".plan-input")).to_have_value("1000.00")
    expect(cell(a2, "revenue").locator(".plan-input")).to_have_value("2000.50")
    expect(cell(a, "first_contacts").locator(".plan-input")).to_have_value("100")
    expect(totals.locator('[data-total-col="9"]')).to_have_text("3,000.50")
    expect(totals.locator('[data-total-col="0"]')).to_have_text("150")
    plans = dict(Plan.objects.filter(indicator="revenue").values_list("manager_id", "value"))
    assert plans == {a: Decimal("1000.00"), a2: Decimal("2000.50")}
    assert not Plan.objects.filter(indicator="margin").exists()


def test_a_frozen_plan_asks_for_a_reason_in_the_cell(page: Page, live_server, head1, manager_a):
    log_in(page, live_server, "head1")
    page.goto(f"{live_server.url}/dashboard/plans/")
    cell = page.locator(f"#plan-{manager_a.pk}-active-revenue")
    cell.locator(".plan-input").click()
    page.keyboard.type("500")
    page.keyboard.press("Tab")
    reason = cell.locator(".plan-reason")
    expect(reason).to_be_focused()
    page.keyboard.type("Late start of the year")
    page.keyboard.press("Enter")
    expect(cell.locator(".cell-status.ok")).to_be_visible()
    expect(cell.locator(".changed-mark")).to_be_visible()
    assert Plan.objects.get().changes.get().reason == "Late start of the year"
