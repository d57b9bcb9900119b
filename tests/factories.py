"""Small factories for tests: people, teams and facts written through the real service."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from channels.models import Channel
from funnel.models import FactChange
from funnel.services import ValueWrite, facts_write
from teams.models import Team, User

_seq = itertools.count(1)


def make_team(name: str | None = None, *, heads: tuple[User, ...] = ()) -> Team:
    team = Team.objects.create(name=name or f"Team {next(_seq)}")
    team.heads.add(*heads)
    return team


LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def make_user(
    username: str | None = None,
    *,
    role: str = User.Role.MANAGER,
    team: Team | None = None,
    channels: tuple[str, ...] = ("active", "inbound", "repeat_vip", "partner"),
    password: str = "pass-1234-word",
    **extra,
) -> User:
    # Here long before any date the tests use: reporting is due on every day they look at.
    extra.setdefault("date_joined", LONG_AGO)
    user = User.objects.create_user(
        username=username or f"user{next(_seq)}", password=password, role=role, team=team, **extra
    )
    if role == User.Role.MANAGER and channels:
        user.channels.set(Channel.objects.filter(code__in=channels))
    return user


def channel(code: str) -> Channel:
    return Channel.objects.get(code=code)


def write_fact(
    manager: User,
    channel_code: str,
    day: dt.date,
    *,
    by: User | None = None,
    source: str = FactChange.Source.FORM,
    confirm: bool = True,
    **values: int | Decimal | str,
):
    """Write counts and money of one (day, manager, channel) through `facts_write`; unusual
    values (funnel.plausibility_checks) are confirmed unless `confirm` is False."""
    ch = channel(channel_code)
    writes = [
        ValueWrite(
            date=day, manager_id=manager.pk, channel_id=ch.pk, code=code, value=Decimal(str(value))
        )
        for code, value in values.items()
    ]
    return facts_write(writes=writes, by=by or manager, source=source, confirm=confirm)
