"""Long tables on the dashboard: the leaderboard and "where managers lose clients" show their
first rows (the top of the board, the worst conversions) until the reader asks for all."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from dashboards.dashboard import CONVERSION_ROWS_SHOWN, LEADERBOARD_SHOWN
from metrics.pace import MIN_SAMPLE
from plans.models import Plan
from tests.factories import channel, make_user, write_fact
from tests.metrics.test_dashboard import make_dashboard
from tests.metrics.test_views import HTMX, QUERIES, SNAPSHOT, dashboard_url, my_url

DAY = dt.date(2025, 3, 3)


@pytest.fixture
def board_of_25(team1):
    """25 managers with a revenue plan of 1000: manager k (01…25) earned k × 10, so the
    board ranks them 25, 24, … 1. Twelve of them also have active-sales funnels."""
    people = []
    for k in range(1, 26):
        person = make_user(f"m{k:02d}", team=team1, full_name=f"Manager {k:02d}")
        counts = {"first_contacts": 20, "invoices_issued": 2 * (k % 10)} if k <= 12 else {}
        write_fact(person, "active", DAY, revenue=f"{k * 10}.00", payments_count=1, **counts)
        Plan.objects.create(
            month=dt.date(2025, 3, 1),
            channel=channel("active"),
            manager=person,
            indicator="revenue",
            value=Decimal(1000),
        )
        people.append(person)
    return people


def rows_of(body: str, table: str) -> list[str]:
    """The usernames (leaderboard) or names (conversions) of a table's body rows, in order."""
    section = re.split(f'<table class="{table}"[^>]*>', body, maxsplit=1)[1].split("</table>", 1)[0]
    tbody = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    if table == "leaderboard":
        return re.findall(r'<tr data-manager="([^"]+)">', tbody)
    return re.findall(r"<tr><td>([^<]+)</td>", tbody)


def get(client, **params) -> str:
    """A panel (`panel=`) or else the whole page (`full=1`: every panel in one response)."""
    if "panel" not in params:
        params["full"] = 1
    response = client.get(dashboard_url(**params), headers=HTMX if "panel" in params else {})
    assert response.status_code == 200
    return response.content.decode()


# --- the leaderboard ----------------------------------------------------------------------


def test_the_leaderboard_shows_the_top_20_and_offers_the_rest(client, director, board_of_25):
    client.force_login(director)
    body = get(client)
    assert rows_of(body, "leaderboard") == [f"m{k:02d}" for k in range(25, 5, -1)]
    assert "Showing 20 of 25." in body
    link = re.search(r'<a href="([^"]*)" hx-get="([^"]*)"[^>]*>Show all</a>', body)
    href, hx_get = (value.replace("&amp;", "&") for value in link.groups())
    assert href.endswith("&all=leaderboard#leaderboard")
    assert "panel=" not in href  # without JavaScript: the whole page again
    assert hx_get.endswith("&panel=leaderboard&all=leaderboard")
    assert 'hx-target="#leaderboard" hx-swap="outerHTML"' in link.group(0)
    # The link keeps the filters.
    assert "date_from=2025-03-01" in href
    assert "date_from=2025-03-01" in hx_get


@pytest.mark.parametrize("panel", [None, "leaderboard"])
def test_all_leaderboard_shows_every_manager(client, director, board_of_25, panel):
    client.force_login(director)
    params = {"all": "leaderboard"} | ({"panel": panel} if panel else {})
    body = get(client, **params)
    assert rows_of(body, "leaderboard") == [f"m{k:02d}" for k in range(25, 0, -1)]
    assert "Showing" not in body.split('<section id="leaderboard"', 1)[1].split("</section>")[0]


@pytest.mark.parametrize("value", ["bogus", "drill", "", "LEADERBOARD", "leaderboard "])
def test_other_values_of_all_are_ignored(client, director, board_of_25, value):
    client.force_login(director)
    for params in ({"all": value}, {"all": value, "panel": "leaderboard"}):
        body = get(client, **params)
        assert len(rows_of(body, "leaderboard")) == LEADERBOARD_SHOWN
        assert "Showing 20 of 25." in body


def test_showing_all_conversions_leaves_the_leaderboard_cut(client, director, board_of_25):
    client.force_login(director)
    body = get(client, all="conversions")
    assert len(rows_of(body, "leaderboard")) == LEADERBOARD_SHOWN
    assert len(rows_of(body, "conversions")) == 12
    # Without JavaScript, opening the leaderboard too keeps the conversions open.
    assert "all=conversions&amp;all=leaderboard#leaderboard" in body


def test_a_short_leaderboard_has_no_show_all_line(client, director, march_facts):
    client.force_login(director)
    body = get(client)
    assert len(rows_of(body, "leaderboard")) == 3
    assert "Showing" not in body
    assert "Show all" not in body


@pytest.mark.parametrize("show_all", [(), ("leaderboard",)])
def test_the_chart_draws_the_top_20_only(director, board_of_25, show_all):
    dash = make_dashboard(director, show_all=show_all)
    assert len(dash.leaderboard_shown.rows) == (25 if show_all else 20)
    figure = dash.leaderboard_figure  # the same, whatever the table shows
    bar = figure["data"][0]
    # Plotly draws the first bar at the bottom: the best completion is the last one.
    assert bar["y"] == [f"Manager {k:02d}" for k in range(6, 26)]
    assert figure["layout"]["height"] == 60 + 28 * LEADERBOARD_SHOWN


