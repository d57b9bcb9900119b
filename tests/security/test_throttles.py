"""Lockouts and throttles that protect users, not attackers: behind a TLS proxy the lock
takes the client's address from X-Forwarded-For, and password-reset mails are limited per
client address and per e-mail address."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

PROXY = "10.9.9.9"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _login(client, username, password, *, client_address, spoofed=""):
    forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_behind_a_proxy_an_attacker_cannot_lock_a_user_out(manager_a, settings):
    settings.PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 3
    attacker, user = Client(), Client()
    for _ in range(5):
        _login(attacker, "manager_a", "wrong", client_address="198.51.100.66")
    response = _login(attacker, "manager_a", "pass-1234-word", client_address="198.51.100.66")
    assert response.status_code == 429
    # The user, through the same proxy from another address, logs in.
    response = _login(user, "manager_a", "pass-1234-word", client_address="203.0.113.5")
    assert response.status_code == 302


def test_a_forged_forwarded_for_entry_does_not_dodge_the_lock(manager_a, settings):
    settings.PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 2
    attacker = Client()
    for n in range(3):
        _login(attacker, "manager_a", "wrong", client_address="198.51.100.66", spoofed=f"1.1.1.{n}")
    response = _login(
        attacker, "manager_a", "pass-1234-word", client_address="198.51.100.66", spoofed="9.9.9.9"
    )
    assert response.status_code == 429


def test_without_a_proxy_the_forwarded_for_header_is_ignored(manager_a, settings):
    settings.PROXY_COUNT = 0
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    for n in range(2):
        client.post(
            reverse("login"),
            {"username": "manager_a", "password": "wrong"},
            REMOTE_ADDR="198.51.100.66",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
    response = client.post(
        reverse("login"),
        {"username": "manager_a", "password": "pass-1234-word"},
        REMOTE_ADDR="198.51.100.66",
        HTTP_X_FORWARDED_FOR="203.0.113.99",
    )
    assert response.status_code == 429


def _reset(email, address="198.51.100.7"):
    return Client().post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_password_reset_mails_are_limited_per_account(manager_a, settings):
    manager_a.email = "anna@example.com"
    manager_a.save()
    settings.PASSWORD_RESET_PER_ACCOUNT = 3
    for n in range(20):
        response = _reset("anna@example.com", address=f"198.51.100.{n}")
        # Over the limit the answer is the same page: nothing tells the limit was reached.
        assert response.status_code == 302
        assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 3
    assert mail.outbox[0].to == ["anna@example.com"]


def test_password_reset_requests_are_limited_per_address(manager_a, manager_a2, settings):
    settings.PASSWORD_RESET_PER_ADDRESS = 2
    settings.PASSWORD_RESET_PER_ACCOUNT = 100
    manager_a.email, manager_a2.email = "anna@example.com", "artem@example.com"
    manager_a.save()
    manager_a2.save()
    for email in ["anna@example.com", "artem@example.com", "anna@example.com"]:
        assert _reset(email, address="198.51.100.7").status_code == 302
    assert [m.to for m in mail.outbox] == [["anna@example.com"], ["artem@example.com"]]
    # Another address is not held back by the first one's requests.
    _reset("anna@example.com", address="198.51.100.8")
    assert len(mail.outbox) == 3
