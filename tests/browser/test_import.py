"""The import page in a browser: upload, preview, Import; a large file's progress bar while
the background worker checks and writes it."""

import datetime as dt

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from funnel.models import DailyCount, DailyFact, ImportUpload
from tests.factories import write_fact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILE = (
    "\ufeffdate;manager;channel;indicator;value\r\n"
    "05.01.2026;manager_a;active;first_contacts;8\r\n"
    "05.01.2026;manager_a;active;revenue;1 500,50\r\n"
).encode()


@pytest.fixture
def head_page(page: Page, live_server, client, head1, manager_a, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    write_fact(manager_a, "active", dt.date(2026, 1, 5), first_contacts=5)
    client.force_login(head1)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/entry/import/")
    page.set_input_files(
        "#id_file", files=[{"name": "kpi.csv", "mimeType": "text/csv", "buffer": FILE}]
    )
    return page


def first_contacts() -> int:
    return DailyCount.objects.get(indicator__code="first_contacts").value


def test_upload_previews_the_changes_and_imports_on_the_button(head_page: Page):
    page = head_page
    page.get_by_role("button", name="Upload and check").click()
    expect(page.locator(".preview-counts")).to_contain_text(
        "2 rows: 0 new values, 2 changed, 0 unchanged. Nothing is written yet."
    )
    expect(page.locator(".detected")).to_contain_text("read as UTF-8 (BOM), separator “;”")
    rows = page.locator("table.preview-changes tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Active sales: First contacts")
    expect(rows.nth(0).locator("td.num")).to_have_text(["5", "8"])
    assert first_contacts() == 5
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".result-ok h2")).to_have_text("Imported")
    assert first_contacts() == 8
    assert str(DailyFact.objects.get().revenue) == "1500.50"


def test_a_large_file_shows_progress_while_the_worker_runs_it(head_page: Page, settings):
    settings.KPI_IMPORT_BACKGROUND_BYTES = 10
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    page = head_page
    page.get_by_role("button", name="Upload and check").click()
    running = page.locator(".import-running")
    expect(running).to_contain_text("Checking the file…")
    expect(running.locator("progress")).to_have_attribute("value", "0")
    assert ImportUpload.objects.get().status == "checking"

    def work():
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    work()
    # The page polls every second and swaps in the preview once the worker is done.
    expect(page.locator(".preview-counts")).to_contain_text("2 changed", timeout=10_000)
    page.get_by_role("button", name="Import").click()
    expect(running).to_contain_text("Importing…")
    work()
    expect(page.locator(".result-ok h2")).to_have_text("Imported", timeout=10_000)
    assert first_contacts() == 8
