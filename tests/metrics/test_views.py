import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from dashboards import views
from tests.factories import make_user, write_fact
from tests.metrics.conftest import MARCH

PANELS = ["cards", "drill", "funnel", "trend", "leaderboard", "conversions", "plans", "missing"]
MY_PANELS = ["cards", "drill", "funnel", "trend", "rank", "conversions", "plans", "missing"]
HTMX = {"HX-Request": "true"}


def dashboard_url(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in {**MARCH, **params}.items())
    return f"{reverse('metrics:dashboard')}?{query}"


def my_url(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in {**MARCH, **params}.items())
    return f"{reverse('metrics:my')}?{query}"


@pytest.fixture
def fixed_today(monkeypatch):
    monkeypatch.setattr(views, "_today", lambda: dt.date(2025, 3, 11))


# --- who may open what ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        reverse("metrics:dashboard"),
        reverse("metrics:dashboard") + "?panel=cards",
        reverse("metrics:my"),
        reverse("metrics:export", args=["leaderboard", "csv"]),
        reverse("metrics:my_export", args=["funnel", "xlsx"]),
    ],
)
def test_anonymous_visitor_is_sent_to_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("panel", ["", *PANELS])
def test_manager_is_refused_the_team_dashboard_and_every_panel(client, manager_a, panel):
    client.force_login(manager_a)
    assert client.get(dashboard_url(panel=panel)).status_code == 403
    assert client.get(reverse("metrics:export", args=["funnel", "csv"])).status_code == 403


@pytest.mark.parametrize("user", ["head1", "director", "admin_user"])
def test_leaders_have_no_my_numbers_page(client, request, user):
    client.force_login(request.getfixturevalue(user))
    assert client.get(reverse("metrics:my")).status_code == 403
    assert client.get(reverse("metrics:my_export", args=["funnel", "csv"])).status_code == 403


def test_head_sees_only_their_team_and_its_managers(client, head1, march_facts, manager_b):
    client.force_login(head1)
    response = client.get(dashboard_url())
    assert response.status_code == 200
    form = response.context["form"]
    assert [t.name for t in form.fields["team"].queryset] == ["Team 1"]
    assert {m.username for m in form.fields["manager"].queryset} == {"manager_a", "manager_a2"}
    board = response.context["dash"].leaderboard
    assert [row.manager.username for row in board] == ["manager_a2", "manager_a"]
    body = response.content.decode()
    assert "Boris Belov" not in body
    # Revenue of team 1 only: 1000 + 3000.
    assert response.context["dash"].cards[0].value == Decimal("4000.00")


@pytest.mark.parametrize("param", ["team", "manager"])
def test_head_asking_for_another_teams_ids_gets_a_form_error_and_no_data(
    client, head1, team2, manager_b, march_facts, param
):
    client.force_login(head1)
    forged = team2.pk if param == "team" else manager_b.pk
    for headers in ({}, HTMX):
        response = client.get(dashboard_url(**{param: forged}), headers=headers)
        assert response.status_code == 200
        assert "dash" not in response.context
        body = response.content.decode()
        assert "Select a valid choice" in body
        assert "500.00" not in body
        assert "Boris" not in body


def test_forged_ids_in_a_fragment_or_export_get_no_data(client, head1, team2, march_facts):
    client.force_login(head1)
    response = client.get(dashboard_url(team=team2.pk, panel="leaderboard"))
    assert response.status_code == 200
    assert 'id="filter-errors"' in response.content.decode()
    export = client.get(
        reverse("metrics:export", args=["leaderboard", "csv"]) + f"?team={team2.pk}"
    )
    assert export.status_code == 400


def test_head_cannot_drill_into_another_teams_manager(client, head1, manager_b, march_facts):
    client.force_login(head1)
    url = dashboard_url(panel="drill", d_code="revenue", d_manager=manager_b.pk)
    assert client.get(url).status_code == 404
    export = reverse("metrics:export", args=["facts", "csv"])
    assert client.get(f"{export}?d_code=revenue&d_manager={manager_b.pk}").status_code == 404


