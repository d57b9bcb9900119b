import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from funnel.models import DailyCount, DailyFact
from tests.factories import channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def logged_in(page: Page, live_server, client, manager_a, settings):
    """A manager reporting on inbound sales only, signed in through the session cookie."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.KPI_EDIT_WINDOW_DAYS = 30
    manager_a.channels.set([channel("inbound")])
    client.force_login(manager_a)
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )
    return page


def last_monday() -> dt.date:
    today = timezone.localdate()
    return today - dt.timedelta(days=today.weekday() + 7)


def cell(page: Page, row: int, day: int):
    """The input of the n-th indicator row (0 = first stage) and day (0 = Monday)."""
    return (
        page.locator("tbody.group tr.count-row, tbody.group tr.money-row")
        .nth(row)
        .locator("td.cell input.cell-input")
        .nth(day)
    )


def test_a_week_typed_with_the_keyboard_is_saved_with_its_totals(logged_in, live_server):
    page = logged_in
    monday = last_monday()
    page.goto(f"{live_server.url}/entry/week/?week={monday.isoformat()}")
    cell(page, 0, 0).focus()
    # Row 1 (leads received): type and Tab along the week; Tab then wraps to row 2, Monday.
    for value in ["5", "6", "7", "8", "9", "1", "2"]:
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    # Row 2: Enter moves down, so fill Monday..Sunday column-wise with arrows.
    page.keyboard.type("3")
    page.keyboard.press("ArrowRight")
    page.keyboard.type("4")
    page.keyboard.press("Enter")  # row 3, Tuesday
    page.keyboard.type("2")
    page.keyboard.press("ArrowUp")  # back to row 2, Tuesday: overwrite
    page.keyboard.type("10")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowLeft")  # row 3, Monday
    page.keyboard.type("1")
    page.keyboard.press("Shift+Tab")  # row 2, Sunday (end of the row above)
    page.keyboard.type("6")
    page.keyboard.press("Enter")
    expect(page.locator(".grid-status")).to_have_text("All changes saved")
    expect(page.locator("td.cell .htmx-request")).to_have_count(0)
    # Totals followed the typing before any reload.
    row_total = page.locator("tbody.group tr.count-row").nth(0).locator("[data-row-total]")
    expect(row_total).to_have_text("38")

    page.reload()
    assert [cell(page, 0, d).input_value() for d in range(7)] == list("5678912")
    assert [cell(page, 1, d).input_value() for d in range(7)] == [
        "3",
        "10",
        "",
        "",
        "",
        "",
        "6",
    ]
    assert [cell(page, 2, d).input_value() for d in range(2)] == ["1", "2"]
    expect(row_total).to_have_text("38")
    expect(
        page.locator("tbody.group tr.count-row").nth(1).locator("[data-row-total]")
    ).to_have_text("19")
    col_totals = page.locator("tr.col-totals [data-col-total]")
    expect(col_totals.nth(0)).to_have_text("9")  # Monday: 5 + 3 + 1
    expect(col_totals.nth(1)).to_have_text("18")  # Tuesday: 6 + 10 + 2
    expect(col_totals.nth(7)).to_have_text("60")
    assert DailyFact.objects.filter(manager__username="manager_a").count() == 7


def test_a_bad_value_shows_its_message_in_the_cell_and_is_not_saved(logged_in, live_server):
    page = logged_in
    page.goto(f"{live_server.url}/entry/week/?week={last_monday().isoformat()}")
    cell(page, 0, 0).focus()
    page.keyboard.type("-3")
    page.keyboard.press("Tab")
    page.keyboard.type("1.5")
    page.keyboard.press("Tab")
    first = page.locator("td.cell").nth(0)
    expect(first.locator(".cell-msg")).to_have_text("The value cannot be negative.")
    expect(page.locator("td.cell").nth(1).locator(".cell-msg")).to_have_text(
        "A count must be a whole number."
    )
    expect(page.locator(".grid-status")).to_have_text(
        "Some values were not saved: see the marked cells."
    )
    assert not DailyCount.objects.exists()


def test_pasting_a_column_fills_the_cells_below(logged_in, live_server):
    page = logged_in
    page.goto(f"{live_server.url}/entry/week/?week={last_monday().isoformat()}")
    target = cell(page, 0, 2)
    target.focus()
    target.evaluate(
        """el => {
            const data = new DataTransfer();
            data.setData("text/plain", "4\\n5\\n6\\n");
            el.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true}));
        }"""
    )
    expect(page.locator(".grid-status")).to_have_text("All changes saved")
    assert sorted(DailyCount.objects.values_list("value", flat=True)) == [4, 5, 6]


def test_day_form_saves_through_htmx_without_a_reload(logged_in, live_server):
    page = logged_in
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/entry/")
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Leads received").fill("12")
    page.get_by_label("Payments received (revenue)").fill("99,5")
    page.get_by_label("Leads received").press("Enter")
    expect(page.locator(".saved-state")).to_contain_text("Saved at")
    assert page.evaluate("window.notReloaded") is True
    fact = DailyFact.objects.get()
    assert (str(fact.revenue), fact.counts.get().value) == ("99.50", 12)
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_head_uploads_a_bad_file_and_sees_every_bad_line(page: Page, live_server, client, head1):
    head1.set_password("pass-1234-word")
    head1.save()
    page.goto(f"{live_server.url}/accounts/login/?next=/entry/import/")
    page.fill("#id_username", "head1")
    page.fill("#id_password", "pass-1234-word")
    page.keyboard.press("Enter")
    page.set_input_files(
        "#id_file",
        files=[
            {
                "name": "kpi.csv",
                "mimeType": "text/csv",
                "buffer": b"date,manager,channel,indicator,value\n"
                b"2026-01-05,ghost,active,first_contacts,1\n"
                b"2026-01-05,ghost,active,meetings_set,-1\n",
            }
        ],
    )
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Upload and check").click()
    rows = page.locator("table.bad-rows tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(2)).to_contain_text("The value cannot be negative.")
    assert page.evaluate("window.notReloaded") is True
    assert not DailyFact.objects.exists()


DOWN = (
    "The database is not answering. Nothing you typed since the last “Saved” was kept. "
    "Try again in a minute."
)


def _database_down(monkeypatch):
    """From now on the session lookup fails as with the database down (before any view)."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import OperationalError

    def load(self):
        raise OperationalError("connection refused")

    monkeypatch.setattr(SessionStore, "load", load)


def test_with_the_database_down_the_grid_says_so_in_the_cell(logged_in, live_server, monkeypatch):
    page = logged_in
    page.goto(f"{live_server.url}/entry/week/?week={last_monday().isoformat()}")
    _database_down(monkeypatch)
    cell(page, 0, 0).focus()
    page.keyboard.type("7")
    page.keyboard.press("Tab")
    expect(page.locator("td.cell").nth(0).locator(".cell-msg")).to_have_text(DOWN)
    assert not DailyCount.objects.exists()


def test_with_the_database_down_the_day_form_says_so(logged_in, live_server, monkeypatch):
    page = logged_in
    page.goto(f"{live_server.url}/entry/")
    _database_down(monkeypatch)
    page.get_by_label("Leads received").fill("12")
    page.get_by_label("Leads received").press("Enter")
    expect(page.locator(".saved-state")).to_have_text(DOWN)
    assert not DailyFact.objects.exists()
