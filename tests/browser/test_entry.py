import datetime as dt
import re
import time
from decimal import Decimal

import pytest
from django.db import OperationalError, connection
from django.utils import timezone
from playwright.sync_api import Page, expect

from funnel.models import MONEY_CODES, DailyCount, DailyFact, FactChange
from funnel.selectors import entry_channels
from teams.models import User
from tests.browser.conftest import log_in, quiet
from tests.factories import channel, write_fact

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
    expect(page.locator(".grid-status")).to_contain_text("All changes saved at")
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
    expect(page.locator(".grid-status")).to_contain_text("All changes saved at")
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
    # "Saved at" shows once the fields' own saves are in; Enter's whole form follows them.
    quiet(page)
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
    page.get_by_label("Leads received").press("Tab")  # saved on its own: refused
    expect(page.locator(".saved-state")).to_have_text(f"Not saved: {DOWN}")
    expect(page.locator(".saved-state")).to_have_class("saved-state error")
    page.get_by_label("Leads received").press("Enter")  # the whole form: refused too
    quiet(page)  # the status already said so: wait for the form's own answer
    expect(page.locator(".saved-state")).to_have_text(f"Not saved: {DOWN}")
    assert not DailyFact.objects.exists()


# ---- entry that cannot corrupt numbers: paste, undo, Escape, formats, the day form ----


def _value(manager, channel_code: str, day: dt.date, code: str):
    """A stored value as the database holds it; None when there is none."""
    fact = DailyFact.objects.filter(manager=manager, channel__code=channel_code, date=day).first()
    if fact is None:
        return None
    if code in MONEY_CODES:
        return getattr(fact, code)
    count = fact.counts.filter(indicator__code=code).first()
    return count and count.value


def _eventually(page: Page, read, expected, seconds: float = 5):
    """What `read` returns once it equals `expected` (a save still on its way when the page
    moved on), else its last answer. It reads only while the page has no request in flight:
    on SQLite the test and the live server share one connection."""
    value = None
    deadline = time.monotonic() + seconds
    while True:
        quiet(page)
        try:
            value = read()
        except OperationalError:  # a request began between the quiet and the read
            value = None
        if value == expected or time.monotonic() > deadline:
            return value
        page.wait_for_timeout(100)


def _paste(locator, text: str) -> None:
    locator.focus()
    locator.evaluate(
        """(el, text) => {
            const data = new DataTransfer();
            data.setData("text/plain", text);
            el.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true}));
        }""",
        text,
    )


def _shown(locator) -> str:
    return locator.input_value().replace("\u00a0", " ").replace("\u202f", " ")


@pytest.fixture
def two_channels(page: Page, live_server, manager_a, settings):
    """manager_a reporting on Inbound and Repeat/VIP, in Russian, with last Monday's Inbound
    money as in the demo company's report."""
    settings.KPI_EDIT_WINDOW_DAYS = 30
    manager_a.channels.set([channel("inbound"), channel("repeat_vip")])
    manager_a.language = "ru"
    manager_a.save()
    monday = last_monday()
    write_fact(manager_a, "inbound", monday, revenue="37365.42", invoiced_amount="24149.62")
    write_fact(manager_a, "repeat_vip", monday, **{_rows(manager_a, "repeat_vip")[0][0]: 3})
    log_in(page, live_server, manager_a)
    page.goto(f"{live_server.url}/entry/week/?week={monday.isoformat()}")
    return page


def _rows(manager, channel_code: str, kind: str = "count") -> list[tuple[str, int]]:
    """(code, channel id) of a channel's grid rows of one kind, top to bottom."""
    (block,) = [b for b in entry_channels(manager) if b.channel.code == channel_code]
    return [
        (r.code, block.channel.pk) for r in block.rows if (r.kind == "money") == (kind == "money")
    ]


def _cell(page: Page, manager, channel_code: str, code: str, day: dt.date):
    ch = channel(channel_code)
    return page.locator(f"#cell-{ch.pk}-{code}-{day:%Y%m%d}-value")


