"""The week grid asks to confirm a value far above the manager's usual: the cell shows why
and a "Save anyway" button, which saves it (marked confirmed-unusual in the history)."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from funnel.models import DailyCount, FactChange
from tests.factories import channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_unusual_value_in_the_week_grid_is_saved_after_save_anyway(
    page: Page, live_server, manager_a, settings
):
    settings.KPI_EDIT_WINDOW_DAYS = 30
    manager_a.channels.set([channel("inbound")])
    client = Client()
    client.force_login(manager_a)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday() + 7)
    page.goto(f"{live_server.url}/entry/week/?week={monday.isoformat()}")
    first = page.locator("td.cell").nth(0)
    first.locator("input.cell-input").fill("140")
    first.locator("input.cell-input").press("Tab")
    first = page.locator("td.cell").nth(0)
    expect(first.locator(".cell-warning")).to_have_text(
        "140 is more than 20, unusual for one day (usually about 0)."
    )
    expect(page.locator(".grid-status")).to_contain_text("confirm it with “Save anyway”")
    assert not DailyCount.objects.exists()
    first.get_by_role("button", name="Save anyway").click()
    expect(page.locator("td.cell").nth(0)).to_have_class("cell saved")
    expect(page.locator(".grid-status")).to_have_text(
        re.compile(r"^All changes saved at \d\d:\d\d\s*$")
    )
    assert DailyCount.objects.get().value == 140
    assert FactChange.objects.get().confirmed_unusual
