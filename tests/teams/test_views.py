from django.urls import reverse
from django.utils import translation

from teams.models import User


def test_anonymous_visitor_is_sent_to_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_manager_starts_at_entry_and_head_at_dashboard(client, manager_a, head1):
    client.force_login(manager_a)
    assert client.get(reverse("home"))["Location"] == reverse("funnel:day")
    client.force_login(head1)
    assert client.get(reverse("home"))["Location"] == reverse("metrics:dashboard")


def test_login_with_password_works(client, manager_a):
    response = client.post(
        reverse("login"), {"username": "manager_a", "password": "pass-1234-word"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(manager_a.pk)


def test_language_switch_is_remembered_on_the_user(client, manager_a):
    client.force_login(manager_a)
    response = client.post(reverse("language_set"), {"language": "ru", "next": "/entry/"})
    assert response.status_code == 302
    assert response["Location"] == "/entry/"
    manager_a.refresh_from_db()
    assert manager_a.language == "ru"
    page = client.get(reverse("funnel:day"))
    assert page.headers["Content-Language"] == "ru"
    translation.activate("en")


def test_language_switch_refuses_unknown_language_and_foreign_redirects(client, manager_a):
    client.force_login(manager_a)
    assert client.post(reverse("language_set"), {"language": "xx"}).status_code == 400
    response = client.post(
        reverse("language_set"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_manager_cannot_open_the_dashboard(client, manager_a):
    client.force_login(manager_a)
    assert client.get(reverse("metrics:dashboard")).status_code == 403


def test_roles_exist_as_documented():
    assert set(User.Role.values) == {"manager", "head", "director", "admin"}
