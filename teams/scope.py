"""Who may see and change whose numbers. Every view asks here; templates never decide."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import QuerySet

from teams.models import Team, User


def managers_visible_to(user: User) -> QuerySet[User]:
    """The managers whose facts `user` may read."""
    managers = User.objects.filter(role=User.Role.MANAGER, is_active=True)
    if not user.is_authenticated:
        return managers.none()
    if user.sees_everything:
        return managers
    if user.is_head:
        return managers.filter(team__in=user.led_teams.all())
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
    return (
        user.is_head
        and manager.team_id is not None
        and (user.led_teams.filter(pk=manager.team_id).exists())
    )


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
    return user.pk != manager.pk and can_lead(user) and can_view_manager(user, manager)
