"""The morning commitment page: pre-filled from today's norms, saved by the manager for
today, refused to anyone else, absent while the department's switch is off."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from dashboards import commit_views
from plans.commitments import commitments_switch
from plans.models import Commitment, Plan
from tests.factories import channel

# A Monday; March 2026 has 12 working days from the 16th on, the 16th included.
TODAY = dt.date(2026, 3, 16)
URL = reverse("metrics:commit")


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(commit_views, "_today", lambda: TODAY)
    commitments_switch(True)
    return TODAY


@pytest.fixture
def norm_plan(manager_a):
    """160 prospects this month over 12 working days: a norm of 14 a day (rounded up)."""
    Plan.objects.create(
        month=TODAY.replace(day=1),
        channel=channel("active"),
        manager=manager_a,
        indicator="prospects_added",
        value=Decimal(160),
    )


def field(channel_code: str, code: str) -> str:
    return f"c{channel(channel_code).pk}_{code}"


def stored(manager) -> dict:
    rows = Commitment.objects.filter(manager=manager, date=TODAY)
    return {(c.channel.code, c.code): c.value for c in rows.select_related("channel")}


def test_the_form_offers_each_channels_main_indicator_pre_filled_from_the_norm(
    client, manager_a, today, norm_plan
):
    client.force_login(manager_a)
    html = client.get(URL).content.decode()
    assert f'name="{field("active", "prospects_added")}"\n            value="14"' in html
    # Inbound has no plan, so no norm: its main indicator starts empty.
    assert f'name="{field("inbound", "leads_received")}"\n            value=""' in html
    for code, main in [("repeat_vip", "occasion_contacts"), ("partner", "partner_contacts")]:
        assert f'name="{field(code, main)}"' in html
    assert "first_contacts" not in html  # not a main indicator


def test_the_manager_commits_and_changes_the_commitment_the_same_day(client, manager_a, today):
    client.force_login(manager_a)
    data = {field("active", "prospects_added"): "15", field("inbound", "leads_received"): "7"}
    response = client.post(URL, data)
    assert response.status_code == 302
    assert response["Location"] == URL
    assert stored(manager_a) == {
        ("active", "prospects_added"): 15,
        ("inbound", "leads_received"): 7,
    }
    # The stored value wins over the norm; an emptied field removes the commitment.
    client.post(
        URL, {field("active", "prospects_added"): "1 2", field("inbound", "leads_received"): ""}
    )
    assert stored(manager_a) == {("active", "prospects_added"): 12}
    html = client.get(URL).content.decode()
    assert 'value="12"' in html
    assert "Update my commitments" in html


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-3", "The value cannot be negative."),
        ("2.5", "A count must be a whole number."),
        ("abc", "Enter a number."),
        ("9" * 12, "The number is too large."),
    ],
)
def test_bad_values_save_nothing_and_say_why(client, manager_a, today, raw, message):
    client.force_login(manager_a)
    data = {field("active", "prospects_added"): raw, field("inbound", "leads_received"): "5"}
    response = client.post(URL, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Nothing was saved" in html
    assert stored(manager_a) == {}


def test_bad_values_are_explained_in_russian(client, manager_a, today):
    manager_a.language = "ru"
    manager_a.save()
    client.force_login(manager_a)
    response = client.post(URL, {field("active", "prospects_added"): "-1"})
    html = response.content.decode()
    assert "Значение не может быть отрицательным" in html
    assert "Ничего не сохранено" in html
    assert "Мои обещания на сегодня" in html


def test_a_head_sees_the_commitments_but_cannot_commit_for_the_manager(
    client, head1, team1, manager_a, today
):
    Commitment.objects.create(
        manager=manager_a, date=TODAY, channel=channel("active"), code="prospects_added", value=9
    )
    client.force_login(head1)
    page = client.get(URL, {"manager": manager_a.pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<input" not in html.split('class="commit-table"')[1].split("</table>")[0]
    assert '<td class="num">9' in html
    response = client.post(
        f"{URL}?manager={manager_a.pk}", {field("active", "prospects_added"): "50"}
    )
    assert response.status_code == 403
    assert stored(manager_a) == {("active", "prospects_added"): 9}


def test_other_managers_and_outsiders_do_not_find_the_manager(
    client, manager_a, manager_a2, manager_b, head2, today
):
    for person in (manager_a2, manager_b, head2):
        client.force_login(person)
        assert client.get(URL, {"manager": manager_a.pk}).status_code == 404
        response = client.post(
            f"{URL}?manager={manager_a.pk}", {field("active", "prospects_added"): "3"}
        )
        assert response.status_code == 404
    assert stored(manager_a) == {}
    # Without a manager named, a head has no day of their own to commit to.
    client.force_login(head2)
    assert client.get(URL).status_code == 404


def test_switched_off_there_is_no_page_and_no_link(client, manager_a, today):
    commitments_switch(False)
    client.force_login(manager_a)
    assert client.get(URL).status_code == 404
    assert client.post(URL, {field("active", "prospects_added"): "3"}).status_code == 404
    assert stored(manager_a) == {}
    norms = client.get(reverse("metrics:norms"), headers={"HX-Request": "true"})
    assert URL not in norms.content.decode()


def test_the_day_forms_norms_link_the_page_while_switched_on(client, manager_a, today):
    client.force_login(manager_a)
    norms = client.get(reverse("metrics:norms"), headers={"HX-Request": "true"})
    assert f'<a href="{URL}">Commit to today\'s numbers</a>' in norms.content.decode()