def test_head_drill_without_a_manager_stays_inside_their_teams(client, head1, march_facts):
    client.force_login(head1)
    response = client.get(dashboard_url(panel="drill", d_code="revenue"), headers=HTMX)
    drill = response.context["drill"]
    assert {row.manager for row in drill.rows} == {"Anna Alekseeva", "Artem Antonov"}
    assert drill.total == Decimal("4000.00")


def test_head_cannot_open_the_company_card(client, head1, march_facts):
    client.force_login(head1)
    assert client.get(dashboard_url(panel="company")).status_code == 403
    assert 'id="company"' not in client.get(dashboard_url()).content.decode()


@pytest.mark.parametrize("user", ["director", "admin_user"])
def test_director_and_admin_see_every_team(client, request, user, march_facts):
    client.force_login(request.getfixturevalue(user))
    response = client.get(dashboard_url())
    assert response.status_code == 200
    dash = response.context["dash"]
    assert dash.cards[0].value == Decimal("4500.00")
    assert {row.manager.username for row in dash.leaderboard} == {
        "manager_a",
        "manager_a2",
        "manager_b",
    }
    assert 'id="company"' in response.content.decode()


def test_manager_sees_only_their_own_numbers(client, manager_a, march_facts):
    client.force_login(manager_a)
    response = client.get(my_url())
    assert response.status_code == 200
    dash = response.context["dash"]
    assert dash.cards[0].value == Decimal("1000.00")
    assert [m.username for m in dash.managers] == ["manager_a"]
    body = response.content.decode()
    assert "Artem Antonov" not in body
    assert 'id="leaderboard"' not in body
    assert "team" not in response.context["form"].fields


def test_manager_cannot_drill_into_a_teammate(client, manager_a, manager_a2, march_facts):
    client.force_login(manager_a)
    url = my_url(panel="drill", d_code="revenue", d_manager=manager_a2.pk)
    assert client.get(url).status_code == 404
    response = client.get(my_url(panel="drill", d_code="revenue"))
    assert [row.manager for row in response.context["drill"].rows] == ["Anna Alekseeva"]


def test_manager_sees_their_place_on_the_team_board(client, manager_a, march_facts):
    client.force_login(manager_a)
    response = client.get(my_url(panel="rank"))
    rank = response.context["dash"].team_rank
    # No plans: ranked by revenue, 3000 (Artem) before 1000 (Anna).
    assert (rank.rank, rank.of, rank.team.name) == (2, 2, "Team 1")
    assert "Artem" not in response.content.decode()


def test_manager_cannot_export_the_leaderboard(client, manager_a):
    client.force_login(manager_a)
    url = reverse("metrics:my_export", args=["leaderboard", "csv"])
    assert client.get(url).status_code == 404


# --- page and fragments -----------------------------------------------------------------


@pytest.mark.parametrize("panel", PANELS)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_every_panel_is_served_alone(client, director, march_facts, panel, headers):
    client.force_login(director)
    response = client.get(dashboard_url(panel=panel, d_code="revenue"), headers=headers)
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="{panel}"' in body
    assert "<html" not in body
    assert "None" not in body
    assert not re.search(r"\bnan\b", body.lower())  # a NaN shown, not "dominant-baseline"


@pytest.mark.parametrize("panel", MY_PANELS)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_every_panel_of_my_numbers_is_served_alone(client, manager_a, march_facts, panel, headers):
    client.force_login(manager_a)
    response = client.get(my_url(panel=panel, d_code="revenue"), headers=headers)
    assert response.status_code == 200
    assert f'id="{panel}"' in response.content.decode()


def test_unknown_panel_is_not_found(client, director):
    client.force_login(director)
    assert client.get(dashboard_url(panel="secrets")).status_code == 404
    client.force_login(make_user("m9"))
    assert client.get(my_url(panel="leaderboard")).status_code == 404


