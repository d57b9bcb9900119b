"""Small pieces the API's reads and writes share."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from api.errors import InvalidInput, problem
from channels.models import Channel
from plans.models import Plan


def query(serializer_class, request) -> dict:
    data = serializer_class(data=request.query_params)
    data.is_valid(raise_exception=True)
    return data.validated_data


def channel_by_code(code: str | None) -> Channel | None:
    if code is None:
        return None
    channel = Channel.objects.filter(code=code).first()
    if channel is None:
        raise InvalidInput([problem("channel", _("Unknown channel."))])
    return channel


def plan_row(plan: Plan) -> dict:
    return {
        "month": f"{plan.month:%Y-%m}",
        "channel": plan.channel.code,
        "manager": plan.manager_id,
        "team": plan.team_id,
        "indicator": plan.indicator,
        "value": str(plan.value),
    }


def month_of(raw: str | None, field: str = "month") -> dt.date:
    if not raw:
        return timezone.localdate().replace(day=1)
    try:
        month = dt.datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        raise InvalidInput([problem(field, _("Enter the month as YYYY-MM."))]) from None
    if not 1900 <= month.year <= 2999:
        raise InvalidInput([problem(field, _("Enter the month as YYYY-MM."))])
    return month
