"""The summaries' units: team keys, and money as whole kopecks (integers sum exactly on both
databases; SQLite keeps decimals as binary floating point)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import BigIntegerField, F, Func
from django.db.models.functions import Cast, Round

from funnel.models import MONEY_DECIMAL_CODES
from funnel.summaries.models import TeamTotal

ALL_TEAMS = TeamTotal.ALL_TEAMS
NO_TEAM = TeamTotal.NO_TEAM


def team_key(team_id: int | None) -> int:
    return NO_TEAM if team_id is None else team_id


def kopecks(column: str | F | Func) -> Cast:
    """The ORM expression of a 2-place money column (or expression) in whole kopecks, exact
    on SQLite and PostgreSQL. ROUND first: on SQLite 0.29 * 100 is 28.999…, which a bare
    CAST would truncate."""
    value = F(column) if isinstance(column, str) else column
    return Cast(Round(value * 100), BigIntegerField())


def cents(value: int) -> Decimal:
    """Whole kopecks back as money with 2 places, exactly."""
    return Decimal(int(value)).scaleb(-2)


def stored_units(code: str, value: Decimal | int) -> int:
    """A fact value in the summaries' integer units: money in kopecks, counts as they are."""
    if code in MONEY_DECIMAL_CODES:
        return int(Decimal(value).scaleb(2))
    return int(value)


def total_value(code: str, stored: int) -> Decimal | int:
    """A stored sum back in the facts' units: Decimal money with 2 places, counts as int."""
    return cents(stored) if code in MONEY_DECIMAL_CODES else int(stored)
