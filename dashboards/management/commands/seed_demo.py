"""A deterministic demo company: people, ~6 months of daily facts, plans, expenses, holidays.

It lives in metrics (not funnel) because it writes plans, expenses and holidays, and funnel
never imports metrics. Facts go through facts_write like every other write.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from channels.models import Channel
from dashboards import demo_review
from dashboards.demo_commitments import seed_commitments
from funnel.models import DailyFact, FactChange
from funnel.services import ValueWrite, facts_write
from plans.models import Holiday, MonthlyExpense, Plan
from teams.models import Team, User

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Profile:
    """An average manager's weekday in a channel."""

    first_stage: float  # mean count of the first funnel stage
    conversions: tuple[float, ...]  # stage i from stage i-1
    activities: dict[str, tuple[str, float]]  # code: (based on this stage, ratio)
    check: int  # average payment, roubles
    pay_rate: float  # payments per invoice
    costs: tuple[float, float]  # variable costs as a share of revenue


PROFILES = {
    "active": Profile(
        24,
        (0.25, 0.6, 0.7, 0.45, 0.9),
        {
            "prospects_added": ("first_contacts", 0.6),
            "contact_attempts": ("first_contacts", 1.8),
            "proposals_reviewed": ("proposals_sent", 0.7),
        },
        85_000,
        0.85,
        (0.45, 0.6),
    ),
    "inbound": Profile(12, (0.6, 0.7, 0.45, 0.9), {}, 35_000, 0.9, (0.4, 0.55)),
    "repeat_vip": Profile(10, (0.5, 0.55, 0.95), {}, 55_000, 0.92, (0.4, 0.5)),
    "partner": Profile(
        8,
        (0.3, 0.6, 0.7, 0.4, 0.9),
        {"dm_attempts": ("partner_contacts", 1.7), "proposals_reviewed": ("proposals_sent", 0.7)},
        240_000,
        0.8,
        (0.55, 0.7),
    ),
}
# For a channel an admin added: a plain funnel halving at every stage.
DEFAULT_PROFILE = Profile(10, (), {}, 50_000, 0.85, (0.4, 0.6))


@dataclass(frozen=True)
class Skill:
    volume: float
    conversion: float
    check: float
    # One stage where the manager converts far worse than the rest: the story the
    # bottleneck finder tells on the demo company.
    weak_stage: str = ""
    weak_factor: float = 1.0


@dataclass(frozen=True)
class DemoManager:
    username: str
    full_name: str
    team: int
    channels: tuple[str, ...]
    skill: Skill


DIRECTOR = ("director", "Марина Соколова")
HEADS = (("head1", "Андрей Волков"), ("head2", "Елена Морозова"))
TEAMS = ("Команда Север", "Команда Юг")
MANAGERS = (
    # manager1 and manager5 are the stars, manager4 clearly lags behind.
    DemoManager(
        "manager1", "Иван Петров", 0, ("active", "inbound", "repeat_vip"), Skill(1.2, 1.1, 1.05)
    ),
    # manager2 books meetings like everyone but loses them before negotiations.
    DemoManager(
        "manager2",
        "Ольга Смирнова",
        0,
        ("active", "partner"),
        Skill(1.0, 1.0, 1.0, weak_stage="negotiations_held", weak_factor=0.35),
    ),
    DemoManager("manager3", "Дмитрий Кузнецов", 0, ("inbound", "repeat_vip"), Skill(1.05, 0.95, 1)),
    DemoManager("manager4", "Анна Попова", 0, ("active", "inbound"), Skill(0.8, 0.88, 0.9)),
    DemoManager(
        "manager5", "Сергей Васильев", 1, ("inbound", "repeat_vip", "partner"), Skill(1.15, 1.12, 1)
    ),
    DemoManager("manager6", "Наталья Новикова", 1, ("active", "repeat_vip"), Skill(0.95, 1.0, 1.0)),
    DemoManager("manager7", "Алексей Фёдоров", 1, ("inbound", "partner"), Skill(1.0, 0.95, 1.05)),
    DemoManager(
        "manager8", "Екатерина Михайлова", 1, ("active", "inbound", "repeat_vip"), Skill(1, 1, 0.95)
    ),
)
DEMO_USERNAMES = (DIRECTOR[0], *(h[0] for h in HEADS), *(m.username for m in MANAGERS))
# A demo over more years than this is no quicker to read and slow to build.
MAX_MONTHS = 36
# Busier before the New Year, quieter in January and in the summer holidays.
SEASON = {1: 0.8, 2: 0.95, 3: 1.0, 4: 1.0, 5: 0.95, 6: 0.95, 7: 0.9, 8: 0.88}
SEASON |= {9: 1.0, 10: 1.05, 11: 1.08, 12: 1.15}

