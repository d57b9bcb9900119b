import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache.backends.redis import RedisCache
from django.urls import reverse

from kpi_project.cache import FailSafeRedisCache

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # The production environment: none of the test suite's relaxations.
    relaxed = {
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "STATIC_MANIFEST",
        "DATABASE_URL",
        "REDIS_URL",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    clean = {k: v for k, v in os.environ.items() if k not in relaxed}
    clean.update(READ_DOT_ENV="false", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_check_deploy_is_clean_with_the_documented_production_environment():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="kpi.example.com",
        DATABASE_URL="postgres://kpi@db.example.com:5432/kpi",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", SECRET_KEY="")
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr
    env_without_key = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**env_without_key, "READ_DOT_ENV": "false", "DEBUG": "false"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_pages_carry_a_nonce_content_security_policy_and_security_headers(client, db):
    response = client.get(reverse("login"))
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "script-src 'self' 'nonce-" in policy
    assert "default-src 'self'" in policy
    # Every script tag on the page carries the request's nonce.
    scripts = re.findall(r"<script\b[^>]*>", response.content.decode())
    assert scripts
    assert all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_repeated_failed_logins_lock_out_the_user_and_address(client, manager_a, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("login"), {"username": "manager_a", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "manager_a", "password": "pass-1234-word"}
    )
    assert response.status_code == 429
    assert b"Too many failed attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_a_failed_login_says_why_without_locking(client, manager_a):
    response = client.post(reverse("login"), {"username": "manager_a", "password": "wrong"})
    assert response.status_code == 200
    assert b"correct username and password" in response.content


@pytest.fixture
def dead_redis_cache():
    # Nothing listens on port 1: every call fails at once.
    return FailSafeRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.1}})


def test_cache_with_redis_down_behaves_as_a_miss(dead_redis_cache):
    assert isinstance(dead_redis_cache, RedisCache)
    dead_redis_cache.set("k", 1)
    assert dead_redis_cache.get("k") is None
    assert dead_redis_cache.get("k", "fallback") == "fallback"
    assert dead_redis_cache.get_many(["a", "b"]) == {}
    assert dead_redis_cache.add("k", 1) is False
    assert dead_redis_cache.delete("k") is False


def test_cache_with_redis_up_works():
    url = os.environ.get("REDIS_TEST_URL")
    if not url:
        pytest.skip("REDIS_TEST_URL not set (CI sets it)")
    cache = FailSafeRedisCache(url, {})
    cache.set("kpi-test-key", {"a": 1}, 5)
    assert cache.get("kpi-test-key") == {"a": 1}
    cache.delete("kpi-test-key")


def _fail(client, username: str, *, address: str = "10.0.0.1", times: int = 1):
    for _ in range(times):
        client.post(
            reverse("login"), {"username": username, "password": "wrong"}, REMOTE_ADDR=address
        )


def _login(client, username: str, *, address: str = "10.0.0.1", **extra):
    return client.post(
        reverse("login"),
        {"username": username, "password": "pass-1234-word"},
        REMOTE_ADDR=address,
        **extra,
    )


def test_the_lockout_message_is_translated_to_russian(client, manager_a, settings):
    settings.AXES_FAILURE_LIMIT = 2
    _fail(client, "manager_a", times=2)
    response = _login(client, "manager_a", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Слишком много неудачных попыток" in html
    assert "Too many failed attempts" not in html


def test_lockout_is_per_user_and_address(client, manager_a, manager_a2, settings):
    settings.AXES_FAILURE_LIMIT = 2
    _fail(client, "manager_a", address="10.0.0.1", times=2)
    # The same user from another address, and another user from the same address, still log in.
    assert _login(client, "manager_a", address="10.0.0.2").status_code == 302
    client.logout()
    assert _login(client, "manager_a2", address="10.0.0.1").status_code == 302
    client.logout()
    assert _login(client, "manager_a", address="10.0.0.1").status_code == 429


def test_a_successful_login_resets_the_failure_count(client, manager_a, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _fail(client, "manager_a", times=2)
    assert _login(client, "manager_a").status_code == 302
    client.logout()
    # Two more failures would have made four; after the reset they are only two.
    _fail(client, "manager_a", times=2)
    assert _login(client, "manager_a").status_code == 302


def test_a_locked_out_user_stays_out_of_every_page(client, manager_a, settings):
    settings.AXES_FAILURE_LIMIT = 1
    _fail(client, "manager_a")
    assert _login(client, "manager_a").status_code == 429
    response = client.get(reverse("funnel:day"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_production_environment_turns_every_https_protection_on():
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.DEBUG, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.STATIC_MANIFEST]))"
    )
    result = _manage(
        "shell",
        "-c",
        script,
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="kpi.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "[false, true, 31536000, true, true, true, true, true, true]"
    )


@pytest.fixture
def production(settings):
    """The protections the production environment turns on (tests run them off, over HTTP)."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    return settings


def test_plain_http_is_redirected_to_https(client, db, production):
    response = client.get(reverse("login"))
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"


def test_https_answers_carry_hsts_and_secure_cookies(client, manager_a, production):
    response = client.get(reverse("login"), secure=True)
    assert response.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    response = client.post(
        reverse("login"), {"username": "manager_a", "password": "pass-1234-word"}, secure=True
    )
    assert response.status_code == 302
    session, csrf = response.cookies["sessionid"], response.cookies["csrftoken"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert csrf["secure"] is True


@pytest.mark.parametrize("name", ["funnel:day", "funnel:week", "funnel:history"])
def test_htmx_fragments_and_refusals_carry_the_policy_too(client, manager_a, manager_b, name):
    client.force_login(manager_a)
    fragment = client.get(reverse(name), headers={"HX-Request": "true"})
    refused = client.get(reverse(name) + f"?manager={manager_b.pk}")
    assert refused.status_code == 404
    for response in (fragment, refused):
        policy = response.headers["Content-Security-Policy"]
        # The nonce appears only where a page used it; scripts stay limited to our files.
        script_src = re.search(r"script-src ([^;]*)", policy).group(1)
        assert script_src.startswith("'self'")
        assert "unsafe" not in script_src
        assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    ("redis_url", "engine"),
    [
        ("redis://127.0.0.1:6379/0", "django.contrib.sessions.backends.cached_db"),
        ("", "django.contrib.sessions.backends.db"),
    ],
)
def test_sessions_are_read_through_redis_only_when_there_is_one(redis_url, engine):
    # A per-process cache would keep a session ended in one worker alive in the others.
    result = _manage(
        "shell",
        "-c",
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SESSION_ENGINE)",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="kpi.example.com",
        REDIS_URL=redis_url,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == engine


def test_cached_sessions_keep_the_database_as_the_source_of_truth(client, manager_a, settings):
    from django.contrib.sessions.models import Session
    from django.core.cache import cache

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    cache.clear()
    assert _login(client, manager_a.username).status_code == 302
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).count() == 1
    cached = f"django.contrib.sessions.cached_db{key}"
    assert cache.get(cached) is not None
    cache.clear()  # Redis restarted empty: the session is read from the database again
    assert client.get(reverse("funnel:day")).status_code == 200
    assert cache.get(cached) is not None
    client.post(reverse("logout"))
    assert Session.objects.filter(session_key=key).count() == 0
    assert cache.get(cached) is None
