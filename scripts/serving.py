"""The app served as in production for the scripts that measure it (scripts/loadtest.py,
scripts/bench_load.py): the environment of a DEBUG-off server on plain-HTTP loopback, and
gunicorn started, waited for and stopped. Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

HOST = "127.0.0.1"


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
