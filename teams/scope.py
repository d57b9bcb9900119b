"""Who may see and change whose numbers. Every view asks here; templates never decide."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import QuerySet

from teams.membership import calendar_for, members_ever
from teams.models import Team, User


def managers_visible_to(user: User) -> QuerySet[User]:
    """The active managers `user` leads now (or themselves): whom they plan, enter and
    remind for."""
    managers = User.objects.filter(role=User.Role.MANAGER, is_active=True)
    if not user.is_authenticated:
        return managers.none()
    if user.sees_everything:
        return managers
    if user.is_head:
        return managers.filter(team__in=user.led_teams.all())
    return managers.filter(pk=user.pk)


def people_visible_to(user: User) -> QuerySet[User]:
    """Every manager whose facts `user` may read, at least in part: people who left
    (deactivated) and people who were once in a team the user leads included."""
    managers = User.objects.filter(role=User.Role.MANAGER)
    if not user.is_authenticated:
        return managers.none()
    if user.sees_everything:
        return managers
    if user.is_head:
        return managers.filter(members_ever(user.led_teams.values("pk")))
    return managers.filter(pk=user.pk)


def teams_visible_to(user: User) -> QuerySet[Team]:
    if not user.is_authenticated:
        return Team.objects.none()
    if user.sees_everything:
        return Team.objects.all()
    if user.is_head:
        return user.led_teams.all()
    return Team.objects.filter(pk=user.team_id) if user.team_id else Team.objects.none()


def can_view_manager(user: User, manager: User) -> bool:
    if not user.is_authenticated:
        return False
    if user.sees_everything or user.pk == manager.pk:
        return True
    return user.is_head and people_visible_to(user).filter(pk=manager.pk).exists()


def days_visible_to(user: User, manager: User) -> QuerySet | None:
    """Which of a visible manager's facts `user` reads: None for all of them (their own,
    a director's, the head of the manager's current team), or the pks of the user's teams
    (a head whose team the manager has left sees the days the manager was in it)."""
    if user.sees_everything or user.pk == manager.pk or not user.is_head:
        return None
    led = user.led_teams.values("pk")
    if manager.team_id is not None and user.led_teams.filter(pk=manager.team_id).exists():
        return None
    return led


def can_lead(user: User) -> bool:
    """Heads, directors and admins: dashboards of others, plans, imports."""
    return user.is_authenticated and (user.is_head or user.sees_everything)


def edit_window_start(today: dt.date) -> dt.date:
    """First date a manager may still change (the window includes today)."""
    return today - dt.timedelta(days=settings.KPI_EDIT_WINDOW_DAYS - 1)


def can_edit_facts(user: User, manager: User, day: dt.date, today: dt.date) -> bool:
    """Managers change their own last N days; heads correct their team's any past day."""
    if day > today or not user.is_authenticated:
        return False
    if user.pk == manager.pk and user.is_manager:
        return day >= edit_window_start(today)
    if user.pk == manager.pk or not can_lead(user):
        return False
    if user.sees_everything:
        return True
    # A head corrects the days the manager was in one of their teams, or any day of a
    # manager in their team now.
    led = set(user.led_teams.values_list("pk", flat=True))
    if manager.team_id in led:
        return True
    return calendar_for([manager]).team_on(manager.pk, day) in led
