"""The dashboard's panels, kept in the cache under the database state they were read from.

A panel's HTML is a function of the database's committed data, the viewer, the request's
query, the language, today's date, the code and the settings that show a number (the
currency sign, the time zone). The key carries them all, the data as
PostgreSQL's snapshot of the request (`pg_current_snapshot()`: the last completed
transaction and those still running). Any write's commit changes every later snapshot: it
either moves the snapshot's upper bound or takes its transaction out of the running list,
and that snapshot never comes back. So an answer kept under a snapshot is found only by
requests that see the same data, and a request after any confirmed save looks up another
key: a dashboard is never older than the last save, with no counter that writers would
share or bump.

An answer is kept only when nothing committed while it was being rendered (the snapshot
read again after the render is the same): otherwise no later request could find it, and it
would only cost the cache a write (a stream of saves, as in the working day). A request
whose own transaction has written (a test's, or a view that writes first) is never cached:
its own changes are not in the snapshot. On SQLite, which has no such snapshot, nothing is
cached. With Redis down the cache is a miss (kpi_project.cache) and the panel is computed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache as once
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

# The code that shapes a panel: its Python, templates and translations. A deploy that
# changes any of them changes the key (the same on every worker of one deploy).
_CODE_DIRS = (
    "channels",
    "dashboards",
    "funnel",
    "metrics",
    "plans",
    "teams",
    "templates",
    "locale",
)
_CODE_SUFFIXES = {".py", ".html", ".mo"}
# And the settings that change how a number is shown (read on each request: cheap).
_SHOWN_WITH = ("CURRENCY", "TIME_ZONE", "USE_THOUSAND_SEPARATOR", "STATIC_URL")


def code_token() -> str:
    """Read once per process; with DEBUG on, on every call (the dev server reloads
    Python on a change, but not templates)."""
    return _code_token() if not settings.DEBUG else _code_token.__wrapped__()


@once
def _code_token() -> str:
    digest = hashlib.blake2b(digest_size=8)
    base = Path(settings.BASE_DIR)
    for name in _CODE_DIRS:
        for path in sorted((base / name).rglob("*")):
            if path.suffix in _CODE_SUFFIXES:
                stat = path.stat()
                digest.update(
                    f"{path.relative_to(base)}:{stat.st_size}:{stat.st_mtime_ns}".encode()
                )
    return digest.hexdigest()


def data_version() -> str | None:
    """The database state a read now would see, or None when it cannot be named: not
    PostgreSQL, or this connection's transaction has written (its own changes are not in
    any snapshot)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_current_snapshot()::text, pg_current_xact_id_if_assigned() IS NULL"
        )
        snapshot, clean = cursor.fetchone()
    return snapshot if clean else None


class PanelCache:
    """The panels of one request: `fetch(name, render)` answers from the cache or renders
    and keeps the answer when the database did not move meanwhile."""

    def __init__(self, version: str, *parts: object) -> None:
        self.version = version
        shown_with = [getattr(settings, name, None) for name in _SHOWN_WITH]
        key = "\x1f".join(
            map(str, (code_token(), *shown_with, version, translation.get_language(), *parts))
        )
        self.prefix = "dash:" + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()

    @classmethod
    def for_request(cls, *parts: object) -> PanelCache | None:
        if not settings.DASHBOARD_CACHE:
            return None
        version = data_version()
        return None if version is None else cls(version, *parts)

    def fetch(self, name: str, render: Callable[[], str]) -> SafeString:
        key = f"{self.prefix}:{name}"
        html = cache.get(key)
        if html is None:
            html = render()
            if data_version() == self.version:
                cache.set(key, str(html), settings.DASHBOARD_CACHE_SECONDS)
        return mark_safe(html)  # noqa: S308 - the template's own escaped output
