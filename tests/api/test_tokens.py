"""Personal tokens: made and revoked on the profile page and in the admin, stored hashed,
shown once, refused once revoked or when their owner leaves; throttled per token."""

import hashlib
import re

import pytest
from django.test import Client
from django.urls import reverse

from api.models import ApiToken
from api.tokens import token_create
from tests.api.conftest import ApiClient

ME = "/api/v1/me/"


def test_a_token_is_stored_as_its_hash_and_works_as_its_owner(manager_a):
    token, raw = token_create(user=manager_a, name="amoCRM")
    assert raw.startswith("kpi_")
    assert len(raw) > 40
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:8]
    assert not ApiToken.objects.filter(key_hash__contains=raw[4:]).exists()
    response = ApiClient(raw).get(ME)
    assert response.status_code == 200
    assert response.json() == {
        "id": manager_a.pk,
        "username": "manager_a",
        "full_name": "Anna Alekseeva",
        "role": "manager",
        "token": "amoCRM",
    }
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer kpi_wrong", "Basic dXNlcjpwYXNz", "Bearer a b", "Bearer \u00e9\u00e9"],
)
def test_a_request_without_a_valid_token_gets_401_in_the_error_shape(manager_a, header):
    token_create(user=manager_a, name="x")
    client = Client()
    response = client.get(ME, headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert set(response.json()) == {"detail"}


def test_a_logged_in_session_is_not_enough_for_the_api(manager_a):
    client = Client()
    client.force_login(manager_a)
    assert client.get(ME).status_code == 401


def test_a_revoked_token_and_the_token_of_a_person_who_left_are_refused(manager_a, manager_a2):
    token, raw = token_create(user=manager_a, name="x")
    _other, raw2 = token_create(user=manager_a2, name="y")
    token.delete()
    assert ApiClient(raw).get(ME).status_code == 401
    manager_a2.is_active = False
    manager_a2.save()
    assert ApiClient(raw2).get(ME).status_code == 401


def test_names_are_unique_per_person_and_required(manager_a, manager_b):
    token_create(user=manager_a, name="crm")
    token_create(user=manager_b, name="crm")
    with pytest.raises(Exception, match="already have a token with this name"):
        token_create(user=manager_a, name=" crm ")
    with pytest.raises(Exception, match="Give the token a name"):
        token_create(user=manager_a, name="  ")


def test_throttling_counts_per_token(manager_a, settings):
    settings.API_THROTTLE_RATE = "3/min"
    from django.core.cache import cache

    cache.clear()
    _t, raw1 = token_create(user=manager_a, name="one")
    _t, raw2 = token_create(user=manager_a, name="two")
    first, second = ApiClient(raw1), ApiClient(raw2)
    assert [first.get(ME).status_code for _ in range(3)] == [200, 200, 200]
    refused = first.get(ME)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "detail" in refused.json()
    assert second.get(ME).status_code == 200
    cache.clear()


def test_the_profile_page_makes_a_token_shows_it_once_and_revokes_it(manager_a, manager_b):
    client = Client()
    client.force_login(manager_a)
    page = client.post(reverse("profile"), {"name": "Bitrix24"})
    assert page.status_code == 200
    raw = re.search(r'<code id="new-token">(kpi_[^<]+)</code>', page.content.decode()).group(1)
    assert ApiClient(raw).get(ME).json()["token"] == "Bitrix24"
    again = client.get(reverse("profile")).content.decode()
    assert "Bitrix24" in again
    assert raw not in again
    assert raw[:8] in again
    token = ApiToken.objects.get(user=manager_a)
    # Someone else cannot revoke it.
    other = Client()
    other.force_login(manager_b)
    other.post(reverse("profile"), {"revoke": token.pk})
    assert ApiToken.objects.filter(pk=token.pk).exists()
    done = client.post(reverse("profile"), {"revoke": token.pk})
    assert done.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert ApiClient(raw).get(ME).status_code == 401


def test_a_bad_name_on_the_profile_page_writes_nothing(manager_a):
    client = Client()
    client.force_login(manager_a)
    response = client.post(reverse("profile"), {"name": ""})
    assert response.status_code == 400
    assert "Give the token a name." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_an_outsider_gets_the_login_page_for_the_profile(db):
    response = Client().get(reverse("profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_admin_makes_a_token_for_someone_and_shows_it_once(admin_user, manager_a):
    client = Client()
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:api_apitoken_add"), {"user": manager_a.pk, "name": "telephony"}, follow=True
    )
    assert response.status_code == 200
    text = response.content.decode()
    raw = re.search(r"(kpi_[A-Za-z0-9_-]{40,})", text).group(1)
    token = ApiToken.objects.get()
    assert (token.user, token.name) == (manager_a, "telephony")
    assert ApiClient(raw).get(ME).json()["username"] == "manager_a"
