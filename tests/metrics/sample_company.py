"""A realistic small company for dashboard tests and screenshots: 2 teams, 6 managers,
about 60 days of facts written in one `facts_write` call, revenue plans for the month."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from channels.models import Channel
from funnel.models import FactChange, Indicator
from funnel.services import ValueWrite, facts_write
from plans.models import MonthlyExpense, Plan
from teams.models import User
from tests.factories import make_team, make_user

# (username, full name, team index, channels, skill: how well the funnel converts)
PEOPLE = [
    ("ivanova", "Olga Ivanova", 0, ("active", "repeat_vip"), 1.15),
    ("petrov", "Pavel Petrov", 0, ("active", "inbound"), 0.95),
    ("sidorova", "Sofia Sidorova", 0, ("inbound", "repeat_vip"), 1.05),
    ("kuznetsov", "Kirill Kuznetsov", 1, ("active", "partner"), 0.8),
    ("smirnova", "Svetlana Smirnova", 1, ("inbound", "partner"), 1.0),
    ("volkov", "Viktor Volkov", 1, ("active", "inbound"), 0.9),
]
# Managers who have not reported the last working day.
LATE = ("kuznetsov", "volkov")
PLAN_AMBITION = (Decimal("0.85"), Decimal("1.2"), Decimal("1.0"), Decimal("1.1"), Decimal("0.95"))
STAGE_RATES = [1.0, 0.55, 0.6, 0.7, 0.55, 0.85]
FIRST_STAGE = {"active": 14, "inbound": 9, "repeat_vip": 6, "partner": 4}
CHECK = {"active": 42000, "inbound": 27000, "repeat_vip": 55000, "partner": 90000}


def build_company(*, today: dt.date, days: int = 60, seed: int = 7) -> dict:
    rng = random.Random(seed)
    director = make_user("boss", role=User.Role.DIRECTOR, channels=(), full_name="Dmitry Orlov")
    heads = [
        make_user("head_north", role=User.Role.HEAD, channels=(), full_name="Nina Belova"),
        make_user("head_south", role=User.Role.HEAD, channels=(), full_name="Yuri Gromov"),
    ]
    teams = [make_team("North", heads=(heads[0],)), make_team("South", heads=(heads[1],))]
    channels = {c.code: c for c in Channel.objects.all()}
    stages: dict[str, list[Indicator]] = {code: [] for code in channels}
    for indicator in Indicator.objects.filter(kind=Indicator.Kind.STAGE).order_by("order"):
        stages[indicator.channel.code].append(indicator)
    last_working_day = today - dt.timedelta(days=1)
    while last_working_day.weekday() >= 5:
        last_working_day -= dt.timedelta(days=1)
    managers, writes = [], []
    for username, name, team, codes, skill in PEOPLE:
        manager = make_user(username, team=teams[team], channels=codes, full_name=name)
        managers.append(manager)
        for back in range(days, 0, -1):
            day = today - dt.timedelta(days=back)
            if day.weekday() >= 5 or (day == last_working_day and username in LATE):
                continue
            for code in codes:
                count = max(0, round(FIRST_STAGE[code] * rng.uniform(0.6, 1.4)))
                won = count
                for index, stage in enumerate(stages[code]):
                    if index:
                        rate = min(STAGE_RATES[index] * skill * rng.uniform(0.8, 1.2), 1.0)
                        count = round(count * rate)
                    writes.append(ValueWrite(day, manager.pk, channels[code].pk, stage.code, count))
                    won = count
                revenue = Decimal(won * CHECK[code]) * Decimal(rng.uniform(0.7, 1.3))
                revenue = revenue.quantize(Decimal("0.01"))
                for money_code, value in (
                    ("payments_count", won),
                    ("invoiced_amount", (revenue * Decimal("1.1")).quantize(Decimal("0.01"))),
                    ("revenue", revenue),
                    (
                        "variable_costs",
                        (revenue * Decimal(rng.uniform(0.35, 0.55))).quantize(Decimal("0.01")),
                    ),
                ):
                    writes.append(ValueWrite(day, manager.pk, channels[code].pk, money_code, value))
    facts_write(writes=writes, by=director, source=FactChange.Source.DEMO, confirm=True)
    # Plans near each manager's usual monthly revenue: some will beat them, some will not.
    earned: dict[tuple[int, int], Decimal] = {}
    for write in writes:
        if write.code == "revenue":
            key = (write.manager_id, write.channel_id)
            earned[key] = earned.get(key, Decimal(0)) + write.value
    month = today.replace(day=1)
    for (manager_id, channel_id), total in earned.items():
        ambition = PLAN_AMBITION[manager_id % len(PLAN_AMBITION)]
        Plan.objects.create(
            month=month,
            channel_id=channel_id,
            manager_id=manager_id,
            indicator="revenue",
            value=(total / days * 30 * ambition).quantize(Decimal(1000)),
        )
    MonthlyExpense.objects.create(
        month=month, expenses=Decimal("900000.00"), reserves=Decimal("150000.00")
    )
    return {"director": director, "heads": heads, "teams": teams, "managers": managers}