# Official non-working holidays of the Russian Labour Code (article 112).
FIXED_HOLIDAYS = {
    (1, 1): "Новогодние каникулы",
    (1, 2): "Новогодние каникулы",
    (1, 3): "Новогодние каникулы",
    (1, 4): "Новогодние каникулы",
    (1, 5): "Новогодние каникулы",
    (1, 6): "Новогодние каникулы",
    (1, 7): "Рождество Христово",
    (1, 8): "Новогодние каникулы",
    (2, 23): "День защитника Отечества",
    (3, 8): "Международный женский день",
    (5, 1): "Праздник Весны и Труда",
    (5, 9): "День Победы",
    (6, 12): "День России",
    (11, 4): "День народного единства",
}


def russian_holidays(start: dt.date, end: dt.date) -> dict[dt.date, str]:
    """Official holidays in [start, end], with a weekend holiday moved to the next weekday.

    January's weekend holidays are moved by a yearly decree, not by the rule, so they stay.
    """
    days: dict[dt.date, str] = {}
    for year in range(start.year, end.year + 1):
        for (month, day), name in FIXED_HOLIDAYS.items():
            days[dt.date(year, month, day)] = name
        for (month, day), name in FIXED_HOLIDAYS.items():
            holiday = dt.date(year, month, day)
            if month == 1 or holiday.weekday() < 5:
                continue
            moved = holiday + dt.timedelta(days=1)
            while moved.weekday() >= 5 or moved in days:
                moved += dt.timedelta(days=1)
            days[moved] = f"{name} (перенос)"
    return {day: name for day, name in sorted(days.items()) if start <= day <= end}