def test_paste_fills_only_its_block_and_undo_restores_it(two_channels, live_server, manager_a):
    page = two_channels
    monday = last_monday()
    counts = [code for code, _ in _rows(manager_a, "inbound")]
    vip_first = _rows(manager_a, "repeat_vip")[0][0]
    saturday, sunday = monday + dt.timedelta(days=5), monday + dt.timedelta(days=6)
    revenue = _cell(page, manager_a, "inbound", "revenue", monday)
    # Stored numbers show in Russian as the totals do.
    assert _shown(revenue) == "37 365,42"

    # A 10 × 3 range pasted 3 rows above the end of Inbound's counts, on Saturday: 3 rows ×
    # 2 days fit; the rest would be money, the total column and Repeat/VIP — left out.
    start = _cell(page, manager_a, "inbound", counts[-3], saturday)
    _paste(start, "\r\n".join(f"{i}\t{i + 10}\t{i + 20}" for i in range(1, 11)) + "\r\n")
    note = page.locator("#paste-note")
    expect(note).to_contain_text("Вставлено значений: 6.")
    expect(note).to_contain_text("за краем блока: 24.")
    expect(page.locator(".grid-status")).to_contain_text("Все изменения сохранены в")
    expect(page.locator("td.cell .htmx-request")).to_have_count(0)
    for i, code in enumerate(counts[-3:]):
        assert (
            _value(manager_a, "inbound", saturday, code),
            _value(manager_a, "inbound", sunday, code),
        ) == (
            i + 1,
            i + 11,
        )
    assert _value(manager_a, "inbound", monday, "revenue") == Decimal("37365.42")
    assert _value(manager_a, "inbound", saturday, "invoiced_amount") == 0  # untouched default
    assert _value(manager_a, "repeat_vip", saturday, vip_first) is None
    assert DailyFact.objects.filter(channel__code="repeat_vip").count() == 1

    # Money in mixed formats, with a word in the middle: the word is not written and is named;
    # payments_count (whole) sits between invoiced and revenue in the money block.
    money = [code for code, _ in _rows(manager_a, "inbound", "money")]
    assert money == ["invoiced_amount", "payments_count", "revenue", "variable_costs"]
    before = FactChange.objects.count()
    stored = {code: _value(manager_a, "inbound", monday, code) for code in money}
    _paste(
        _cell(page, manager_a, "inbound", "invoiced_amount", monday),
        "1 234,50\nоколо 5\n1,234.50\n2\u202f345,6\n7\n",
    )
    expect(note).to_contain_text("Вставлено значений: 3.")
    expect(note).to_contain_text("Не число, не записано: «около 5»")
    expect(note).to_contain_text("за краем блока: 1.")
    expect(page.locator("td.cell .htmx-request")).to_have_count(0)
    expect(revenue).to_have_value("1\u00a0234,50")
    after_paste = {
        code: _value(manager_a, "inbound", monday, code)
        for code in ("invoiced_amount", "payments_count", "revenue", "variable_costs")
    }
    assert after_paste == {
        "invoiced_amount": Decimal("1234.50"),
        "payments_count": 0,
        "revenue": Decimal("1234.50"),
        "variable_costs": Decimal("2345.60"),
    }
    assert FactChange.objects.count() == before + 3

    # Ctrl+Z: every cell of the last paste back, each through a cell post of its own.
    page.keyboard.press("Control+z")  # focus wherever the swaps left it
    expect(note).to_contain_text("Вставка отменена: восстановлено значений: 3.")
    expect(page.locator("td.cell .htmx-request")).to_have_count(0)
    expect(revenue).to_have_value("37\u00a0365,42")
    # The three posts go one after another: none in flight can be the gap between two.
    restored = _eventually(
        page, lambda: {code: _value(manager_a, "inbound", monday, code) for code in money}, stored
    )
    assert restored == stored
    assert stored["revenue"] == Decimal("37365.42")
    assert _eventually(page, FactChange.objects.count, before + 6) == before + 6
    changes = list(
        FactChange.objects.filter(code="revenue", fact__date=monday)
        .order_by("pk")
        .values_list("old_value", "new_value", "source")
    )
    assert changes[-2:] == [
        (Decimal("37365.42"), Decimal("1234.50"), FactChange.Source.GRID),
        (Decimal("1234.50"), Decimal("37365.42"), FactChange.Source.GRID),
    ]

    # Escape undoes a cell's own edit: nothing is posted.
    revenue.focus()
    page.keyboard.type("5")
    page.keyboard.press("Escape")
    expect(revenue).to_have_value("37\u00a0365,42")
    page.keyboard.press("Tab")
    # Typed without separators, shown in Russian once left, stored exactly.
    tuesday_revenue = _cell(page, manager_a, "inbound", "revenue", monday + dt.timedelta(days=1))
    tuesday_revenue.focus()
    page.keyboard.type("302877.4")
    page.keyboard.press("Tab")
    expect(tuesday_revenue).to_have_value("302\u00a0877,40")
    expect(page.locator("td.cell .htmx-request")).to_have_count(0)
    assert _value(manager_a, "inbound", monday + dt.timedelta(days=1), "revenue") == Decimal(
        "302877.40"
    )
    assert _value(manager_a, "inbound", monday, "revenue") == Decimal("37365.42")

    # The parser on its own: Russian and English forms, and what it refuses.
    parsed = page.evaluate(
        """() => [
            ["1 234,50", "ru"], ["1\\u00a0234,50", "ru"], ["1,234.50", "ru"], ["1.234,50", "en"],
            ["1234.5", "ru"], ["1,5", "en"], ["1,234", "en"], ["1,234", "ru"], ["1,234,567", "ru"],
            ["12,34,5", "en"], ["1e5", "en"], ["", "ru"], ["-3", "ru"], ["abc", "en"],
        ].map(([text, lang]) => window.kpiNumbers.parse(text, lang))"""
    )
    assert parsed == [
        "1234.50",
        "1234.50",
        "1234.50",
        "1234.50",
        "1234.5",
        "1.5",
        "1234",
        "1.234",
        "1234567",
        None,
        None,
        "",
        "-3",
        None,
    ]
    rows = page.evaluate("""() => window.kpiNumbers.pasteRows('"1 234,50"\\t2\\r\\n3\\t\\r\\n')""")
    assert rows == [["1 234,50", "2"], ["3", ""]]


