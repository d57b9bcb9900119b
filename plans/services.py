"""Writes of monthly plans: one cell of the grid, and "copy last month".

A plan is frozen once its month has started (the first day is today or earlier): from then
on every write needs a reason and leaves a PlanChange (who, when, old, new, why). Before
that, plans are drafts: changed or cleared freely, without history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from channels import inputs
from channels.models import Channel
from funnel.values import value_parse
from plans.models import PLAN_MONEY_CODES, Plan, PlanChange
from teams.models import User

# Plans in money: two decimal places; every other indicator is a whole count.
MONEY_PLAN_CODES = ("revenue", "margin")
# Fits the model's 14 digits with 2 places; anything bigger is a typing slip.
REASON_MAX = 300


class ReasonRequired(ValidationError):
    """The month has started: the change needs a reason."""


def month_parse(raw: str | None, *, default: dt.date) -> dt.date:
    """'YYYY-MM' -> the month's first day (years as channels.inputs bounds them); empty ->
    `default`; anything else is refused."""
    if not raw:
        return default.replace(day=1)
    return inputs.month_parse(raw)


def is_frozen(month: dt.date, today: dt.date) -> bool:
    return month <= today


def plan_indicators(channel: Channel) -> list[str]:
    """Codes a plan may set in a channel: its stages, its activities, then money."""
    return [
        *(i.code for i in channel.stage_list),
        *(i.code for i in channel.activity_list),
        *PLAN_MONEY_CODES,
    ]


def plan_value_parse(raw: str, *, indicator: str) -> Decimal | None:
    """A typed plan value: '' -> None (no plan); the rules of every typed number
    (funnel.values): spaces and a decimal comma allowed, money with 2 places, counts whole."""
    return value_parse(raw, money=indicator in MONEY_PLAN_CODES)


def _check_target(*, manager, channel: Channel, indicator: str, works_in: set[int]) -> None:
    if not channel.is_active or channel.pk not in works_in:
        raise ValidationError(
            _("%(manager)s does not work in the channel %(channel)s.")
            % {"manager": manager.display_name, "channel": channel.name}
        )
    if indicator not in plan_indicators(channel):
        raise ValidationError(
            _("%(indicator)s is not an indicator of the channel %(channel)s.")
            % {"indicator": indicator, "channel": channel.name}
        )


def _reason_clean(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ValidationError(_("Keep the reason under %(max)d characters.") % {"max": REASON_MAX})
    return reason


@dataclass(frozen=True)
class PlanWrite:
    plan: Plan | None  # None: no plan for the cell (cleared, or never set)
    changed: bool


@transaction.atomic
def plan_set(
    *,
    month: dt.date,
    manager,
    channel: Channel,
    indicator: str,
    raw_value: str,
    reason: str = "",
    by,
    today: dt.date,
) -> PlanWrite:
    """Set (or clear) one manager's plan of one indicator for a month.

    `channel` must carry `stage_list` / `activity_list` (selectors.channel_catalogue).
    Raises ValidationError — ReasonRequired when a started month's plan changes without
    a reason — and then writes nothing.
    """
    works_in = set(manager.channels.values_list("pk", flat=True))
    _check_target(manager=manager, channel=channel, indicator=indicator, works_in=works_in)
    value = plan_value_parse(raw_value, indicator=indicator)
    reason = _reason_clean(reason)
    plan = (
        Plan.objects.select_for_update()
        .filter(month=month, channel=channel, manager=manager, indicator=indicator)
        .first()
    )
    old = plan.value if plan else None
    if value == old:
        return PlanWrite(plan=plan, changed=False)
    frozen = is_frozen(month, today)
    if frozen and value is None:
        raise ValidationError(
            _("The month has started: a plan cannot be removed, set it to 0 with a reason.")
        )
    if frozen and not reason:
        raise ReasonRequired(_("The month has started: give a reason for the change."))
    if value is None:
        plan.delete()
        return PlanWrite(plan=None, changed=True)
    if plan is None:
        plan = Plan(month=month, channel=channel, manager=manager, indicator=indicator)
    plan.value = value
    plan.updated_by = by
    plan.full_clean(validate_unique=False, validate_constraints=False)
    plan.save()
    if frozen:
        PlanChange.objects.create(
            plan=plan, old_value=old, new_value=value, reason=reason, changed_by=by
        )
    return PlanWrite(plan=plan, changed=True)


@dataclass(frozen=True)
class CopyResult:
    created: int  # plans copied from the previous month
    kept: int  # already planned this month: left as they are


@transaction.atomic
def plans_copy_previous(
    *, month: dt.date, managers, by, today: dt.date, reason: str = ""
) -> CopyResult:
    """Copy last month's plans of `managers` into `month`, never overwriting.

    Only cells without a plan this month are filled, and only for channels the manager
    still works in. In a started month the copy needs a reason and is recorded like
    any other change.
    """
    reason = _reason_clean(reason)
    frozen = is_frozen(month, today)
    if frozen and not reason:
        raise ReasonRequired(_("The month has started: give a reason for the copy."))
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    manager_ids = [m.pk for m in managers]
    works_in = set(
        User.channels.through.objects.filter(user_id__in=manager_ids).values_list(
            "user_id", "channel_id"
        )
    )
    existing = set(
        Plan.objects.select_for_update()
        .filter(month=month, manager_id__in=manager_ids)
        .values_list("manager_id", "channel_id", "indicator")
    )
    new_plans, kept = [], 0
    for old in Plan.objects.filter(
        month=previous, manager_id__in=manager_ids, channel__is_active=True
    ).order_by("pk"):
        key = (old.manager_id, old.channel_id, old.indicator)
        if key in existing:
            kept += 1
        elif (old.manager_id, old.channel_id) in works_in:
            new_plans.append(
                Plan(
                    month=month,
                    channel_id=old.channel_id,
                    manager_id=old.manager_id,
                    indicator=old.indicator,
                    value=old.value,
                    updated_by=by,
                )
            )
    created = Plan.objects.bulk_create(new_plans)
    # bulk_create sends no save signal: retire cached dashboards that show plans ourselves.
    if frozen:
        # SQLite and PostgreSQL both return the new ids from a bulk insert.
        PlanChange.objects.bulk_create(
            PlanChange(plan=p, old_value=None, new_value=p.value, reason=reason, changed_by=by)
            for p in created
        )
    return CopyResult(created=len(new_plans), kept=kept)
