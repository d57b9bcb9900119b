"""Faults: the database failing in the middle of a save or an import, Redis down, an import
killed mid-way. Nothing may be left half-written, and the user gets a clear message."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone

from funnel import services
from funnel.models import FactChange, ImportUpload
from funnel.summaries import bulk
from kpi_project.cache import FailSafeRedisCache
from tests.factories import channel, write_fact
from tests.security.helpers import HX, assert_totals_exact, fact_rows, fact_state

ROOT = Path(__file__).resolve().parents[2]
MESSAGE = "The database did not answer; nothing was saved."
MESSAGE_RU = "База данных не ответила; ничего не сохранено."

pytestmark = pytest.mark.django_db(transaction=True)


def _fail_after_history(monkeypatch):
    """The history rows are written, then the connection "drops" before the commit."""
    real = bulk.insert_rows

    def insert_rows(model, columns, rows, tail=""):
        real(model, columns, rows, tail)
        if model is FactChange:
            raise OperationalError("server closed the connection unexpectedly")

    # The history goes in through the write's InsertWriter (funnel.summaries.bulk).
    monkeypatch.setattr(services, "insert_rows", insert_rows)
    monkeypatch.setattr(bulk, "insert_rows", insert_rows)


def _fail_in_totals(monkeypatch):
    def totals_add(deltas):
        raise OperationalError("could not serialize access")

    monkeypatch.setattr(services, "totals_add", totals_add)


FAULTS = {"after the history insert": _fail_after_history, "in the totals": _fail_in_totals}


@pytest.fixture
def yesterday():
    return timezone.localdate() - dt.timedelta(days=1)


@pytest.fixture
def existing(manager_a, yesterday):
    """Values already saved before the failing request: they must survive it unchanged."""
    write_fact(manager_a, "active", yesterday, first_contacts=3, revenue=Decimal("10.50"))
    return fact_state()


def _day_form_data(yesterday) -> dict:
    active, inbound, partner = (channel(c).pk for c in ("active", "inbound", "partner"))
    return {
        f"c{active}-first_contacts": "12",
        f"c{active}-meetings_set": "4",
        f"c{active}-revenue": "1500.50",
        f"c{inbound}-leads_received": "17",
        f"c{inbound}-payments_count": "2",
        f"c{partner}-partner_contacts": "5",
    }


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_day_form_save_failing_midway_writes_nothing_and_says_so(
    client, manager_a, yesterday, existing, monkeypatch, fault, htmx
):
    FAULTS[fault](monkeypatch)
    client.force_login(manager_a)
    url = reverse("funnel:day") + f"?date={yesterday}"
    response = client.post(url, _day_form_data(yesterday), headers=HX if htmx else {})
    assert response.status_code == 503
    assert MESSAGE in response.content.decode()
    if htmx:
        # entry.js shows a plain-text refusal next to the form.
        assert response["Content-Type"].startswith("text/plain")
    assert fact_state() == existing
    assert_totals_exact()


def test_the_database_failure_message_is_translated(client, manager_a, yesterday, monkeypatch):
    _fail_after_history(monkeypatch)
    manager_a.language = "ru"
    manager_a.save()
    client.force_login(manager_a)
    response = client.post(
        reverse("funnel:day") + f"?date={yesterday}", _day_form_data(yesterday), headers=HX
    )
    assert response.status_code == 503
    assert MESSAGE_RU in response.content.decode()


@pytest.mark.parametrize("fault", FAULTS)
def test_a_grid_cell_failing_midway_writes_nothing(
    client, manager_a, yesterday, existing, monkeypatch, fault
):
    FAULTS[fault](monkeypatch)
    client.force_login(manager_a)
    data = {
        "date": yesterday.isoformat(),
        "channel": channel("active").pk,
        "code": "first_contacts",
        "value": "8",
    }
    response = client.post(reverse("funnel:cell"), data, headers=HX)
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert MESSAGE in response.content.decode()
    assert fact_state() == existing


def _import_csv(yesterday) -> bytes:
    rows = ["date,manager,channel,indicator,value"]
    for back in range(5):
        day = yesterday - dt.timedelta(days=back)
        rows += [
            f"{day},manager_a,active,first_contacts,{10 + back}",
            f"{day},manager_a,inbound,leads_received,{15 + back}",
            f"{day},manager_a,partner,revenue,{100 + back}.25",
        ]
    return ("\n".join(rows) + "\n").encode()


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_an_import_upload_failing_midway_writes_nothing_and_says_so(
    client, head1, manager_a, yesterday, existing, monkeypatch, fault, htmx
):
    FAULTS[fault](monkeypatch)
    client.force_login(head1)
    upload = SimpleUploadedFile("kpi.csv", _import_csv(yesterday), content_type="text/csv")
    response = client.post(reverse("funnel:import"), {"file": upload}, headers=HX if htmx else {})
    # htmx swaps only 2xx: the error comes back in place of the report.
    assert response.status_code == (200 if htmx else 503)
    assert response.get("Retry-After") == (None if htmx else "60")
    assert MESSAGE in response.content.decode()
    assert fact_state() == existing
    assert_totals_exact()


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_an_import_failing_midway_after_its_preview_writes_nothing_and_says_so(
    client, head1, manager_a, yesterday, existing, monkeypatch, fault, htmx
):
    client.force_login(head1)
    upload = SimpleUploadedFile("kpi.csv", _import_csv(yesterday), content_type="text/csv")
    client.post(reverse("funnel:import"), {"file": upload})
    token = ImportUpload.objects.get(status="checked").token
    FAULTS[fault](monkeypatch)
    response = client.post(reverse("funnel:import_run", args=[token]), headers=HX if htmx else {})
    assert response.status_code == (200 if htmx else 503)
    assert "The database did not answer; nothing was imported." in response.content.decode()
    assert ImportUpload.objects.get().status == "failed"
    assert fact_state() == existing
    assert_totals_exact()


@pytest.mark.parametrize("fault", FAULTS)
def test_the_import_command_failing_midway_writes_nothing(
    tmp_path, manager_a, yesterday, existing, monkeypatch, fault
):
    FAULTS[fault](monkeypatch)
    path = tmp_path / "kpi.csv"
    path.write_bytes(_import_csv(yesterday))
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_kpi", str(path), stdout=StringIO(), stderr=StringIO())
    assert fact_state() == existing
    assert_totals_exact()


# ---- Redis down ----------------------------------------------------------------------------


def test_pages_are_served_with_redis_down(client, settings, manager_a, head1, existing):
    settings.CACHES = {
        "default": {
            "BACKEND": "kpi_project.cache.FailSafeRedisCache",
            # Nothing listens on port 1: every cache call fails at once.
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1},
        }
    }
    assert isinstance(caches["default"], FailSafeRedisCache)
    assert client.get(reverse("login")).status_code == 200
    client.force_login(manager_a)
    for name in ("funnel:day", "funnel:week", "funnel:history"):
        assert client.get(reverse(name)).status_code == 200, name
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = client.post(
        reverse("funnel:day") + f"?date={yesterday}", _day_form_data(yesterday), headers=HX
    )
    assert response.status_code == 200
    client.force_login(head1)
    for name in ("metrics:dashboard", "funnel:import"):
        assert client.get(reverse(name)).status_code == 200, name
    assert_totals_exact()


# ---- an import killed mid-way ----------------------------------------------------------------

SETUP = """
import django; django.setup()
import datetime as dt
from decimal import Decimal
from tests.factories import make_team, make_user, write_fact
team = make_team("Kill team")
manager = make_user("killme", team=team)
write_fact(manager, "active", dt.date(2024, 1, 2), first_contacts=1, revenue=Decimal("1.00"))
"""

# Runs import_kpi and stops for good right after the history rows went in, inside the open
# transaction, so that the SIGKILL lands with counts, facts and history written but not committed.
KILLED_IMPORT = """
import sys, time
import django; django.setup()
from django.core.management import call_command
from funnel import services
from funnel.summaries import bulk
from funnel.models import FactChange
from funnel.summaries import bulk
real = bulk.insert_rows
def insert_rows(model, columns, rows, tail=""):
    real(model, columns, rows, tail)
    if model is FactChange:
        print("PARTWAY", len(rows), flush=True)
        time.sleep(120)
