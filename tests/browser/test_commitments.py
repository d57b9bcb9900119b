"""The morning commitment page in a browser: it loads under the Content-Security-Policy
and a commitment typed there is saved (one page load, one form post)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from plans.commitments import commitments_switch
from plans.models import Commitment
from tests.browser.test_csp import Watched, _sign_in
from tests.factories import channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_commits_to_today_under_the_policy(page: Page, live_server, client, manager_a):
    manager_a.channels.set([channel("inbound")])
    commitments_switch(True)
    watched = Watched(page)
    _sign_in(page, client, live_server, manager_a)
    watched.goto(f"{live_server.url}/dashboard/commit/")
    page.get_by_label("Leads received").fill("9")
    page.get_by_role("button", name="Commit").click()
    expect(page.locator(".messages")).to_contain_text("Commitments saved at")
    found = Commitment.objects.get()
    assert (found.date, found.code, found.value) == (timezone.localdate(), "leads_received", 9)
    watched.assert_clean()