def test_the_exports_keep_every_row(client, director, board_of_25):
    client.force_login(director)
    query = dashboard_url().split("?", 1)[1]

    def export_lines(table):
        url = reverse("metrics:export", args=[table, "csv"]) + "?" + query
        return client.get(url).content.decode("utf-8-sig").strip().splitlines()

    assert len(export_lines("leaderboard")) == 1 + 25
    # Every manager with active-sales numbers, and the channel's total.
    active = [line.split(",")[1] for line in export_lines("conversions") if "Active sales" in line]
    assert sorted(set(active)) == ["All managers"] + [f"Manager {k:02d}" for k in range(1, 13)]


@pytest.mark.parametrize("panel", ["leaderboard", "conversions"])
def test_showing_all_costs_no_extra_query(
    client, director, board_of_25, django_assert_num_queries, panel
):
    client.force_login(director)
    with django_assert_num_queries(QUERIES[panel] + SNAPSHOT):
        assert client.get(dashboard_url(panel=panel, all=panel), headers=HTMX).status_code == 200


# --- where managers lose clients -----------------------------------------------------------


def test_conversions_list_the_worst_funnel_first(director, team1):
    def manager(name, **counts):
        person = make_user(team=team1, full_name=name)
        write_fact(person, "active", DAY, **counts)

    manager("Anna", first_contacts=100, invoices_issued=50)  # 50 %
    manager("Boris", first_contacts=100, invoices_issued=10)  # 10 %
    manager("Vera", meetings_set=3, invoices_issued=1)  # no first stage: no conversion
    manager("Alla", first_contacts=200, invoices_issued=20)  # 10 %, before Boris by name
    manager("Gleb", first_contacts=40)  # 0 %: the worst
    manager("Dina", meetings_set=2)  # no conversion either: with Vera, by name
    manager("Egor", first_contacts=50, invoices_issued=60)  # 120 %: real, shown as it is
    # 0 % of 19 (MIN_SAMPLE is 20) says nothing yet: after everyone ranked, before the rows
    # without a conversion.
    manager("Fedor", first_contacts=MIN_SAMPLE - 1)
    active = make_dashboard(director).conversion_blocks[0]
    assert active.channel.code == "active"
    assert [row.manager.full_name for row in active.rows] == [
        "Gleb",
        "Alla",
        "Boris",
        "Anna",
        "Egor",
        "Fedor",
        "Dina",
        "Vera",
    ]
    fedor = active.rows[5].cells
    assert [cell.previous for cell in fedor] == [None, MIN_SAMPLE - 1, 0, 0, 0, 0]
    assert fedor[1].small_sample
    assert not active.rows[0].cells[1].small_sample


def test_each_channel_shows_its_10_worst_and_keeps_its_total(client, director, board_of_25):
    client.force_login(director)
    body = get(client, panel="conversions")
    # Conversions 2 (k % 10) / 20: k = 10 (0 %), 1 and 11 (10 %), 2 and 12 (20 %), 3 … 7.
    worst = [10, 1, 11, 2, 12, 3, 4, 5, 6, 7]
    assert rows_of(body, "conversions") == [f"Manager {k:02d}" for k in worst]
    assert len(worst) == CONVERSION_ROWS_SHOWN
    assert "Showing 10 of 12." in body
    link = re.search(r'<a href="([^"]*)" hx-get="([^"]*)"[^>]*>Show all</a>', body)
    assert link.group(1).endswith("&amp;all=conversions#conversions-active")
    assert link.group(2).endswith("&amp;panel=conversions&amp;all=conversions")
    assert 'hx-target="#conversions"' in link.group(0)
    assert 'id="conversions-active"' in body
    # The channel's total still counts everyone: 12 × 20 first contacts.
    tfoot = body.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    assert "All managers" in tfoot
    assert ">240<" in tfoot
    # Other channels have no numbers: no line under them.
    assert body.count("Show all") == 1

    whole = get(client, panel="conversions", all="conversions")
    assert len(rows_of(whole, "conversions")) == 12
    assert "Show all" not in whole


def test_my_numbers_show_the_conversions_panel_with_any_all(client, manager_a):
    write_fact(manager_a, "active", DAY, first_contacts=10, invoices_issued=2)
    client.force_login(manager_a)
    for value in ("conversions", "leaderboard", "bogus"):
        for url in (my_url(all=value, full=1), my_url(panel="conversions", all=value)):
            response = client.get(url, headers=HTMX if "panel" in url else {})
            assert response.status_code == 200
            body = response.content.decode()
            assert rows_of(body, "conversions") == [manager_a.display_name]
            assert "Show all" not in body
            assert "lowest funnel conversion" not in body  # one row: nothing is ordered


# --- Russian -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        (1, "Показан 1 из 30."),
        (2, "Показаны 2 из 30."),
        (20, "Показано 20 из 30."),
        (21, "Показан 21 из 30."),
    ],
)
def test_the_line_agrees_with_its_number_in_russian(shown, expected):
    with translation.override("ru"):
        line = translation.ngettext(
            "Showing %(counter)s of %(total)s.", "Showing %(counter)s of %(total)s.", shown
        )
        assert line % {"counter": shown, "total": 30} == expected


def test_the_russian_page_says_how_many_are_shown(client, director, board_of_25):
    director.language = "ru"
    director.save(update_fields=["language"])
    client.force_login(director)
    with translation.override("en"):  # the user's language stays with the request
        body = get(client, panel="leaderboard")
    assert "Показано 20 из 25." in body
    assert ">Показать всех</a>" in body
