"""Plausibility of a month's plan (the plan grid and the API), funnel.plausibility's rules
stretched to a month:

- hard: above the maximum per day (the channel's, funnel.ValueLimit, else the defaults) times
  the month's working days, a plan is refused;
- soft: above max(SOFT_FACTOR x the manager's best month of the BEST_OF_MONTHS before, the
  floor per day x the working days) a plan is unusual and saved only once confirmed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from funnel.models import DailyCount, DailyFact
from funnel.plausibility import SOFT_FACTOR, hard_default, soft_limit
from funnel.plausibility_checks import hard_max, limits_load, shown
from metrics.compute import month_bounds, working_days
from metrics.selectors import working_day_overrides
from plans.services import MONEY_PLAN_CODES, plan_indicators, plan_value_parse

BEST_OF_MONTHS = 12


class UnusualPlan(ValidationError):
    """A plan far above the manager's best month: saved once confirmed."""


def _best_month(manager, channel, indicator: str, month: dt.date) -> Decimal:
    """The manager's largest monthly sum of the indicator in the BEST_OF_MONTHS before
    `month` (0 without any): one query."""
    start = month
    for _step in range(BEST_OF_MONTHS):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    if indicator in ("revenue", "margin", "payments_count"):
        facts = DailyFact.objects.filter(
            manager=manager, channel=channel, date__gte=start, date__lt=month
        )
        sums = facts.annotate(m=TruncMonth("date")).values("m")
        if indicator == "margin":
            rows = sums.annotate(r=Sum("revenue"), c=Sum("variable_costs")).values_list("r", "c")
            totals = [r - c for r, c in rows]
        else:
            totals = list(sums.annotate(s=Sum(indicator)).values_list("s", flat=True))
    else:
        counts = DailyCount.objects.filter(
            fact__manager=manager,
            fact__channel=channel,
            fact__date__gte=start,
            fact__date__lt=month,
            indicator__code=indicator,
        )
        sums = counts.annotate(m=TruncMonth("fact__date")).values("m")
        totals = list(sums.annotate(s=Sum("value")).values_list("s", flat=True))
    return max((Decimal(t) for t in totals if t is not None), default=Decimal(0))


def plan_check(*, month: dt.date, manager, channel, indicator: str, raw: str, confirm: bool):
    """ValidationError for a plan above the month's maximum (or not a number), UnusualPlan
    for one far above the manager's best month unless `confirm`; None when it may be saved."""
    value = plan_value_parse(raw, indicator=indicator)
    if value is None or indicator not in plan_indicators(channel):
        return  # plans.services.plan_set says what is wrong with the target
    money = indicator in MONEY_PLAN_CODES
    first, last = month_bounds(month)
    days = working_days(first, last, working_day_overrides(first, last))
    if indicator == "margin":
        per_day = hard_default(money=True)
    else:
        per_day = hard_max(limits_load([channel.pk]), channel.pk, indicator)
    if value > (limit := per_day * days):
        raise ValidationError(
            _(
                "%(value)s is more than the most allowed for this month: %(limit)s "
                "(%(per_day)s a day × %(days)s working days)."
            )
            % {
                "value": shown(value, money=money),
                "limit": shown(limit, money=money),
                "per_day": shown(per_day, money=money),
                "days": days,
            }
        )
    if confirm:
        return
    best = _best_month(manager, channel, indicator, month)
    usual = max(SOFT_FACTOR * best, soft_limit(Decimal(0), money=money) * days)
    if value > usual:
        raise UnusualPlan(
            _(
                "%(value)s is far above this manager's best month (%(best)s): more than "
                "%(limit)s is unusual. Save anyway if it is right."
            )
            % {
                "value": shown(value, money=money),
                "best": shown(best, money=money),
                "limit": shown(usual, money=money),
            }
        )