def test_filter_change_through_htmx_returns_the_panels_only(client, director, march_facts):
    client.force_login(director)
    response = client.get(dashboard_url(), headers=HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="panels" data-date-from="2025-03-01"')
    assert "<html" not in body
    assert 'id="id_period"' not in body
    assert "HX-Request" in response["Vary"]


def test_back_button_restore_gets_the_full_page(client, director):
    client.force_login(director)
    response = client.get(dashboard_url(), headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert "<html" in response.content.decode()


def test_full_page_loads_plotly_from_our_own_static_files_with_the_nonce(client, director):
    client.force_login(director)
    body = client.get(reverse("metrics:dashboard")).content.decode()
    bundle = "/static/vendor/plotly/plotly-finance.min.js"
    assert f'<link rel="preload" href="{bundle}" as="script" nonce="' in body
    assert '<script defer id="dashboard-js" src="/static/js/dashboard.js" nonce="' in body
    assert f'data-plotly="{bundle}"' in body
    assert "cdn" not in body.lower()


def test_plain_drill_link_opens_the_page_with_the_facts(client, director, march_facts):
    client.force_login(director)
    response = client.get(dashboard_url(d_code="first_contacts"))
    body = response.content.decode()
    assert "<html" in body
    assert 'id="drill"' in body
    assert response.context["drill"].total == 30


def test_default_period_is_this_month(client, director):
    client.force_login(director)
    response = client.get(reverse("metrics:dashboard"))
    dash = response.context["dash"]
    today = views._today()
    assert (dash.f.date_from, dash.f.date_to) == (today.replace(day=1), today)
    assert response.context["form"]["period"].value() == "this_month"


# --- bad parameters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2025-03-10", "date_to": "2025-03-01"}, "The start date is after"),
        ({"date_from": "2025-13-45"}, "Enter a valid date."),
        ({"period": "fortnight"}, "Select a valid choice."),
        ({"date_from": ""}, "Enter both dates"),
        ({"channel": "abc"}, "Select a valid choice."),
    ],
)
def test_bad_parameters_get_a_clear_error_not_a_crash(client, director, params, message):
    client.force_login(director)
    for headers in ({}, HTMX):
        response = client.get(dashboard_url(**params), headers=headers)
        assert response.status_code == 200
        assert message in response.content.decode()


def test_filter_errors_are_translated(client, director):
    director.language = "ru"
    director.save()
    client.force_login(director)
    response = client.get(dashboard_url(date_from="2025-03-10", date_to="2025-03-01"))
    assert "Дата начала позже даты окончания." in response.content.decode()
    translation.activate("en")


def test_manager_outside_the_chosen_team_is_an_error(client, director, team1, manager_b):
    client.force_login(director)
    response = client.get(dashboard_url(team=team1.pk, manager=manager_b.pk))
    assert "This manager has never been in the chosen team." in response.content.decode()


