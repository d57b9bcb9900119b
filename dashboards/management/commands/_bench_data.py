"""The bench's data set: a deterministic company of a scale, generated through facts_write
(functions, so that a test can make a tiny one), and what refuses a database that is not
the bench's own."""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError, OutputWrapper
from django.db import connection

from channels.models import Channel
from dashboards.models import BenchDataset
from funnel.models import (
    MONEY_CODES,
    DailyCount,
    DailyFact,
    DailyTotal,
    FactChange,
    Indicator,
    ManagerTotal,
    MonthTotal,
)
from funnel.services import ValueWrite, facts_write
from teams.models import Team, User

TEAM_SIZE = 10
PREFIX = "bench-"  # every person the bench creates, and nobody else
BATCH_VALUES = 150_000


def others_refuse() -> None:
    """Refuse a database that holds anyone the bench did not create."""
    if User.objects.exclude(username__startswith=PREFIX).exists():
        raise CommandError(
            "This database holds other users: run the benchmark on a database of its own "
            "(DATABASE_URL=postgres://…/kpi_bench or sqlite:////tmp/bench.sqlite3)."
        )


def dataset_current() -> BenchDataset | None:
    """The data set an earlier run generated here, None without one."""
    return BenchDataset.objects.order_by("-created_at", "-pk").first()


def dataset_generate(
    scale: str, *, managers: int, days: int, end: dt.date, out: OutputWrapper
) -> BenchDataset:
    """Wipe the bench's data and generate `managers` managers' facts of the `days` days up
    to `end`; record it in BenchDataset. Refuses a database with other people."""
    others_refuse()
    started = time.perf_counter()
    _wipe()
    start = end - dt.timedelta(days=days - 1)
    people = _people(managers)
    _facts(scale, people, start, end, out)
    analyze()
    return BenchDataset.objects.create(
        scale=scale, end=end, generate_seconds=round(time.perf_counter() - started, 1)
    )


def analyze() -> None:
    """What autovacuum would do after a bulk load: statistics and the visibility map
    (VACUUM cannot run inside a transaction, a test's for one: ANALYZE alone there)."""
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")


def _wipe() -> None:
    # A dedicated database: raw deletes, no per-row signals (totals go with the facts).
    for model in (FactChange, DailyCount, DailyFact, DailyTotal, MonthTotal, ManagerTotal):
        model.objects.all()._raw_delete(connection.alias)
    BenchDataset.objects.all().delete()
    User.objects.filter(username__startswith=PREFIX).delete()
    Team.objects.filter(name__startswith="Bench ").delete()


def _people(count: int) -> list[User]:
    password = make_password(None)
    channels = list(Channel.objects.filter(is_active=True))
    User.objects.create(
        username="bench-director",
        full_name="Bench Director",
        role=User.Role.DIRECTOR,
        password=password,
    )
    managers = []
    for t in range(math.ceil(count / TEAM_SIZE)):
        team = Team.objects.create(name=f"Bench team {t + 1:02d}")
        head = User.objects.create(
            username=f"bench-head-{t + 1:02d}",
            full_name=f"Head {t + 1:02d}",
            role=User.Role.HEAD,
            password=password,
        )
        team.heads.add(head)
        members = [
            User(
                username=f"bench-m{n + 1:04d}",
                full_name=f"Manager {n + 1:04d}",
                role=User.Role.MANAGER,
                team=team,
                password=password,
            )
            for n in range(t * TEAM_SIZE, min(count, (t + 1) * TEAM_SIZE))
        ]
        managers += User.objects.bulk_create(members)
    for manager in managers:
        manager.channels.set(channels)
    return managers


def _facts(
    scale: str, managers: list[User], start: dt.date, end: dt.date, out: OutputWrapper
) -> None:
    channels = list(Channel.objects.filter(is_active=True).order_by("display_order", "pk"))
    indicators = {c.pk: list(Indicator.objects.filter(channel=c)) for c in channels}
    stages = {
        c.pk: [i.code for i in sorted(indicators[c.pk], key=lambda i: i.order) if i.is_stage]
        for c in channels
    }
    # The data set: one count per day × manager × stage (activities left out).
    per_day = sum(len(stages[c.pk]) + 4 for c in channels)
    days = (end - start).days + 1
    # Whole months of a group of managers per call: large batches, as an import would.
    group = max(1, BATCH_VALUES // (per_day * 31))
    first = start
    done = 0
    while first <= end:
        next_month = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        last = min(end, next_month - dt.timedelta(days=1))
        for offset in range(0, len(managers), group):
            writes: list[ValueWrite] = []
            for manager in managers[offset : offset + group]:
                rng = random.Random(f"{scale}:{manager.username}:{first}")
                skill = 0.6 + (manager.pk % 7) / 10
                day = first
                while day <= last:
                    for channel in channels:
                        writes += _day(rng, skill, day, manager.pk, channel.pk, stages)
                    day += dt.timedelta(days=1)
            facts_write(writes=writes, by=None, source=FactChange.Source.DEMO, confirm=True)
        done += (last - first).days + 1
        out.write(f"  generated {done}/{days} days", ending="\r")
        out.flush()
        first = last + dt.timedelta(days=1)
    out.write("")


def _day(rng, skill, day, manager_id, channel_id, stages) -> list[ValueWrite]:
    writes = []
    count = int(rng.randint(8, 40) * skill)
    for code in stages[channel_id]:
        writes.append(ValueWrite(day, manager_id, channel_id, code, count))
        count = int(count * rng.uniform(0.35, 0.8))
    won = count
    check = rng.randint(50, 500) * 100
    paid = rng.randint(0, won) if won else 0
    revenue = Decimal(paid * check + rng.randint(0, 99)) / 100 * 100
    money = {
        "invoiced_amount": Decimal(won * check),
        "payments_count": paid,
        "revenue": revenue.quantize(Decimal("0.01")),
        "variable_costs": (revenue * Decimal("0.42")).quantize(Decimal("0.01")),
    }
    for code in MONEY_CODES:
        if money[code]:
            writes.append(ValueWrite(day, manager_id, channel_id, code, money[code]))
    return writes
