"""The app served as in production for the scripts that measure it (scripts/loadtest.py,
scripts/bench_load.py): the environment of a DEBUG-off server on plain-HTTP loopback, and
gunicorn started, waited for and stopped, and a browser's requests to it. Traffic stays on
127.0.0.1.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

HOST = "127.0.0.1"
# gunicorn.conf.py closes a connection idle for `keepalive` (5) seconds.
IDLE_SECONDS = 4
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def production_env(database_url: str, **extra: str) -> dict[str, str]:
    """This process's environment with DEBUG off, a fresh secret key, the database, no
    Redis (set REDIS_URL in `extra` for one) and no HTTPS, since the traffic is loopback."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "READ_DOT_ENV": "false",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "DEBUG": "false",
        "ALLOWED_HOSTS": HOST,
        # Plain HTTP on loopback: no HTTPS redirect, cookies without the Secure flag.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "ERROR",
    }
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def gunicorn(
    checkout: Path, env: dict[str, str], port: int, *options: str, label: str
) -> subprocess.Popen:
    """gunicorn serving `checkout` on the port (its gunicorn.conf.py, if any, then `options`),
    once it answers the login page; `label` names the script in the messages."""
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "kpi_project.wsgi", "--bind", f"{HOST}:{port}"]
        + ["--timeout", "60", *options],
        cwd=checkout,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(port, server, label=label)
    except BaseException:
        stop(server)
        raise
    return server


def wait_for(port: int, server: subprocess.Popen, seconds: float = 60, *, label: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"{label}: gunicorn exited at start")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/accounts/login/", headers={"Host": f"{HOST}:{port}"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{label}: gunicorn did not answer within {seconds:.0f} s")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


class Browser:
    """Cookies, CSRF and one keep-alive connection over loopback (reopened when closed);
    each answer's latency and status go to `stats.record(kind, seconds, status)`, a request
    that got no answer to `stats.failed()`."""

    def __init__(self, port: int, stats):
        self.port, self.stats = port, stats
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)
        self.last_answer = time.monotonic()

    def request(self, kind: str, method: str, path: str, body: dict | None = None, **headers):
        data = urlencode(body).encode() if body is not None else None
        headers = {"Host": f"{HOST}:{self.port}", **headers}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        if time.monotonic() - self.last_answer > IDLE_SECONDS:
            self.conn.close()  # as a browser drops a socket the server may have closed
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.stats.failed()
            raise
        self.stats.record(kind, time.perf_counter() - started, response.status)
        self.last_answer = time.monotonic()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return response, content.decode("utf-8", "replace")

    def login(self, username: str, password: str) -> None:
        response, html = self.request("login", "GET", "/accounts/login/")
        token = CSRF_INPUT.search(html)
        if response.status != 200 or not token:
            raise RuntimeError(f"login page answered {response.status}")
        body = {"username": username, "password": password, "csrfmiddlewaretoken": token[1]}
        response, _ = self.request("login", "POST", "/accounts/login/", body)
        if response.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login of {username} answered {response.status}")
