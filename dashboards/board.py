"""Wallboards: read-only links for a TV in the sales room, and what the board shows.

A link is a long random token; only its SHA-256 hash is kept (as API tokens are kept, see
api/tokens.py — that module sits above this app, so the two-line hash is repeated here).
The token opens the board of one team, or of every team its creator leads, and nothing else:
no session, no cookie, no other page. The numbers are the dashboard's own panels
(`dashboards.dashboard.Dashboard`) for this month, drawn with the creator's scope as it is
now: a creator who no longer leads the team, or who left, takes the link down.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from dashboards import charts
from dashboards.dashboard import Dashboard, filters_for
from dashboards.filters import Filters
from dashboards.forms import DashboardFilterForm
from dashboards.models import BoardLink
from dashboards.panels.people import LeaderRow
from metrics import compute
from metrics.selectors import cents
from teams.models import Team, User
from teams.scope import can_lead

# 32 random bytes, URL-safe: 43 characters. Anything else is not a token (a 404 at once).
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")
MAX_LINKS = 20  # active links per person: an old TV's link is revoked rather than piled up
MIN_ROTATE, MAX_ROTATE = 5, 600
# last_seen_at is written at most this often per link, not on every poll.
TOUCH_EVERY = dt.timedelta(minutes=1)
BOARD_ROWS = 10  # the leaderboard's rows on a TV


def token_hash(raw: str) -> str:
    """The stored form of a token: its SHA-256, as api.tokens.token_hash."""
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


@transaction.atomic
def link_create(
    *,
    user: User,
    label: str,
    team: Team | None,
    show_names: bool = False,
    rotate_seconds: int = 15,
    language: str = "",
) -> tuple[BoardLink, str]:
    """A new link of `user` and its token, which is never stored and shown only now.

    The caller has checked that `user` leads `team` (the form's choices)."""
    if not can_lead(user):
        raise ValidationError(_("Only heads and the director make wallboard links."))
    active = BoardLink.objects.select_for_update().filter(created_by=user, revoked_at=None)
    if active.count() >= MAX_LINKS:
        raise ValidationError(
            _("At most %(max)d active wallboard links per person: revoke one first.")
            % {"max": MAX_LINKS}
        )
    raw = secrets.token_urlsafe(32)
    link = BoardLink.objects.create(
        label=label,
        token_hash=token_hash(raw),
        created_by=user,
        team=team,
        show_names=show_names,
        rotate_seconds=rotate_seconds,
        language=language or user.language or "en",
    )
    return link, raw


def link_revoke(*, user: User, pk: int) -> bool:
    """Revoke one of `user`'s own active links; False when there is none such."""
    return bool(
        BoardLink.objects.filter(pk=pk, created_by=user, revoked_at=None).update(
            revoked_at=timezone.now()
        )
    )


def link_for(raw: str) -> BoardLink | None:
    """The active link of a token, or None: a malformed, unknown or revoked token, or a
    creator who may no longer lead. The lookup is by the hash (a unique index), so nothing
    about a stored token can be learnt from how long a wrong one takes."""
    if not TOKEN_RE.fullmatch(raw or ""):
        return None
    link = (
        BoardLink.objects.select_related("created_by", "team")
        .filter(token_hash=token_hash(raw), revoked_at=None)
        .first()
    )
    if link is None or not link.created_by.is_active or not can_lead(link.created_by):
        return None
    now = timezone.now()
    if link.last_seen_at is None or now - link.last_seen_at > TOUCH_EVERY:
        BoardLink.objects.filter(pk=link.pk).update(last_seen_at=now)
        link.last_seen_at = now
    return link


def board_filters(*, viewer: User, team: Team | None, today: dt.date) -> Filters | None:
    """The dashboard's filters for this month, for `team` (None: the viewer's whole scope),
    checked as the dashboard checks them; None when the viewer may not see the team."""
    data = QueryDict(mutable=True)
    data["period"] = "this_month"
    if team is not None:
        data["team"] = str(team.pk)
    form = DashboardFilterForm(data, user=viewer, mine=False, today=today)
    if not form.is_valid():
        return None
    return filters_for(cleaned=form.cleaned_data, viewer=viewer, mine=False, today=today)


@dataclass(frozen=True)
class Alias:
    """A manager on a board that hides names: what the templates and charts read."""

    pk: int
    board_name: str

    @property
    def display_name(self) -> str:
        return self.board_name


@dataclass(frozen=True)
class BoardRow:
    row: LeaderRow
    team: str  # the team's name, or "" on a board of one team
    today: Decimal  # revenue dated today


class Board:
    """The wallboard's panels, read from the dashboard's: headline cards and the plan card,
    plan against fact with pace, the leaderboard (with today's revenue) and the funnels."""

    def __init__(self, filters: Filters, *, show_names: bool):
        self.dash = Dashboard(filters)
        self.show_names = show_names

    @property
    def f(self) -> Filters:
        return self.dash.f

    @cached_property
    def aliases(self) -> dict[int, str]:
        """{manager: "Manager N"}, numbered by who joined the board's teams first, so a
        number stays with its person (people who join later get the next ones). One query."""
        managers = self.f.managers.order_by("pk").values_list("pk", flat=True)
        return {pk: _("Manager %(n)d") % {"n": n} for n, pk in enumerate(managers, start=1)}

    def _person(self, manager: User):
        if self.show_names:
            return manager
        return Alias(0, self.aliases.get(manager.pk, "—"))

    @cached_property
    def _today_units(self) -> dict[int, int]:
        """{manager: revenue dated today, in kopecks}, from the pivot the leaderboard read:
        this month holds today, so what is neither from its earlier months nor dated before
        today is today's."""
        today: dict[int, int] = {}
        for (manager_id, _channel), sums in self.dash.pivot.items():
            units = sums.revenue_units - sums.earlier_units - sums.run_units
            today[manager_id] = today.get(manager_id, 0) + units
        return today

    @cached_property
    def revenue_today(self) -> Decimal:
        return compute.money(cents(sum(self._today_units.values())))

    @cached_property
    def pace_rows(self) -> list:
        """The plan table's lines a TV has room for: every channel's revenue and the
        totals of all channels."""
        rows = self.dash.plan_rows
        return [r for r in rows if r.channel is None or r.indicator == "revenue"]

    @cached_property
    def leaders(self) -> list[BoardRow]:
        """The top of the dashboard's leaderboard, names hidden unless the link shows them."""
        today = self._today_units
        rows = []
        for row in self.dash.leaderboard[:BOARD_ROWS]:
            manager = row.manager
            team = manager.team.name if manager.team and self.f.team is None else ""
            rows.append(
                BoardRow(
                    dataclasses.replace(row, manager=self._person(manager)),
                    team,
                    compute.money(cents(today.get(manager.pk, 0))),
                )
            )
        return rows

    @cached_property
    def leaderboard_figure(self) -> dict | None:
        return charts.leaderboard_figure([r.row for r in self.leaders], drill=self.dash.drill_url)