def month_start(day: dt.date, shift: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 + shift
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(first: dt.date) -> dt.date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def working_days(first: dt.date, holidays: dict[dt.date, str]) -> int:
    days = (first + dt.timedelta(days=i) for i in range(month_end(first).day))
    return sum(1 for d in days if d.weekday() < 5 and d not in holidays)


def kopecks(value: float) -> Decimal:
    return Decimal(round(value * 100)) / 100


def binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(1 for _ in range(n) if rng.random() < p)


@dataclass(frozen=True)
class Funnel:
    """A channel as configured now, with the demo profile that drives its numbers."""

    channel: Channel
    stages: list[str]
    activities: list[str]
    main: str
    profile: Profile

    @property
    def rates(self) -> list[float]:
        rates = list(self.profile.conversions)
        return rates if len(rates) == len(self.stages) - 1 else [0.5] * (len(self.stages) - 1)


def demo_funnels() -> dict[str, Funnel]:
    """Active channels with at least one stage; an admin may have changed the defaults."""
    funnels = {}
    for channel in Channel.objects.filter(is_active=True).prefetch_related("indicators"):
        rows = sorted(channel.indicators.all(), key=lambda i: (i.order, i.pk))
        stages = [i.code for i in rows if i.is_stage]
        if stages:
            funnels[channel.code] = Funnel(
                channel=channel,
                stages=stages,
                activities=[i.code for i in rows if not i.is_stage],
                main=channel.main_indicator or stages[0],
                profile=PROFILES.get(channel.code, DEFAULT_PROFILE),
            )
    return funnels


def day_values(
    rng: random.Random, funnel: Funnel, skill: Skill, volume: float
) -> dict[str, Decimal | int]:
    """One manager's counts and money in one channel on one day."""
    profile, stages = funnel.profile, funnel.stages
    mean_first = profile.first_stage * volume
    counts = {stages[0]: max(0, round(rng.gauss(mean_first, mean_first * 0.25)))}
    for previous, code, rate in zip(stages[:-1], stages[1:], funnel.rates, strict=True):
        weak = skill.weak_factor if code == skill.weak_stage else 1.0
        counts[code] = binomial(rng, counts[previous], min(0.95, rate * skill.conversion * weak))
    for code in funnel.activities:
        base, share = profile.activities.get(code, (stages[0], 1.0))
        mean = counts.get(base, counts[stages[0]]) * share
        counts[code] = max(0, round(rng.gauss(mean, mean * 0.2 + 0.3)))
    invoices = counts[stages[-1]]
    payments = binomial(rng, invoices, profile.pay_rate)
    check = profile.check * skill.check

    def amount() -> Decimal:
        return kopecks(check * rng.lognormvariate(0, 0.35))

    revenue = sum((amount() for _ in range(payments)), Decimal(0))
    invoiced = sum((amount() for _ in range(invoices)), Decimal(0))
    cost_share = Decimal(str(round(rng.uniform(*profile.costs), 4)))
    return {
        **counts,
        "invoiced_amount": invoiced,
        "payments_count": payments,
        "revenue": revenue,
        "variable_costs": (revenue * cost_share).quantize(CENT, rounding=ROUND_HALF_UP),
    }


def expected_month(funnel: Funnel, days: int, season: float) -> dict[str, Decimal]:
    """What an average manager does in a month: the basis of plans and expenses."""
    profile, stages = funnel.profile, funnel.stages
    counts = {stages[0]: profile.first_stage * season}
    for previous, code, rate in zip(stages[:-1], stages[1:], funnel.rates, strict=True):
        counts[code] = counts[previous] * rate
    base, share = profile.activities.get(funnel.main, (funnel.main, 1.0))
    payments = counts[stages[-1]] * profile.pay_rate * days
    revenue = payments * profile.check
    return {
        funnel.main: Decimal(round(counts.get(base, counts[stages[0]]) * share * days)),
        "payments_count": Decimal(round(payments)),
        "revenue": Decimal(round(revenue, -4)),
        "margin": Decimal(round(revenue * (1 - sum(profile.costs) / 2), -4)),
    }


class Command(BaseCommand):
    help = (
        "Build a demo company (director, head1, head2, manager1..manager8) with about six "
        "months of daily facts, plans, expenses and holidays. Deterministic and re-runnable; "
        "refuses to run with DEBUG off or next to real users unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo", help="password of every demo user")
        parser.add_argument(
            "--force", action="store_true", help="run even with DEBUG off or real users present"
        )
        parser.add_argument(
            "--skip-if-real",
            action="store_true",
            help="with real users present, say so in one line and succeed (for `make run`)",
        )
        parser.add_argument(
            "--months", type=int, default=6, help=f"whole months before this one (0..{MAX_MONTHS})"
        )
        parser.add_argument("--seed", type=int, default=7, help="random seed")

    def handle(self, *args, password: str, force: bool, months: int, seed: int, **options):
        if not 0 <= months <= MAX_MONTHS:
            raise CommandError(f"--months must be between 0 and {MAX_MONTHS}.")
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo writes made-up data, so it runs only with DEBUG on. "
                "Use --force to run it anyway."
            )
        real = User.objects.filter(is_demo=False)
        if real.exists() and not force and options.get("skip_if_real"):
            self.stdout.write("Demo data skipped: this database has real users; it keeps its data.")
            return
        if real.exists() and not force:
            names = ", ".join(real.order_by("username").values_list("username", flat=True)[:5])
            raise CommandError(
                f"This database has real (non-demo) users ({names}); seed_demo will not "
                "mix demo data into it. Use --force to do it anyway."
            )
        taken = real.filter(username__in=DEMO_USERNAMES).values_list("username", flat=True)
        if taken:
            raise CommandError(
                f"These usernames belong to real users, not demo ones: {', '.join(taken)}."
            )
        today = timezone.localdate()
        start = month_start(today, -months)
        end = today - dt.timedelta(days=1)
        with transaction.atomic():
            holidays = self._holidays(start, month_end(month_start(today, 1)))
            people = self._people(password, joined=start)
            funnels = demo_funnels()
            facts = self._facts(people, funnels, start, end, holidays, seed)
            demo_review.late_edit(people, end, holidays)
            self._report_times(start, end, seed)
            self._plans(people, funnels, start, month_start(today, 1), holidays, seed)
            main = {f.channel.pk: f.main for f in funnels.values()}
            seed_commitments(end=end, main=main, seed=seed)
        # Console output for whoever runs `make run`, like Django's own commands: English.
        self.stdout.write(
            f"Demo company ready: {facts} daily facts from {start} to {end}.\n"
            f"Demo logins (password “{password}”) at http://127.0.0.1:8000/ :\n"
            "  director — sales director, sees every team; also the admin site\n"
            "  head1, head2 — heads of the two teams\n"
            "  manager1 … manager8 — managers"
        )

    def _report_times(self, start: dt.date, end: dt.date, seed: int) -> None:
        """Date each demo report as typed in the evening of its day, a few the next morning.

        Without this every report would look entered today, i.e. late, to the discipline KPI.
        """
        tz = timezone.get_current_timezone()
        facts = list(
            DailyFact.objects.filter(
                manager__is_demo=True, date__gte=start, date__lte=end
            ).select_related("manager")
        )
        for fact in facts:
            rng = random.Random(f"{seed}:{fact.manager.username}:{fact.date}:entered")
            late = rng.random() < (0.2 if fact.manager.username == "manager4" else 0.04)
            when = dt.datetime.combine(fact.date, dt.time(18, rng.randrange(60)), tzinfo=tz)
            fact.created_at = when + dt.timedelta(hours=15) if late else when
        DailyFact.objects.bulk_update(facts, ["created_at"], batch_size=500)

    def _holidays(self, start: dt.date, end: dt.date) -> dict[dt.date, str]:
        holidays = russian_holidays(start, end)
        for day, name in holidays.items():
            Holiday.objects.update_or_create(
                date=day, defaults={"name": name, "is_working_day": False}
            )
        return holidays

    def _people(self, password: str, *, joined: dt.date) -> dict[str, User]:
        # One hash for all: demo users share a password, and hashing costs ~0.5 s each.
        hashed = make_password(password)
        # Everyone has been here since the demo's history begins: reporting is due from then.
        joined_at = timezone.make_aware(dt.datetime.combine(joined, dt.time(9)))
        people: dict[str, User] = {}

        def person(username: str, full_name: str, **fields) -> User:
            user, _created = User.objects.update_or_create(
                username=username,
                defaults={
                    "full_name": full_name,
                    "password": hashed,
                    "is_demo": True,
                    # Reminders and digests of the demo print to the console (EMAIL_BACKEND).
                    "email": f"{username}@example.com",
                    "date_joined": joined_at,
                    **fields,
                },
            )
            people[username] = user
            return user

        person(*DIRECTOR, role=User.Role.DIRECTOR, is_staff=True, is_superuser=True, team=None)
        teams = []
        for (username, full_name), team_name in zip(HEADS, TEAMS, strict=True):
            team, _created = Team.objects.get_or_create(name=team_name)
            team.heads.set([person(username, full_name, role=User.Role.HEAD, team=None)])
            teams.append(team)
        channels = {c.code: c for c in Channel.objects.all()}
        for manager in MANAGERS:
            user = person(
                manager.username,
                manager.full_name,
                role=User.Role.MANAGER,
                team=teams[manager.team],
            )
            user.channels.set([channels[code] for code in manager.channels if code in channels])
        return people

    def _facts(
        self,
        people: dict[str, User],
        funnels: dict[str, Funnel],
        start: dt.date,
        end: dt.date,
        holidays: dict[dt.date, str],
        seed: int,
    ) -> int:
        written = 0
        first = start
        repeat, zero_day = demo_review.anomaly_days(end, holidays)
        while first <= end:
            last = min(end, month_end(first))
            for manager in MANAGERS:
                user = people[manager.username]
                writes: list[ValueWrite] = []
                for code in manager.channels:
                    funnel = funnels.get(code)
                    if funnel is None:
                        continue
                    day = first
                    while day <= last:
                        # One generator per day: a day's numbers do not depend on the range.
                        # The review's anomalies (dashboards.demo_review): a run of days with
                        # the numbers of its first day, a day of zeros.
                        repeats = manager.username == demo_review.REPEATER and day in repeat
                        source = repeat[day] if repeats else day
                        rng = random.Random(f"{seed}:{manager.username}:{code}:{source}")
                        off = day.weekday() >= 5 or day in holidays
                        skip = rng.random() < (0.75 if off else 0.03) and not repeats
                        if not skip:
                            volume = manager.skill.volume * SEASON[day.month] * (0.15 if off else 1)
                            values = day_values(rng, funnel, manager.skill, volume)
                            zero = manager.username == demo_review.ZERO_DAY_MANAGER
                            if zero := zero and day == zero_day:
                                values = dict.fromkeys(values, 0)
                            # A zero is the same as nothing entered; the first stage
                            # is always written so that the day counts as reported.
                            writes += [
                                ValueWrite(day, user.pk, funnel.channel.pk, name, Decimal(value))
                                for name, value in values.items()
                                if value or name == funnel.stages[0] or zero
                            ]
                            written += 1
                        day += dt.timedelta(days=1)
                # By the manager, as if they had typed it; the source says it is made up.
                facts_write(writes=writes, by=user, source=FactChange.Source.DEMO, confirm=True)
            first = month_start(first, 1)
        return written

    def _plans(
        self,
        people: dict[str, User],
        funnels: dict[str, Funnel],
        start: dt.date,
        last: dt.date,
        holidays: dict[dt.date, str],
        seed: int,
    ) -> None:
        heads = [people[h[0]] for h in HEADS]
        demo_plans = Plan.objects.filter(month__gte=start, month__lte=last, manager__is_demo=True)
        existing = {(p.month, p.channel_id, p.manager_id, p.indicator): p for p in demo_plans}
        to_create: list[Plan] = []
        to_update: list[Plan] = []
        month = start
        while month <= last:
            days = working_days(month, holidays)
            margin = Decimal(0)
            for manager in MANAGERS:
                user = people[manager.username]
                for code in manager.channels:
                    funnel = funnels.get(code)
                    if funnel is None:
                        continue
                    target = expected_month(funnel, days, SEASON[month.month])
                    margin += target["margin"]
                    for indicator in (funnel.main, "payments_count", "revenue"):
                        # Plans sit a little above an average manager's month.
                        value = (target[indicator] * Decimal("1.05")).quantize(Decimal(1))
                        plan = existing.get((month, funnel.channel.pk, user.pk, indicator))
                        if plan is None:
                            plan = Plan(
                                month=month,
                                channel=funnel.channel,
                                manager=user,
                                indicator=indicator,
                                value=value,
                                updated_by=heads[manager.team],
                            )
                            to_create.append(plan)
                        elif plan.value != value:
                            plan.value = value
                            to_update.append(plan)
            # Expenses and reserves eat a good part of the expected margin.
            rng = random.Random(f"{seed}:expenses:{month}")
            share = Decimal(str(round(rng.uniform(0.5, 0.65), 3)))
            MonthlyExpense.objects.update_or_create(
                month=month,
                defaults={
                    "expenses": (margin * share).quantize(Decimal(1)),
                    "reserves": (margin * Decimal("0.1")).quantize(Decimal(1)),
                },
            )
            month = month_start(month, 1)
        Plan.objects.bulk_create(to_create)
        Plan.objects.bulk_update(to_update, ["value"])
