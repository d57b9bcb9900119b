"""Error pages in the user's language: 503 with Retry-After when the database does not answer
(also when the session lookup itself fails), 400 for control characters, 403 and 404 inside
the site's frame with the way back, and no shared caching of anything personal."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from tests.security.helpers import HX

DOWN_EN = "The database is not answering. Nothing you typed since the last “Saved” was kept."
DOWN_RU = "База данных не отвечает. Всё, что вы ввели после последнего «Сохранено», не сохранилось."


def sessions_down(monkeypatch):
    """From now on, reading a session fails as with the database down."""

    def load(self):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(SessionStore, "load", load)


def _signed_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", ["/entry/", "/dashboard/", "/dashboard/plans/", "/entry/import/"])
def test_a_failing_session_lookup_gives_the_friendly_503(manager_a, monkeypatch, url):
    client = _signed_in(manager_a)
    sessions_down(monkeypatch)
    response = client.get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert DOWN_EN in page
    assert "Server Error" not in page


def test_the_503_is_in_the_browsers_language_and_inline_under_htmx(manager_a, monkeypatch):
    client = _signed_in(manager_a)
    sessions_down(monkeypatch)
    response = client.post(
        reverse("funnel:cell"), {"value": "1"}, headers={**HX, "Accept-Language": "ru"}
    )
    assert response.status_code == 503
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == (DOWN_RU + " Попробуйте ещё раз через минуту.")


def test_a_view_losing_the_database_gives_the_503(director, monkeypatch):
    from dashboards import views

    def broken(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(views, "Dashboard", broken)
    response = _signed_in(director).get(reverse("metrics:dashboard"))
    assert response.status_code == 503
    assert DOWN_EN in response.content.decode()


def test_a_bug_still_gives_a_500_page_of_the_site(director, monkeypatch):
    from dashboards import views

    def broken(*args, **kwargs):
        raise ZeroDivisionError

    monkeypatch.setattr(views, "Dashboard", broken)
    response = _signed_in(director).get(reverse("metrics:dashboard"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/plans/cell/?manager=4&channel=active&indicator=%00&month=2026-12",
        "/admin/teams/user/?role__exact=%00",
        "/entry/?date=2026-01-01%1b",
    ],
)
def test_control_characters_are_bad_input(admin_user, url):
    response = _signed_in(admin_user).get(url)
    assert response.status_code == 400
    assert "The request contains control characters; nothing was done." in (
        response.content.decode()
    )


def test_control_characters_in_a_form_are_refused_in_russian(manager_a):
    manager_a.language = "ru"
    manager_a.save()
    response = _signed_in(manager_a).post(reverse("funnel:cell"), {"code": "a\x00"}, headers=HX)
    assert response.status_code == 400
    assert response.content.decode() == "Запрос содержит управляющие символы; ничего не сделано."


def test_a_manager_opening_the_team_dashboard_gets_a_page_with_the_way_back(manager_a):
    response = _signed_in(manager_a).get(reverse("metrics:dashboard"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "You do not have access to this page." in page
    assert f'href="{reverse("home")}"' in page
    assert 'class="mainnav"' in page


def test_the_404_page_is_translated(manager_a):
    manager_a.language = "ru"
    manager_a.save()
    response = _signed_in(manager_a).get("/no/such/page/")
    assert response.status_code == 404
    assert "Страница не найдена" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/entry/",
        "/dashboard/my/",
        "/dashboard/my/export/plans.xlsx",
        "/dashboard/norms/",
    ],
)
def test_personal_answers_are_not_cached(manager_a, url):
    response = _signed_in(manager_a).get(url)
    assert response.status_code == 200
    assert sorted(response["Cache-Control"].split(", ")) == ["no-store", "private"]


def test_exports_of_leaders_are_not_cached(head1, team1):
    response = _signed_in(head1).get(
        reverse("metrics:export", kwargs={"table": "leaderboard", "fmt": "csv"})
    )
    assert response.status_code == 200
    assert sorted(response["Cache-Control"].split(", ")) == ["no-store", "private"]


@pytest.mark.parametrize(
    "query",
    [
        "date__year=9999",
        "date__year=1999",
        "date__year=99999999999999999999",
        "date__year=2026&date__month=99999999999999999999",
        "date__year=٢٠٢٦",
    ],
)
def test_the_admins_date_drill_down_refuses_far_years(admin_user, query):
    client = _signed_in(admin_user)
    response = client.get(f"/admin/plans/holiday/?{query}")
    assert response.status_code == 400
    assert "Enter a date between the years 2000 and 2100." in response.content.decode()
    assert client.get("/admin/plans/holiday/?date__year=2026&date__month=3").status_code == 200