def test_day_form_on_a_phone_saves_each_field_and_says_when_it_cannot(
    page: Page, live_server, company
):
    manager_a = User.objects.get(username="petrov")  # Active and Inbound, with plans and norms
    log_in(page, live_server, manager_a)
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(f"{live_server.url}/entry/")
    expect(page.locator(".norms-slot .norms")).to_have_count(1)  # the norms arrived, folded
    expect(page.locator(".norms-slot")).to_be_hidden()
    # The first field is on the first screen.
    box = page.locator("#day-form input.kpi-value").first.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= 667
    assert page.evaluate("window.scrollY") == 0
    leads = page.get_by_label("Leads received")

    # Typed (within the manager's usual), then straight to the week grid: the value was saved
    # on leaving the field.
    leads.fill("17")
    if connection.vendor == "sqlite":
        # SQLite's shared in-memory test database refuses a write and a read at the same
        # moment ("table is locked"), so there the save is waited for; PostgreSQL takes the
        # save still on its way while the next page loads.
        leads.press("Tab")
        expect(page.locator(".saved-state")).to_contain_text("Saved at")
    page.get_by_role("link", name="Week grid").click()
    page.wait_for_url("**/entry/week/**")
    today = timezone.localdate()
    leads_code = _rows(manager_a, "inbound")[0][0]
    assert _eventually(page, lambda: _value(manager_a, "inbound", today, leads_code), 17) == 17

    page.goto(f"{live_server.url}/entry/")
    expect(leads).to_have_value("17")
    state = page.locator(".saved-state")
    # Escape undoes the field's edit.
    leads.fill("18")
    leads.press("Escape")
    expect(leads).to_have_value("17")
    # A refused value: red, with the server's reason, and leaving asks first.
    leads.fill("-5")
    leads.press("Tab")
    expect(state).to_have_text("Not saved: The value cannot be negative.")
    expect(state).to_have_class("saved-state error")
    expect(page.locator(".field-error")).to_have_text("The value cannot be negative.")
    # Far above the manager's usual: not kept until confirmed, and the line says how.
    leads.fill("300")
    leads.press("Tab")
    expect(state).to_contain_text("more than 5× that. To keep it, press Save and confirm.")
    leads.fill("-5")
    leads.press("Tab")
    expect(state).to_have_text("Not saved: The value cannot be negative.")
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name="Week grid").click()
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    assert page.url.rstrip("/").endswith("/entry")
    # Corrected: saved, formatted, and the line says when.
    revenue = page.get_by_role("group", name="Inbound sales").get_by_label(
        "Payments received (revenue)"
    )
    leads.fill("19")
    revenue.fill("302877.4")
    revenue.press("Tab")
    expect(state).to_have_text(re.compile(r"^Saved at \d\d:\d\d$"))
    expect(state).to_have_class("saved-state saved")
    expect(revenue).to_have_value("302,877.40")
    expect(page.locator(".field-error")).to_have_count(0)
    assert _value(manager_a, "inbound", today, "revenue") == Decimal("302877.40")
    assert _value(manager_a, "inbound", today, _rows(manager_a, "inbound")[0][0]) == 19


def test_an_undo_the_moment_a_pastes_answer_lands_restores_every_cell(
    two_channels, live_server, manager_a
):
    # Ctrl+Z while the paste's answers are still coming back: a cell swapped in a moment ago
    # is not wired by htmx until its swap settles, and its undo must not be lost.
    page = two_channels
    monday = last_monday()
    money = [code for code, _ in _rows(manager_a, "inbound", "money")]
    stored = {code: _value(manager_a, "inbound", monday, code) for code in money}
    page.evaluate(
        """() => document.addEventListener("htmx:afterSwap", function undo(event) {
            const input = event.detail.elt.querySelector &&
                event.detail.elt.querySelector("input[data-col]");
            if (!input || input.id.indexOf("-revenue-") < 0) return;
            document.removeEventListener("htmx:afterSwap", undo);
            document.body.dispatchEvent(new KeyboardEvent(
                "keydown", {key: "z", ctrlKey: true, bubbles: true}));
        })"""
    )
    _paste(_cell(page, manager_a, "inbound", "invoiced_amount", monday), "1\n2\n3\n4\n")
    expect(page.locator("#paste-note")).to_contain_text("Вставка отменена")
    restored = _eventually(
        page, lambda: {code: _value(manager_a, "inbound", monday, code) for code in money}, stored
    )
    assert restored == stored
