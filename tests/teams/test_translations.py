from django.urls import reverse
from django.utils import translation

from channels.models import Channel
from teams.models import User
from teams.services import RowError


def test_login_page_is_in_russian_for_a_russian_browser(client, db):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ru")
    page = response.content.decode()
    assert response.headers["Content-Language"] == "ru"
    assert "<h1>Войти</h1>" in page
    assert "Логин" in page
    assert "Трекер KPI продаж" in page


def test_a_failed_login_explains_itself_in_russian(client, manager_a):
    response = client.post(
        reverse("login"),
        {"username": "manager_a", "password": "wrong"},
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 200
    assert "Пожалуйста, введите правильные имя пользователя и пароль" in response.content.decode()


def test_login_page_is_in_english_for_an_english_browser(client, db):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert "<h1>Log in</h1>" in response.content.decode()


def test_roles_models_and_import_errors_read_in_russian(db):
    with translation.override("ru"):
        assert str(User.Role.HEAD.label) == "Руководитель команды"
        assert str(User._meta.verbose_name_plural) == "сотрудники"
        assert str(Channel._meta.verbose_name) == "канал"
        assert str(Channel.Kind.PARTNER.label) == "Партнёрские продажи"
        error = RowError(3, "role", "x")
        assert str(error) == "строка 3, столбец role: x"
