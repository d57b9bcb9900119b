"""The admin's page of Telegram links: listed, searchable, delivery changed, nothing added."""

import pytest
from django.test import override_settings
from django.urls import reverse

from bot.models import TelegramLink
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def link():
    person = make_user("tg_person", full_name="Telegram Person")
    return TelegramLink.objects.create(user=person, chat_id=777000111)


@pytest.mark.parametrize("debug", [False, True])
def test_the_admin_lists_links_and_changes_the_delivery(client, admin_user, link, debug):
    client.force_login(admin_user)
    with override_settings(DEBUG=debug):
        changelist = reverse("admin:bot_telegramlink_changelist")
        page = client.get(changelist, {"q": "Telegram Person"}).content.decode()
        assert "777000111" in page
        change = reverse("admin:bot_telegramlink_change", args=[link.pk])
        assert client.get(change).status_code == 200
        response = client.post(change, {"notify": TelegramLink.Notify.EMAIL})
        assert response.status_code == 302
        link.refresh_from_db()
        assert link.notify == TelegramLink.Notify.EMAIL
        assert link.chat_id == 777000111  # read-only
        assert client.get(reverse("admin:bot_telegramlink_add")).status_code == 403


def test_an_outsider_is_refused(client, link):
    client.force_login(make_user("plain_manager"))
    response = client.get(reverse("admin:bot_telegramlink_changelist"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]
