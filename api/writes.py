"""The API's writes: facts through funnel.services (the one write path, history source
"api" with the token's name), plans through plans.services.

A batch of facts is checked whole before anything is written, with the import's rules
(funnel.imports: date, manager, channel, indicator, value) plus the caller's rights of the
web pages (teams.scope.can_edit_facts: a manager's edit window, a head's teams); every
problem is listed — item (position in the batch), field, reason — and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied

from api import serializers as s
from api.common import month_of, plan_row
from api.errors import InvalidInput, problem
from channels.models import Channel
from dashboards.plan_checks import plan_check
from funnel.forms import date_parse, value_parse
from funnel.models import MONEY_CODES, FactChange, Indicator
from funnel.plausibility_checks import Implausible, UnusualValues
from funnel.services import values_write
from metrics.selectors import channel_catalogue
from plans.services import ReasonRequired, plan_indicators, plan_set
from teams.models import User
from teams.scope import can_edit_facts, can_lead, managers_visible_to, people_visible_to

MAX_VALUES = 5000
FIELDS = ("date", "manager", "channel", "indicator", "value")


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class _Lookups:
    """What every item is checked against, read once (4 queries for any batch)."""

    managers: dict[str, User]
    manager_channels: dict[int, set[int]]
    channels: dict[str, int]
    codes: dict[int, set[str]]

    @classmethod
    def load(cls, user: User) -> _Lookups:
        managers = {m.username: m for m in people_visible_to(user)}
        manager_channels: dict[int, set[int]] = {}
        for user_id, channel_id in User.channels.through.objects.filter(
            user_id__in=[m.pk for m in managers.values()]
        ).values_list("user_id", "channel_id"):
            manager_channels.setdefault(user_id, set()).add(channel_id)
        channels = dict(Channel.objects.values_list("code", "pk"))
        codes = {pk: set(MONEY_CODES) for pk in channels.values()}
        for channel_id, code in Indicator.objects.values_list("channel_id", "code"):
            codes[channel_id].add(code)
        return cls(managers, manager_channels, channels, codes)


class _Checker:
    def __init__(self, user: User, today: dt.date) -> None:
        self.user, self.today = user, today
        self.lookups = _Lookups.load(user)
        self.editable: dict[tuple[int, dt.date], bool] = {}
        self.errors: list[dict] = []

    def bad(self, item: int, field: str, reason: str) -> None:
        self.errors.append(problem(field, reason, item))

    def text(self, item: int, raw: dict, field: str) -> str | None:
        value = raw.get(field)
        if value is None:
            self.bad(item, field, _("This field is required."))
            return None
        if not isinstance(value, str):
            self.bad(item, field, _("Enter text."))
            return None
        return value.strip()

    def item(self, item: int, raw) -> tuple[tuple, Decimal] | None:
        """One value of the batch → ((date, manager_id, channel_id), code) and its value,
        or None after noting its problems."""
        if not isinstance(raw, dict):
            self.bad(
                item,
                "",
                _("Each value is an object with %(fields)s.") % {"fields": ", ".join(FIELDS)},
            )
            return None
        before = len(self.errors)
        day = self.day(item, raw)
        manager = self.manager(item, raw)
        channel_id = self.channel(item, raw, manager)
        code = self.text(item, raw, "indicator")
        if (
            code is not None
            and channel_id is not None
            and code not in self.lookups.codes[channel_id]
        ):
            self.bad(
                item,
                "indicator",
                _("Unknown indicator “%(code)s” for this channel.") % {"code": _short(code)},
            )
        value = self.value(item, raw, code or "")
        if day is not None and manager is not None:
            self.rights(item, day, manager)
        if len(self.errors) > before:
            return None
        return ((day, manager.pk, channel_id), code), value

    def day(self, item: int, raw: dict) -> dt.date | None:
        text = self.text(item, raw, "date")
        if text is None:
            return None
        try:
            day = date_parse(text)
        except ValidationError as error:
            self.bad(item, "date", error.messages[0])
            return None
        if day > self.today:
            self.bad(item, "date", _("The date is in the future."))
            return None
        return day

    def manager(self, item: int, raw: dict) -> User | None:
        if raw.get("manager") is None and self.user.is_manager:
            return self.user
        username = self.text(item, raw, "manager")
        if username is None:
            return None
        manager = self.lookups.managers.get(username)
        if manager is None:
            self.bad(
                item,
                "manager",
                _("Unknown manager “%(name)s”, or not in your teams.") % {"name": _short(username)},
            )
        return manager

    def channel(self, item: int, raw: dict, manager: User | None) -> int | None:
        code = self.text(item, raw, "channel")
        if code is None:
            return None
        channel_id = self.lookups.channels.get(code)
        if channel_id is None:
            self.bad(item, "channel", _("Unknown channel “%(code)s”.") % {"code": _short(code)})
        elif manager is not None and channel_id not in self.lookups.manager_channels.get(
            manager.pk, ()
        ):
            self.bad(
                item,
                "channel",
                _("%(name)s does not report on channel “%(code)s”.")
                % {"name": manager.username, "code": code},
            )
        return channel_id

    def value(self, item: int, raw: dict, code: str) -> Decimal | None:
        value = raw.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float | str | None):
            self.bad(item, "value", _("Enter a number."))
            return None
        text = value if isinstance(value, str | None) else repr(value)
        try:
            number = value_parse(code, text)
        except ValidationError as error:
            self.bad(item, "value", error.messages[0])
            return None
        if number is None:
            self.bad(item, "value", _("The value is missing."))
        return number

    def rights(self, item: int, day: dt.date, manager: User) -> None:
        """The web's rule: a manager changes the last days of the edit window, a head the
        days their people were in their teams, the director any past day."""
        key = (manager.pk, day)
        if key not in self.editable:
            self.editable[key] = can_edit_facts(self.user, manager, day, self.today)
        if self.editable[key]:
            return
        if self.user.pk == manager.pk:
            self.bad(item, "date", _("This day can no longer be changed."))
        else:
            self.bad(
                item,
                "manager",
                _("%(name)s was not in your teams on this day.") % {"name": manager.username},
            )


def facts_upsert(request) -> dict:
    """POST /api/v1/facts/: check the whole batch, then write it in one transaction."""
    body = request.data
    if not isinstance(body, dict):
        raise InvalidInput([problem("", _("Send a JSON object with a list of values."))])
    items = body.get("values")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_VALUES:
        raise InvalidInput(
            [problem("values", _("Send from 1 to %(max)d values.") % {"max": MAX_VALUES})]
        )
    dry_run = body.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise InvalidInput([problem("dry_run", _("Must be true or false."))])
    confirm = body.get("confirm_unusual", False)
    if not isinstance(confirm, bool):
        raise InvalidInput([problem("confirm_unusual", _("Must be true or false."))])
    checker = _Checker(request.user, timezone.localdate())
    values: dict[tuple, Decimal] = {}
    seen: dict[tuple, int] = {}
    for index, raw in enumerate(items):
        checked = checker.item(index, raw)
        if checked is None:
            continue
        key, value = checked
        if key in seen:
            checker.bad(index, "", _("Same value as item %(item)s.") % {"item": seen[key]})
            continue
        seen[key], values[key] = index, value
    if checker.errors:
        raise InvalidInput(checker.errors)
    try:
        with transaction.atomic():
            result = values_write(
                values,
                by=request.user,
                source=FactChange.Source.API,
                source_name=request.auth.name,
                confirm=confirm,
            )
            if dry_run:
                transaction.set_rollback(True)
    except UnusualValues as error:
        hint = _("Send “confirm_unusual”: true to save it anyway.")
        raise InvalidInput(
            [
                problem("value", f"{item.message} {hint}", seen[(item.key[:3], item.code)])
                for item in error.items
            ]
        ) from None
    except Implausible as error:
        raise InvalidInput(
            [problem("value", reason, seen[(key, code)]) for key, code, reason in error.items]
        ) from None
    except ValidationError as error:
        raise InvalidInput([problem("", " ".join(error.messages))]) from None
    return {
        "values": len(values),
        "changed": result.changed,
        "unchanged": result.unchanged,
        "dry_run": dry_run,
        "unusual": len(result.unusual),
    }


def plan_write(request) -> dict:
    """POST /api/v1/plans/: one manager's plan, with the plan grid's rules (a started
    month's plan needs a reason and leaves a plan change)."""
    user = request.user
    if not can_lead(user):
        raise PermissionDenied
    data = s.PlanIn(data=request.data)
    data.is_valid(raise_exception=True)
    data = data.validated_data
    manager = managers_visible_to(user).filter(pk=data["manager"]).first()
    if manager is None:
        raise Http404
    month = month_of(data["month"])
    channel = next((c for c in channel_catalogue() if c.code == data["channel"]), None)
    works_in = set(manager.channels.values_list("pk", flat=True))
    if channel is None or channel.pk not in works_in:
        raise InvalidInput(
            [
                problem(
                    "channel",
                    _("%(name)s does not work in this channel.") % {"name": manager.username},
                )
            ]
        )
    if data["indicator"] not in plan_indicators(channel):
        raise InvalidInput([problem("indicator", _("Not an indicator of this channel."))])
    try:
        plan_check(
            month=month,
            manager=manager,
            channel=channel,
            indicator=data["indicator"],
            raw=data["value"],
            confirm=data["confirm_unusual"],
        )
        result = plan_set(
            month=month,
            manager=manager,
            channel=channel,
            indicator=data["indicator"],
            raw_value=data["value"],
            reason=data.get("reason", ""),
            by=user,
            today=timezone.localdate(),
        )
    except ValidationError as error:
        field = "reason" if isinstance(error, ReasonRequired) else "value"
        raise InvalidInput([problem(field, error.messages[0])]) from None
    return {"changed": result.changed, "plan": plan_row(result.plan) if result.plan else None}