# The history goes in through the write's InsertWriter (funnel.summaries.bulk) or directly.
services.insert_rows = bulk.insert_rows = insert_rows
call_command("import_kpi", sys.argv[1])
"""

STATE = """
import json
import django; django.setup()
from tests.security.helpers import fact_rows
from funnel.summaries.verify import totals_differences
print(json.dumps({**fact_rows(), "differences": totals_differences()[0]}))
"""


def _database_url(tmp_path: Path) -> str:
    """A database a subprocess can reach: the test database on PostgreSQL, a file on SQLite."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
        return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{tmp_path / 'killed.sqlite3'}"


def _run(code: str, *args: str, env: dict, **kwargs):
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        **kwargs,
    )


def test_an_import_killed_midway_leaves_nothing_behind(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "REDIS_URL"},
        "DATABASE_URL": _database_url(tmp_path),
        "DJANGO_SETTINGS_MODULE": "kpi_project.settings",
        "PYTHONPATH": str(ROOT),
    }
    if connection.vendor == "sqlite":
        _run("import django; django.setup(); "
             "from django.core.management import call_command; "
             "call_command('migrate', verbosity=0)", env=env)  # fmt: skip
    _run(SETUP, env=env)
    before = json.loads(_run(STATE, env=env).stdout)
    assert before["facts"] == 1

    path = tmp_path / "big.csv"
    codes = ["first_contacts", "meetings_set", "negotiations_held", "proposals_sent", "revenue"]
    with path.open("w") as out:
        out.write("date,manager,channel,indicator,value\n")
        for back in range(400):
            day = dt.date(2024, 1, 1) + dt.timedelta(days=back + 2)
            for n, code in enumerate(codes):
                # Up to the floor of the usual (funnel.plausibility): nothing to confirm.
                out.write(f"{day},killme,active,{code},{(back + n) % 20 + 1}\n")

    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_IMPORT, str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("PARTWAY 2000"), line + process.stderr.read()
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL

    after = json.loads(_run(STATE, env=env).stdout)
    assert after == before
    assert after["differences"] == 0
    # The same file imports completely afterwards.
    _run("import sys, django; django.setup(); from django.core.management import call_command; "
         "call_command('import_kpi', sys.argv[1])", str(path), env=env)  # fmt: skip
    done = json.loads(_run(STATE, env=env).stdout)
    assert (done["facts"], done["history"], done["differences"]) == (401, 2002, 0)
    assert fact_rows()["facts"] == (401 if connection.vendor == "postgresql" else 0)
