import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from funnel.models import DailyCount, DailyFact, FactChange
from tests.factories import channel, make_user, write_fact

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The cast is created with passwords; the default hasher costs ~0.5 s per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def today():
    return timezone.localdate()


def day_url(**params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("funnel:day") + (f"?{query}" if query else "")


def cell_post(client, *, day, code="first_contacts", value="5", channel_code="active", **extra):
    data = {
        "date": day.isoformat(),
        "channel": channel(channel_code).pk,
        "code": code,
        "value": value,
        **extra,
    }
    return client.post(reverse("funnel:cell"), data, headers=HX)


def counts_of(manager):
    return {
        (c.fact.date, c.fact.channel.code, c.indicator.code): c.value
        for c in DailyCount.objects.filter(fact__manager=manager).select_related(
            "fact__channel", "indicator"
        )
    }


def field(code, channel_code="active"):
    return f"c{channel(channel_code).pk}-{code}"


# ---- anonymous visitors ----


@pytest.mark.parametrize("name", ["funnel:day", "funnel:week", "funnel:history", "funnel:import"])
def test_anonymous_visitor_is_sent_to_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anonymous_cell_post_is_sent_to_login_and_writes_nothing(client, manager_a, today):
    response = cell_post(client, day=today, manager=manager_a.pk)
    assert response.status_code == 302
    assert not DailyFact.objects.exists()


# ---- day form ----


def test_day_form_lists_every_channel_of_the_manager_with_stages_in_order(client, manager_a):
    manager_a.channels.set([channel("inbound"), channel("active")])
    client.force_login(manager_a)
    response = client.get(reverse("funnel:day"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Active sales") < html.index("Inbound sales")
    assert "Partner sales" not in html
    positions = [
        html.index(f'name="{field(code, "inbound")}"')
        for code in (
            "leads_received",
            "qualified_leads",
            "consultations_held",
            "contracts_agreed",
            "invoices_issued",
            "invoiced_amount",
            "payments_count",
            "revenue",
            "variable_costs",
        )
    ]
    assert positions == sorted(positions)
    assert "Prospects added to the base" in html


def test_inactive_channels_are_not_offered(client, manager_a):
    ch = channel("partner")
    ch.is_active = False
    ch.save()
    client.force_login(manager_a)
    assert "Partner sales" not in client.get(reverse("funnel:day")).content.decode()


def test_day_form_is_labelled_in_the_users_language(client, manager_a):
    manager_a.language = "ru"
    manager_a.save()
    client.force_login(manager_a)
    html = client.get(reverse("funnel:day")).content.decode()
    translation.activate("en")
    assert "Первичные касания" in html
    assert "Поступившие средства" in html or "выручка" in html.lower()
    assert "Сохранить" in html


def test_day_form_saves_through_htmx_and_says_when(client, manager_a, today):
    client.force_login(manager_a)
    data = {field("first_contacts"): "12", field("revenue"): "1 500,50", field("meetings_set"): ""}
    response = client.post(day_url(), data, headers=HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="day-form"')
    assert "Saved at" in html
    assert "counts-saved" in response["HX-Trigger"]
    fact = DailyFact.objects.get()
    assert (fact.date, fact.revenue, fact.updated_by) == (today, Decimal("1500.50"), manager_a)
    assert counts_of(manager_a) == {(today, "active", "first_contacts"): 12}
    assert FactChange.objects.get(code="first_contacts").source == "form"


def test_plain_post_of_the_day_form_redirects_back_with_a_message(client, manager_a, today):
    client.force_login(manager_a)
    response = client.post(day_url(date=today), {field("first_contacts"): "3"}, follow=True)
    assert response.redirect_chain[0][0] == day_url(date=today.isoformat())
    assert "Saved at" in response.content.decode()
    assert counts_of(manager_a) == {(today, "active", "first_contacts"): 3}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-3", "The value cannot be negative."),
        ("1.5", "A count must be a whole number."),
        ("abc", "Enter a number."),
        ("1e9", "Enter a number written in full: exponents such as 1e9 are not accepted."),
        ("٣", "Enter a number."),
        ("99999999999", "The number is too large."),
    ],
)
def test_invalid_count_comes_back_in_place_and_nothing_is_written(
    client, manager_a, value, message
):
    client.force_login(manager_a)
    data = {field("first_contacts"): value, field("meetings_set"): "4"}
    response = client.post(day_url(), data, headers=HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert f'value="{value}"' in html
    assert not DailyFact.objects.exists()
    assert "HX-Trigger" not in response


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("10.005", "Money has at most 2 decimal places."),
        ("1000000000000", "The amount is too large."),
    ],
)
def test_invalid_money_comes_back_in_place(client, manager_a, value, message):
    client.force_login(manager_a)
    response = client.post(day_url(), {field("revenue"): value}, headers=HX)
    assert message in response.content.decode()
    assert not DailyFact.objects.exists()


def test_emptying_a_stored_value_sets_it_to_zero(client, manager_a, today):
    write_fact(manager_a, "active", today, first_contacts=5)
    client.force_login(manager_a)
    client.post(day_url(), {field("first_contacts"): ""}, headers=HX)
    assert counts_of(manager_a) == {(today, "active", "first_contacts"): 0}


def test_day_form_shows_stored_values_and_the_previous_day(client, manager_a, today):
    write_fact(manager_a, "active", today, first_contacts=7, revenue="20.5")
    write_fact(manager_a, "active", today - dt.timedelta(days=1), first_contacts=41)
    client.force_login(manager_a)
    html = client.get(reverse("funnel:day")).content.decode()
    assert f'name="{field("first_contacts")}" value="7"' in html
    assert f'name="{field("revenue")}" value="20.50"' in html
    assert '<span class="prev" title="Previous day">41</span>' in html
    assert "Last saved" in html


def test_day_form_opens_a_chosen_past_date_with_links_around_it(client, manager_a, today):
    client.force_login(manager_a)
    day = today - dt.timedelta(days=3)
    html = client.get(day_url(date=day.isoformat())).content.decode()
    assert f'value="{day.isoformat()}"' in html
    assert f"?date={(day - dt.timedelta(days=1)).isoformat()}" in html
    assert f"?date={(day + dt.timedelta(days=1)).isoformat()}" in html


def test_today_has_no_next_day_link(client, manager_a):
    client.force_login(manager_a)
    assert 'rel="next"' not in client.get(reverse("funnel:day")).content.decode()


@pytest.mark.parametrize("raw", ["2026-13-01", "yesterday", "2026-1-1", "٢٠٢٦-٠١-٠١", "20260101"])
def test_bad_date_in_the_url_is_a_400_with_a_message(client, manager_a, raw):
    client.force_login(manager_a)
    response = client.get(reverse("funnel:day"), {"date": raw})
    assert response.status_code == 400
    assert "Enter a date as YYYY-MM-DD." in response.content.decode()


@pytest.mark.parametrize("name", ["funnel:day", "funnel:week", "funnel:history"])
@pytest.mark.parametrize("raw", ["0001-01-01", "9999-12-31"])
def test_dates_at_the_ends_of_the_calendar_are_refused(client, manager_a, name, raw):
    client.force_login(manager_a)
    param = "week" if name == "funnel:week" else "date"
    response = client.get(reverse(name), {param: raw})
    assert response.status_code == 400
    assert "Enter a date between the years 2000 and 2100." in response.content.decode()


def test_future_day_cannot_be_opened_or_saved(client, manager_a, today):
    client.force_login(manager_a)
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert client.get(day_url(date=tomorrow)).status_code == 400
    response = client.post(day_url(date=tomorrow), {field("first_contacts"): "1"})
    assert response.status_code == 400
    assert not DailyFact.objects.exists()


def test_unknown_fields_in_a_crafted_post_are_ignored(client, manager_a, today):
    client.force_login(manager_a)
    data = {
        field("first_contacts"): "2",
        f"c{channel('active').pk}-leads_received": "99",
        "c99999-first_contacts": "99",
    }
    client.post(day_url(), data, headers=HX)
    assert counts_of(manager_a) == {(today, "active", "first_contacts"): 2}


def test_manager_without_channels_sees_an_explanation(client, manager_a):
    manager_a.channels.clear()
    client.force_login(manager_a)
    assert "No channels are assigned" in client.get(reverse("funnel:day")).content.decode()


# ---- edit window ----


def test_manager_edits_the_last_seven_days_only(client, manager_a, today, settings):
    settings.KPI_EDIT_WINDOW_DAYS = 7
    client.force_login(manager_a)
    inside, outside = today - dt.timedelta(days=6), today - dt.timedelta(days=7)
    assert client.post(day_url(date=inside), {field("first_contacts"): "1"}).status_code == 302
    response = client.post(day_url(date=outside), {field("first_contacts"): "1"})
    assert response.status_code == 403
    assert counts_of(manager_a) == {(inside, "active", "first_contacts"): 1}


def test_old_day_is_read_only_for_the_manager_and_says_why(client, manager_a, today):
    client.force_login(manager_a)
    html = client.get(day_url(date=today - dt.timedelta(days=10))).content.decode()
    assert "Only the last 7 days can be changed" in html
    assert "disabled" in html
    assert 'type="submit" class="primary"' not in html


def test_edit_window_follows_the_setting(client, manager_a, today, settings):
    settings.KPI_EDIT_WINDOW_DAYS = 2
    client.force_login(manager_a)
    day = today - dt.timedelta(days=2)
    assert client.post(day_url(date=day), {field("first_contacts"): "1"}).status_code == 403


def test_old_cell_cannot_be_saved_by_the_manager(client, manager_a, today):
    client.force_login(manager_a)
    response = cell_post(client, day=today - dt.timedelta(days=8))
    assert response.status_code == 403
    assert "Only the last 7 days" in response.content.decode()
    assert not DailyFact.objects.exists()


def test_head_corrects_an_old_day_and_history_names_the_head(client, head1, manager_a, today):
    old = today - dt.timedelta(days=30)
    write_fact(manager_a, "active", old, first_contacts=5)
    client.force_login(head1)
    response = client.post(
        day_url(date=old, manager=manager_a.pk), {field("first_contacts"): "6"}, headers=HX
    )
    assert response.status_code == 200
    assert counts_of(manager_a) == {(old, "active", "first_contacts"): 6}
    html = client.get(
        reverse("funnel:history"), {"date": old.isoformat(), "manager": manager_a.pk}
    ).content.decode()
    assert "head1" in html
    latest = FactChange.objects.order_by("-id").first()
    assert (latest.changed_by, latest.old_value, latest.new_value) == (head1, 5, 6)


def test_head_corrects_a_cell_of_the_week_grid(client, head1, manager_a, today):
    client.force_login(head1)
    response = cell_post(client, day=today - dt.timedelta(days=20), manager=manager_a.pk)
    assert response.status_code == 200
    assert FactChange.objects.get().changed_by == head1


def test_director_corrects_any_team(client, director, manager_b, today):
    client.force_login(director)
    response = cell_post(client, day=today, manager=manager_b.pk)
    assert response.status_code == 200
    assert counts_of(manager_b) == {(today, "active", "first_contacts"): 5}


# ---- who may read and write whose entries ----


def test_manager_b_cannot_open_manager_a_day_week_or_history(client, manager_a, manager_b):
    client.force_login(manager_b)
    for name in ("funnel:day", "funnel:week", "funnel:history"):
        response = client.get(reverse(name), {"manager": manager_a.pk})
        assert response.status_code == 404, name


def test_manager_b_cannot_write_manager_a_day_or_cell(client, manager_a, manager_b, today):
    client.force_login(manager_b)
    response = client.post(day_url(manager=manager_a.pk), {field("first_contacts"): "1"})
    assert response.status_code == 404
    response = client.post(day_url(), {field("first_contacts"): "1", "manager": manager_a.pk})
    assert response.status_code == 404
    assert cell_post(client, day=today, manager=manager_a.pk).status_code == 404
    assert not DailyFact.objects.exists()


def test_head2_cannot_touch_team1(client, head2, manager_a, today):
    client.force_login(head2)
    assert client.get(day_url(manager=manager_a.pk)).status_code == 404
    assert client.get(reverse("funnel:week"), {"manager": manager_a.pk}).status_code == 404
    assert cell_post(client, day=today, manager=manager_a.pk).status_code == 404
    assert not DailyFact.objects.exists()


def test_head_cannot_write_for_another_head(client, head1, head2, today):
    client.force_login(head1)
    assert cell_post(client, day=today, manager=head2.pk).status_code == 404


def test_head_without_a_manager_chooses_one_from_their_teams(client, head1, manager_a, manager_b):
    client.force_login(head1)
    html = client.get(reverse("funnel:day")).content.decode()
    assert f"?manager={manager_a.pk}" in html
    assert f"?manager={manager_b.pk}" not in html


@pytest.mark.parametrize("raw", ["abc", "-1", "1.5", "99999999999999999999999", "١"])
def test_junk_manager_id_is_refused(client, manager_a, raw):
    client.force_login(manager_a)
    assert client.get(reverse("funnel:week"), {"manager": raw}).status_code == 404


def test_manager_can_pass_their_own_id(client, manager_a):
    client.force_login(manager_a)
    assert client.get(day_url(manager=manager_a.pk)).status_code == 200


# ---- week grid ----


def test_week_grid_shows_values_row_and_column_totals(client, manager_a, today):
    monday = today - dt.timedelta(days=today.weekday())
    write_fact(manager_a, "active", monday, first_contacts=3, meetings_set=1, revenue="10.50")
    if today > monday:
        write_fact(manager_a, "active", monday + dt.timedelta(days=1), first_contacts=4)
    client.force_login(manager_a)
    response = client.get(reverse("funnel:week"))
    assert response.status_code == 200
    html = response.content.decode()
    groups = response.context["groups"]
    active = groups[0]
    assert active.block.channel.code == "active"
    rows = {r.row.code: r for r in active.rows}
    expected_first = 7 if today > monday else 3
    assert rows["first_contacts"].total == expected_first
    assert rows["revenue"].total == Decimal("10.50")
    assert active.day_totals[0] == 4
    assert active.week_total == expected_first + 1
    assert "10.50" in html
    assert 'hx-post="/entry/cell/"' in html


def test_week_grid_accepts_any_day_of_the_week(client, manager_a):
    client.force_login(manager_a)
    response = client.get(reverse("funnel:week"), {"week": "2026-01-08"})
    assert [d.isoformat() for d in response.context["days"]][0] == "2026-01-05"
    assert "?week=2025-12-29" in response.content.decode()


def test_week_grid_makes_future_and_old_days_read_only(client, manager_a, today):
    client.force_login(manager_a)
    response = client.get(reverse("funnel:week"))
    for group in response.context["groups"]:
        for cell in group.rows[0].cells:
            assert cell.editable == (cell.day <= today)
    old = client.get(reverse("funnel:week"), {"week": (today - dt.timedelta(days=60)).isoformat()})
    assert not any(c.editable for g in old.context["groups"] for r in g.rows for c in r.cells)
    assert "Only the last 7 days can be changed" in old.content.decode()


def test_week_grid_htmx_navigation_returns_only_the_grid(client, manager_a):
    client.force_login(manager_a)
    response = client.get(reverse("funnel:week"), {"week": "2026-01-05"}, headers=HX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="week"')
    assert "<html" not in html


def test_cell_saves_and_returns_the_saved_cell(client, manager_a, today):
    client.force_login(manager_a)
    response = cell_post(client, day=today, value="08")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<td id="cell-')
    assert 'class="cell saved"' in html
    assert 'value="8"' in html
    assert "counts-saved" in response["HX-Trigger"]
    assert counts_of(manager_a) == {(today, "active", "first_contacts"): 8}
    assert FactChange.objects.get().source == "grid"


def test_saved_cell_brings_its_totals_and_the_status_out_of_band(client, manager_a, today):
    monday = today - dt.timedelta(days=today.weekday())
    write_fact(manager_a, "active", monday, first_contacts=3, meetings_set=2)
    client.force_login(manager_a)
    response = cell_post(client, day=today, value="4" if today > monday else "7")
    html = response.content.decode()
    active = channel("active").pk
    # The row total of first contacts, the channel's day totals and the status line.
    assert f'<td id="total-{active}-first_contacts" class="num total"' in html
    assert f'<tr id="totals-{active}" class="col-totals" hx-swap-oob="true">' in html
    assert html.count('hx-swap-oob="true"') == 3
    assert html.count("<template>") == 2
    row_total = html.split(f'id="total-{active}-first_contacts"')[1].split("</td>")[0]
    assert row_total.split(">")[-1].strip() == "7"
    assert ">9<" in html.split(f'id="totals-{active}"')[1].replace("\n", "").replace(" ", "")
    status = html.split('id="grid-status"')[1].split("</p>")[0]
    assert 'class="grid-status saved"' in html
    assert re.search(r"All changes saved at \d\d:\d\d\s*$", status)


def test_refused_value_brings_the_error_status_but_no_totals(client, manager_a, today):
    client.force_login(manager_a)
    html = cell_post(client, day=today, value="-1").content.decode()
    assert 'class="grid-status error"' in html
    assert "Not saved: The value cannot be negative." in html
    assert 'aria-invalid="true"' in html
    assert "col-totals" not in html


def test_cell_is_a_form_that_works_as_a_plain_post(client, manager_a, today):
    client.force_login(manager_a)
    page = client.get(reverse("funnel:week")).content.decode()
    assert 'class="cell-form" method="post" action="/entry/cell/"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    data = {"date": today.isoformat(), "channel": channel("active").pk, "code": "first_contacts"}
    response = client.post(reverse("funnel:cell"), {**data, "value": "6"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("funnel:week") + "?week=")
    assert counts_of(manager_a) == {(today, "active", "first_contacts"): 6}
    refused = client.post(reverse("funnel:cell"), {**data, "value": "-6"})
    assert refused.status_code == 400
    assert "cannot be negative" in refused.content.decode()


def test_cell_saves_money_with_a_decimal_comma(client, manager_a, today):
    client.force_login(manager_a)
    cell_post(client, day=today, code="revenue", value="1 234,5")
    assert DailyFact.objects.get().revenue == Decimal("1234.50")


@pytest.mark.parametrize(
    ("value", "message"),
    [("-3", "cannot be negative"), ("1.5", "whole number"), ("x", "Enter a number")],
)
def test_bad_cell_value_shows_its_message_in_the_cell(client, manager_a, today, value, message):
    client.force_login(manager_a)
    response = cell_post(client, day=today, value=value)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<td id="cell-')
    assert 'class="cell error"' in html
    assert message in html
    assert "cell-invalid" in response["HX-Trigger"]
    assert not DailyFact.objects.exists()


def test_saving_the_same_cell_twice_keeps_one_row_and_two_changes(client, manager_a, today):
    client.force_login(manager_a)
    cell_post(client, day=today, value="1")
    cell_post(client, day=today, value="2")
    assert DailyCount.objects.count() == 1
    assert list(FactChange.objects.order_by("id").values_list("old_value", "new_value")) == [
        (None, 1),
        (1, 2),
    ]


@pytest.mark.parametrize(
    ("override", "status"),
    [
        ({"channel": "999999"}, 400),
        ({"channel": "abc"}, 400),
        ({"code": "nonsense"}, 400),
        ({"code": "leads_received"}, 400),
        ({"date": "2026-02-30"}, 400),
        ({"date": ""}, 400),
    ],
)
def test_crafted_cell_posts_are_refused_with_a_message(client, manager_a, today, override, status):
    client.force_login(manager_a)
    data = {
        "date": today.isoformat(),
        "channel": channel("active").pk,
        "code": "first_contacts",
        "value": "1",
    }
    data.update(override)
    response = client.post(reverse("funnel:cell"), data, headers=HX)
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/plain")
    assert response.content
    assert not DailyFact.objects.exists()


def test_cell_of_a_channel_the_manager_does_not_report_on_is_refused(client, manager_a, today):
    manager_a.channels.set([channel("active")])
    client.force_login(manager_a)
    response = cell_post(client, day=today, channel_code="inbound", code="leads_received")
    assert response.status_code == 400
    assert not DailyFact.objects.exists()


def test_future_cell_is_refused(client, manager_a, today):
    client.force_login(manager_a)
    assert cell_post(client, day=today + dt.timedelta(days=1)).status_code == 403


def test_cell_refusal_is_translated(client, manager_a, today):
    manager_a.language = "ru"
    manager_a.save()
    client.force_login(manager_a)
    response = cell_post(client, day=today, code="nonsense")
    translation.activate("en")
    assert response.content.decode() == "Неизвестный показатель."


def test_cell_get_is_not_allowed(client, manager_a):
    client.force_login(manager_a)
    assert client.get(reverse("funnel:cell")).status_code == 405


# ---- history ----


def test_cell_history_lists_only_that_value(client, manager_a, head1, today):
    write_fact(manager_a, "active", today, first_contacts=1, meetings_set=2)
    write_fact(manager_a, "active", today, first_contacts=3, by=head1, source="grid")
    client.force_login(manager_a)
    response = client.get(
        reverse("funnel:history"),
        {
            "date": today.isoformat(),
            "channel": channel("active").pk,
            "code": "first_contacts",
        },
    )
    entries = response.context["entries"]
    assert [(e.author, e.old, e.new, e.source) for e in entries] == [
        ("head1", 1, 3, "week grid"),
        ("Anna Alekseeva", None, 1, "day form"),
    ]


def test_day_history_covers_every_channel(client, manager_a, today):
    write_fact(manager_a, "active", today, first_contacts=1)
    write_fact(manager_a, "inbound", today, revenue="99.90")
    client.force_login(manager_a)
    response = client.get(reverse("funnel:history"), {"date": today.isoformat()})
    html = response.content.decode()
    assert {e.channel for e in response.context["entries"]} == {"Active sales", "Inbound sales"}
    assert "99.90" in html


def test_head_of_the_team_and_the_director_see_the_history(client, head1, director, manager_a):
    for viewer in (head1, director):
        client.force_login(viewer)
        response = client.get(reverse("funnel:history"), {"manager": manager_a.pk})
        assert response.status_code == 200


def test_other_head_and_other_manager_cannot_see_the_history(
    client, head2, manager_a2, manager_a, today
):
    write_fact(manager_a, "active", today, first_contacts=1)
    for outsider in (head2, manager_a2):
        client.force_login(outsider)
        response = client.get(
            reverse("funnel:history"),
            {"manager": manager_a.pk, "channel": channel("active").pk, "code": "first_contacts"},
        )
        assert response.status_code == 404


def test_history_with_a_junk_code_is_a_400(client, manager_a):
    client.force_login(manager_a)
    response = client.get(
        reverse("funnel:history"), {"channel": channel("active").pk, "code": "<script>"}
    )
    assert response.status_code == 400


# ---- navigation ----


def test_nav_offers_week_to_managers_and_import_to_heads(client, manager_a, head1):
    client.force_login(manager_a)
    html = client.get(reverse("funnel:day")).content.decode()
    assert reverse("funnel:week") in html
    assert reverse("funnel:import") not in html
    client.force_login(head1)
    assert reverse("funnel:import") in client.get(reverse("funnel:day")).content.decode()


def test_inactive_manager_is_not_reachable(client, head1, team1):
    gone = make_user("gone", team=team1, is_active=False)
    client.force_login(head1)
    assert client.get(day_url(manager=gone.pk)).status_code == 404


def test_week_grid_and_history_read_in_russian(client, manager_a, today):
    write_fact(manager_a, "active", today, first_contacts=1)
    manager_a.language = "ru"
    manager_a.save()
    client.force_login(manager_a)
    week = client.get(reverse("funnel:week")).content.decode()
    history = client.get(reverse("funnel:history")).content.decode()
    translation.activate("en")
    assert "Моя неделя" in week
    assert "Этапы и активности, итого" in week
    assert "История дня" in history
    assert "форма дня" in history


def test_day_page_loads_the_managers_norms_for_the_day_it_shows(client, manager_a, head1):
    client.force_login(manager_a)
    today = timezone.localdate()
    page = client.get(reverse("funnel:day")).content.decode()
    assert f'hx-get="{reverse("metrics:norms")}?date={today:%Y-%m-%d}"' in page
    client.force_login(head1)
    day = today - dt.timedelta(days=3)
    page = client.get(reverse("funnel:day"), {"manager": manager_a.pk, "date": day}).content
    expected = f'hx-get="{reverse("metrics:norms")}?date={day:%Y-%m-%d}&amp;manager={manager_a.pk}"'
    assert expected in page.decode()


def test_a_cell_save_costs_a_fixed_number_of_queries(
    client, head1, manager_a, django_assert_num_queries
):
    from django.db import connection

    from tests.factories import channel, write_fact

    day = dt.date.today() - dt.timedelta(days=1)
    write_fact(manager_a, "active", day, first_contacts=1)
    client.force_login(head1)
    data = {
        "manager": manager_a.pk,
        "date": day.isoformat(),
        "channel": channel("active").pk,
        "code": "first_contacts",
        "value": "3",
    }
    client.post(reverse("funnel:cell"), data, headers={"HX-Request": "true"})
    data["value"] = "4"
    # Session, user, the manager, the manager's channels and the catalogue's token
    # (funnel.catalogue), the head's teams, the week's values (one query, read once: the old
    # value and, after the save, the totals the answer carries), the write (facts_write: 12,
    # PostgreSQL also locks the pivot's table).
    pivot_lock = 1 if connection.vendor == "postgresql" else 0
    with django_assert_num_queries(20 + pivot_lock):
        response = client.post(reverse("funnel:cell"), data, headers={"HX-Request": "true"})
    assert response.status_code == 200
