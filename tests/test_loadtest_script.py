"""scripts/loadtest.py drives people as their browsers do: the requests are checked here
against the app itself (through the test client), the full run is `make loadtest`."""

import datetime as dt
import sys
from collections import defaultdict
from pathlib import Path

from dashboards.views import PANELS
from funnel.models import DailyCount
from tests.factories import channel, write_fact

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import loadtest  # noqa: E402
import serving  # noqa: E402


class ClientBrowser:
    """loadtest's Browser over the Django test client: same calls, same answers' surface."""

    class Answer:
        def __init__(self, response):
            self.status = response.status_code
            self.headers = response.headers

        def getheader(self, name, default=None):
            return self.headers.get(name, default)

    def __init__(self, client, stats):
        self.client, self.stats, self.sent = client, stats, []

    def request(self, kind, method, path, body=None, **headers):
        self.sent.append((kind, method, path, body, headers))
        if method == "POST":
            response = self.client.post(path, body, headers=headers)
        else:
            response = self.client.get(path, headers=headers)
        self.stats.record(kind, 0.0, response.status_code)
        return self.Answer(response), response.content.decode()


def test_a_head_loads_the_page_then_each_lazy_panel_as_htmx():
    assert loadtest.head_requests() == [
        ("dashboard", "/dashboard/", {}),
        *(
            (f"panel:{name}", f"/dashboard/?panel={name}", {"HX-Request": "true"})
            for name in loadtest.HEAD_PANELS
        ),
    ]
    assert set(loadtest.HEAD_PANELS) <= PANELS


def test_every_request_of_a_head_is_answered_by_the_app(client, head1, manager_a):
    client.force_login(head1)
    stats = loadtest.Stats()
    browser = ClientBrowser(client, stats)
    for kind, path, headers in loadtest.head_requests():
        response, text = browser.request(kind, "GET", path, **headers)
        assert response.status == 200, (kind, text[:200])
        if kind != "dashboard":
            assert "<html" not in text  # a fragment, not the page
    assert stats.statuses == {200: 9}
    assert sorted(stats.latencies) == sorted(k for k, _p, _h in loadtest.head_requests())


def _save(client, manager, code: str, value: str):
    """One cell of yesterday's active channel saved by the load test's manager, whose day
    holds 2 first contacts: (the requests sent, the cell's record, the errors)."""
    client.force_login(manager)
    day = dt.date.today() - dt.timedelta(days=1)
    write_fact(manager, "active", day, first_contacts=2)
    stats = loadtest.Stats()
    browser = ClientBrowser(client, stats)
    channel_id = channel("active").pk
    key = (manager.pk, day.isoformat(), channel_id, code)
    body = {"date": day.isoformat(), "channel": channel_id, "code": code, "value": value}
    cells = defaultdict(loadtest.Cell)
    loadtest.cell_save(browser, key, body, cells, stats)
    return [(sent[0], sent[3].get("confirm")) for sent in browser.sent], cells[key], stats.errors


def test_an_ordinary_value_is_saved_in_one_request(client, manager_a):
    sent, cell, errors = _save(client, manager_a, "first_contacts", "3")
    assert sent == [("cell", None)]
    assert cell.sent == ["3"]
    assert not cell.uncertain
    assert errors == []


def test_an_unusual_value_is_saved_anyway_in_a_second_request(client, manager_a):
    # Meetings above the day's first contacts: a stage that grew, asked to be confirmed.
    sent, cell, errors = _save(client, manager_a, "meetings_set", "150")
    assert sent == [("cell", None), ("cell-confirm", "1")]
    assert cell.sent == ["150"]
    assert not cell.uncertain
    assert errors == []
    stored = DailyCount.objects.get(fact__manager=manager_a, indicator__code="meetings_set")
    assert stored.value == 150


def test_a_refused_cell_is_an_error_and_left_in_doubt(client, manager_a):
    sent, cell, errors = _save(client, manager_a, "first_contacts", "x")
    assert sent == [("cell", None)]
    assert cell.tried == ["x"]
    assert cell.uncertain
    assert len(errors) == 1
    assert errors[0].startswith("cell ")


def test_the_server_counts_come_from_gunicorn_conf_unless_given():
    assert loadtest.gunicorn_options(loadtest.parse_args([])) == []
    args = loadtest.parse_args(["--workers", "3", "--threads", "2"])
    assert loadtest.gunicorn_options(args) == ["--workers", "3", "--threads", "2"]
    args = loadtest.parse_args(["--keep-alive", "0"])
    assert loadtest.gunicorn_options(args) == ["--keep-alive", "0"]
    assert loadtest.parse_args([]).think_ms == 50


def test_the_served_app_runs_without_debug_redis_or_https(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    env = serving.production_env("postgres://u@h/db", STATIC_MANIFEST="false")
    assert "REDIS_URL" not in env
    assert (env["DATABASE_URL"], env["DEBUG"], env["STATIC_MANIFEST"]) == (
        "postgres://u@h/db",
        "false",
        "false",
    )
    assert env["SECURE_SSL_REDIRECT"] == env["SESSION_COOKIE_SECURE"] == "false"
    assert serving.production_env("x", REDIS_URL="redis://r")["REDIS_URL"] == "redis://r"


def test_gunicorn_conf_runs_threaded_workers_two_per_core_plus_one(monkeypatch):
    import os
    import runpy

    conf = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("GUNICORN_THREADS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    settings = runpy.run_path(str(conf))
    assert (settings["workers"], settings["worker_class"], settings["threads"]) == (5, "gthread", 4)
    assert settings["preload_app"] is True
    # One queue: a worker takes a connection only with a thread free for it, and closes it
    # after the answer (a kept-alive one would stay with its worker, busy or not).
    assert (settings["worker_connections"], settings["keepalive"]) == (4, 0)
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "8")
    settings = runpy.run_path(str(conf))
    assert (settings["workers"], settings["threads"], settings["worker_connections"]) == (3, 8, 8)