# --- empty state ------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "ru"])
def test_fresh_install_shows_useful_empty_states(client, director, language):
    director.language = language
    director.save()
    client.force_login(director)
    response = client.get(reverse("metrics:dashboard"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "None" not in body
    assert "NaN" not in body
    assert "nan " not in body
    assert 'data-figure="fig-funnel' not in body  # nothing to draw: a sentence instead
    empty = "No funnel numbers" if language == "en" else "В этом периоде ещё нет чисел воронки"
    assert empty in body
    translation.activate("en")


def test_manager_without_a_team_gets_a_sentence_not_a_rank(client, db):
    loner = make_user("loner")
    client.force_login(loner)
    body = client.get(my_url(panel="rank")).content.decode()
    assert "not in a team yet" in body


# --- query counts -----------------------------------------------------------------------


def _many_facts(team1, team2, *, managers: int, days: int) -> None:
    people = [make_user(team=team1 if i % 2 else team2) for i in range(managers)]
    for person in people:
        for day in range(days):
            write_fact(
                person,
                "active" if day % 2 else "inbound",
                dt.date(2025, 3, 1) + dt.timedelta(days=day),
                revenue="10.00",
                payments_count=1,
                invoices_issued=1,
            )


# Page: session + user, filter choices (channel, team, manager), the catalogue's token
# (funnel.catalogue; switched-off channels included: the report's too), managers (people, their
# teams), sums by manager × channel (one query on the per-manager pivot, money included), previous
# money, the money of the same days a year earlier, trend (money, counts), own plans, working days
# (the report's and the company card's too), the report (plans; its sums by month come from the
# trend's when its steps are days or months), the company card (expenses: its money is the cards'
# when no filter is set), drill (indicator, values); a fragment runs only what it shows. The cards
# read the working days too (the previous period counts them); the funnel reads the per-manager sums
# and the working days for its per-day averages, and the counts and money of the previous period for
# its sales velocity; "missing" alone also reads the per-manager sums (people who left are listed
# only with numbers); the company card alone reads the money of the period and of the previous one.
# A period holding today costs a few more: see test_a_period_holding_today_costs_three_queries_more.
# The leaderboard reads the morning commitments with the department's switch (one query).
# On PostgreSQL every valid request reads the database's snapshot once more, the panel cache's
# key (dashboards/panel_cache.py; inside a test's transaction nothing is kept, so the rest runs).
SNAPSHOT = 1 if connection.vendor == "postgresql" else 0
QUERIES = {
    "": 17,  # the first response: the panels above the fold, placeholders for the rest
    "full": 22,  # the whole page in one response (`full=1`)
    "cards": 9,
    "funnel": 9,
    "money": 4,
    "margin": 7,
    "trend": 5,
    "leaderboard": 9,
    "conversions": 7,
    "plans": 7,
    "missing": 6,
    "company": 6,
    "drill": 4,
}


@pytest.mark.parametrize(("panel", "expected"), QUERIES.items())
@pytest.mark.parametrize(("managers", "days"), [(1, 1), (8, 20)])
def test_queries_are_fixed_whatever_the_number_of_managers_and_days(
    client, director, team1, team2, django_assert_num_queries, panel, expected, managers, days
):
    _many_facts(team1, team2, managers=managers, days=days)
    client.force_login(director)
    url = _panel_url(panel)
    with django_assert_num_queries(expected + SNAPSHOT):
        assert client.get(url, headers=HTMX if panel not in ("", "full") else {}).status_code == 200


def _panel_url(panel: str) -> str:
    if panel == "full":
        return dashboard_url(full=1, d_code="invoices_issued")
    return dashboard_url(panel=panel, d_code="invoices_issued")


@pytest.mark.parametrize("days", [1, 25])
def test_my_numbers_cost_the_same_queries_whatever_the_days(
    client, manager_a, manager_a2, django_assert_num_queries, days
):
    for day in range(days):
        for person in (manager_a, manager_a2):
            write_fact(
                person, "active", dt.date(2025, 3, 1) + dt.timedelta(days=day), revenue="10.00"
            )
    client.force_login(manager_a)
    with django_assert_num_queries(13 + SNAPSHOT):  # the first response
        assert client.get(my_url()).status_code == 200
    with django_assert_num_queries(21 + SNAPSHOT):  # the whole page
        assert client.get(my_url(full=1)).status_code == 200


@pytest.mark.parametrize(
    ("panel", "extra"),
    [("", 5), ("full", 5), ("cards", 3), ("plans", 2), ("company", 1), ("funnel", 3)],
)
def test_a_period_holding_today_costs_three_queries_more(
    client, director, team1, team2, django_assert_num_queries, fixed_today, panel, extra
):
    # As of 11 March: the report's counts and money of 1-10 March (what the forecast runs
    # on), the cards' money of 1-10 March (the part compared with 1-10 February), the counts
    # of 1-10 March (the sales velocity compares the same ranges) and the counts of today (the
    # funnel's per-day averages take the facts before today). The funnel alone reads the
    # money of 1-10 March too.
    _many_facts(team1, team2, managers=8, days=20)
    client.force_login(director)
    with django_assert_num_queries(QUERIES[panel] + extra + SNAPSHOT):
        response = client.get(_panel_url(panel), headers=HTMX if panel not in ("", "full") else {})
        assert response.status_code == 200


def test_dashboard_loads_reporting_discipline_for_its_team_and_period(client, head1, team1):
    client.force_login(head1)
    url = reverse("metrics:dashboard")
    page = client.get(
        url,
        {"period": "custom", "date_from": "2026-03-02", "date_to": "2026-03-08", "team": team1.pk},
    ).content.decode()
    expected = (
        f"{reverse('metrics:discipline')}?from=2026-03-02&amp;to=2026-03-08&amp;team={team1.pk}"
    )
    assert f'hx-get="{expected}"' in page
    assert reverse("metrics:norms") not in page


def test_my_numbers_load_the_managers_norms(client, manager_a):
    client.force_login(manager_a)
    page = client.get(reverse("metrics:my")).content.decode()
    assert f'hx-get="{reverse("metrics:norms")}"' in page
