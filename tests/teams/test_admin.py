import pytest
from django.urls import reverse

from teams.models import Team, User

# As under `make run`: the debug cursor formats every statement (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("debug_cursor")


def test_team_page_shows_heads_and_members(admin_client, team1, manager_a, manager_a2):
    response = admin_client.get(reverse("admin:teams_team_change", args=[team1.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Anna Alekseeva (Manager)" in page
    assert "Artem Antonov (Manager)" in page
    listing = admin_client.get(reverse("admin:teams_team_changelist"))
    assert listing.context["cl"].result_count == 1


def test_admin_creates_a_team_with_heads(admin_client, head1):
    response = admin_client.post(
        reverse("admin:teams_team_add"), {"name": "Team 3", "heads": [head1.pk]}
    )
    assert response.status_code == 302
    assert list(Team.objects.get(name="Team 3").heads.all()) == [head1]


def test_people_list_filters_by_role_and_team_and_searches_names(
    admin_client, manager_a, manager_b, team1
):
    url = reverse("admin:teams_user_changelist")
    by_team = admin_client.get(url, {"team__id__exact": team1.pk, "role__exact": "manager"})
    assert [u.username for u in by_team.context["cl"].result_list] == ["manager_a"]
    by_name = admin_client.get(url, {"q": "Belov"})
    assert [u.username for u in by_name.context["cl"].result_list] == ["manager_b"]
    inactive = admin_client.get(url, {"is_active__exact": "0"})
    assert inactive.context["cl"].result_count == 0


def test_admin_edits_a_persons_role_team_channels_and_language(admin_client, manager_a, team2):
    url = reverse("admin:teams_user_change", args=[manager_a.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "username": "manager_a",
            "full_name": "Anna A.",
            "role": "manager",
            "team": team2.pk,
            "channels": [c.pk for c in manager_a.channels.all()][:1],
            "language": "ru",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
            "groups": [],
            "user_permissions": [],
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    manager_a.refresh_from_db()
    assert (manager_a.full_name, manager_a.team, manager_a.language) == ("Anna A.", team2, "ru")
    assert manager_a.channels.count() == 1


def test_admin_adds_a_person_without_a_usable_password(admin_client, team1):
    response = admin_client.post(
        reverse("admin:teams_user_add"),
        {
            "username": "newbie",
            "usable_password": "false",
            "full_name": "New Person",
            "role": "manager",
            "team": team1.pk,
            "language": "",
        },
    )
    assert response.status_code == 302
    newbie = User.objects.get(username="newbie")
    assert (newbie.full_name, newbie.team, newbie.has_usable_password()) == (
        "New Person",
        team1,
        False,
    )


def test_a_head_is_sent_to_the_admin_login_for_people_and_teams(client, head1, team1):
    client.force_login(head1)
    for url in (
        reverse("admin:teams_user_changelist"),
        reverse("admin:teams_team_change", args=[team1.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
