"""The backup path of docs/backup.md: dumpdata, an empty database, loaddata, totals_rebuild —
and every kpi_report figure comes back the same."""

from __future__ import annotations

import datetime as dt
import importlib
import random
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.contrib.admin.models import LogEntry
from django.core.management import CommandError, call_command

from channels.models import Channel
from funnel.models import (
    DailyCount,
    DailyFact,
    DailyTotal,
    FactChange,
    Indicator,
    ManagerTotal,
    MonthTotal,
)
from funnel.services import ValueWrite, facts_write
from plans.models import Holiday, MonthlyExpense, Plan, PlanChange
from teams.models import Team, User
from tests.factories import make_team, make_user
from tests.security.helpers import assert_totals_exact, fact_rows

# What docs/backup.md tells to dump: everything but what migrate recreates, sessions,
# login-attempt records, and the maintained totals (rebuilt after loading).
DUMP_OPTIONS = {
    "natural_foreign": True,
    "natural_primary": True,
    "exclude": [
        "contenttypes",
        "auth.permission",
        "sessions",
        "axes",
        "funnel.dailytotal",
        "funnel.managertotal",
        "funnel.monthtotal",
    ],
}
START, END = dt.date(2026, 9, 1), dt.date(2026, 10, 10)


@pytest.fixture
def company(db):
    """Two teams, four managers, six weeks of varied facts, plans, expenses, a holiday."""
    rng = random.Random(7)
    heads = [make_user(f"bhead{i}", role=User.Role.HEAD, channels=()) for i in (1, 2)]
    teams = [make_team(f"Backup team {i}", heads=(heads[i - 1],)) for i in (1, 2)]
    managers = [
        make_user(f"bmanager{i}", team=teams[i % 2], full_name=f"Менеджер {i}") for i in range(4)
    ]
    make_user("bdirector", role=User.Role.DIRECTOR, channels=())
    codes = {
        channel.pk: list(channel.indicators.values_list("code", flat=True))
        for channel in Channel.objects.all()
    }
    writes = []
    day = START
    while day <= END:
        for manager in managers:
            for channel_id, channel_codes in codes.items():
                if rng.random() < 0.6:
                    continue
                for code in channel_codes:
                    writes.append(ValueWrite(day, manager.pk, channel_id, code, rng.randint(0, 40)))
                revenue = Decimal(rng.randint(0, 500_000)) / 100
                writes += [
                    ValueWrite(day, manager.pk, channel_id, "payments_count", rng.randint(0, 5)),
                    ValueWrite(day, manager.pk, channel_id, "revenue", revenue),
                    ValueWrite(day, manager.pk, channel_id, "invoiced_amount", revenue * 2),
                    ValueWrite(
                        day,
                        manager.pk,
                        channel_id,
                        "variable_costs",
                        (revenue / 4).quantize(Decimal("0.01")),
                    ),
                ]
        day += dt.timedelta(days=1)
    facts_write(
        writes=[w for w in writes if w.code != "variable_costs"],
        by=heads[0],
        source="import",
        confirm=True,
    )
    # A second pass makes history with old values, written by the managers themselves.
    for manager in managers:
        own = [w for w in writes if w.manager_id == manager.pk and w.code == "variable_costs"]
        facts_write(writes=own, by=manager, source="grid", confirm=True)
    active = Channel.objects.get(code="active")
    for month in (dt.date(2026, 9, 1), dt.date(2026, 10, 1)):
        plan = Plan.objects.create(
            month=month, channel=active, manager=managers[0], indicator="revenue", value=250_000
        )
        Plan.objects.create(
            month=month, channel=active, team=teams[0], indicator="first_contacts", value=900
        )
        MonthlyExpense.objects.create(month=month, expenses=100_000, reserves=20_000)
    PlanChange.objects.create(plan=plan, old_value=200_000, new_value=250_000, reason="market")
    Holiday.objects.create(date=dt.date(2026, 11, 4), name="День народного единства")
    return {"teams": teams, "managers": managers}


def reports(company) -> dict[str, str]:
    """Every kpi_report figure: whole company, per team, per manager, per channel, CSV too."""
    runs = {"all": [], "csv": ["--format", "csv"]}
    for team in company["teams"]:
        runs[f"team {team.name}"] = ["--team", team.name]
    for manager in company["managers"]:
        runs[f"manager {manager.username}"] = ["--manager", manager.username]
    for code in Channel.objects.values_list("code", flat=True):
        runs[f"channel {code}"] = ["--channel", code]
        runs[f"channel {code}, first team"] = ["--channel", code, "--team", "Backup team 1"]
    runs["one month"] = []
    out = {}
    for name, args in runs.items():
        start, end = (
            (dt.date(2026, 9, 1), dt.date(2026, 9, 30))
            if name == "one month"
            else (
                START,
                END,
            )
        )
        stdout = StringIO()
        call_command("kpi_report", "--from", str(start), "--to", str(end), *args, stdout=stdout)
        out[name] = stdout.getvalue()
    return out


def empty_the_database() -> None:
    """What a freshly migrated database holds: nothing but the default channels."""
    for model in (
        DailyTotal,
        ManagerTotal,
        MonthTotal,
        FactChange,
        DailyCount,
        DailyFact,
        PlanChange,
        Plan,
        MonthlyExpense,
        Holiday,
        LogEntry,
        User.channels.through,
        User.groups.through,
        User.user_permissions.through,
        Team.heads.through,
        User,
        Team,
        Indicator,
        Channel,
    ):
        # Raw deletes: no signals, as in a database that never had these rows.
        model.objects.all()._raw_delete(model.objects.db)
    migration = importlib.import_module("funnel.migrations.0003_default_channels")
    migration.create_channels(django_apps, None)


def test_dump_and_load_into_an_empty_database_reproduces_every_report_figure(company, tmp_path):
    before_reports = reports(company)
    before_rows = fact_rows()
    assert before_rows["facts"] > 200
    assert '"revenue": "' in before_reports["all"]

    backup = tmp_path / "backup.json"
    call_command("dumpdata", output=str(backup), stdout=StringIO(), **DUMP_OPTIONS)
    empty_the_database()
    assert fact_rows() == {
        "facts": 0,
        "counts": 0,
        "history": 0,
        "totals": 0,
        "pivot": 0,
        "months": 0,
    }

    # docs/backup.md: the migration's default channels go before loading the backup's own.
    Channel.objects.all().delete()
    call_command("loaddata", str(backup), stdout=StringIO())
    # loaddata saves raw rows: the maintained totals know nothing of them yet.
    assert DailyTotal.objects.count() == 0
    assert ManagerTotal.objects.count() == 0
    assert MonthTotal.objects.count() == 0
    with pytest.raises(CommandError):
        call_command("totals_verify", stdout=StringIO())
    call_command("totals_rebuild", stdout=StringIO())

    assert fact_rows() == before_rows
    assert_totals_exact()
    after_reports = reports(company)
    for name, text in before_reports.items():
        assert after_reports[name] == text, f"report {name!r} differs after the restore"
    # People can still log in with their passwords, and the history kept its authors.
    assert User.objects.get(username="bmanager1").check_password("pass-1234-word")
    assert FactChange.objects.filter(changed_by__username="bmanager1", source="grid").exists()
