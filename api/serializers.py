"""The API's documents: query parameters in, JSON out. Reads only: the writes check their
input the way the import does (api.writes) and these describe it for the schema."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MAX_ID = 2**62  # ids beyond any bigint: refused before a query overflows
NUMBER = {"oneOf": [{"type": "string"}, {"type": "number"}]}


class BoundedDate(serializers.DateField):
    """A YYYY-MM-DD date between 1900 and 2999, like every date the app accepts."""

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not 1900 <= day.year <= 2999:
            raise serializers.ValidationError(self.error_messages["invalid"].format(format="ISO"))
        return day


def Id(**kwargs) -> serializers.IntegerField:  # noqa: N802
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# ---- query parameters ---------------------------------------------------------------------


class ReportQuery(serializers.Serializer):
    date_from = BoundedDate(help_text="First day (YYYY-MM-DD).")
    date_to = BoundedDate(help_text="Last day, included.")
    as_of = BoundedDate(required=False, help_text="The as-of day of the forecast; today.")
    channel = serializers.SlugField(required=False, max_length=40, help_text="A channel code.")
    team = Id(required=False, help_text="A team id: its people's facts of their days in it.")
    manager = Id(required=False, help_text="A manager id: their facts.")

    def validate(self, attrs):
        if attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_from": "date_from is after date_to."})
        if (attrs["date_to"] - attrs["date_from"]).days > 3660:
            raise serializers.ValidationError({"date_to": "A report covers at most 10 years."})
        return attrs


class FactsQuery(serializers.Serializer):
    date_from = BoundedDate(required=False)
    date_to = BoundedDate(required=False)
    manager = Id(required=False)
    team = Id(required=False, help_text="Facts of the days their manager was in this team.")
    channel = serializers.SlugField(required=False, max_length=40)


class PlansQuery(serializers.Serializer):
    month = serializers.RegexField(
        r"^[0-9]{4}-[0-9]{2}$", required=False, help_text="YYYY-MM; this month by default."
    )
    manager = Id(required=False)
    team = Id(required=False)
    channel = serializers.SlugField(required=False, max_length=40)


# ---- answers ------------------------------------------------------------------------------


class IndicatorOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["stage", "activity"])
    order = serializers.IntegerField()


class ChannelOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    is_active = serializers.BooleanField()
    main_indicator = serializers.CharField()
    stages = IndicatorOut(many=True)
    activities = IndicatorOut(many=True)
    money = serializers.ListField(child=serializers.CharField())


class TeamOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    heads = serializers.ListField(child=serializers.IntegerField())


class PersonOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    team = serializers.IntegerField(allow_null=True)
    channels = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField()


class MeOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    role = serializers.CharField()
    token = serializers.CharField()


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": NUMBER,
        "description": "code → value: counts as integers, money as strings with 2 places.",
    }
)
class ValuesField(serializers.DictField):
    pass


class FactOut(serializers.Serializer):
    date = serializers.DateField()
    manager = serializers.IntegerField()
    channel = serializers.CharField()
    team = serializers.IntegerField(allow_null=True, help_text="The manager's team that day.")
    values = ValuesField()
    updated_at = serializers.DateTimeField()


class FactsPageOut(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = FactOut(many=True)


class PlanOut(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    channel = serializers.CharField()
    manager = serializers.IntegerField(allow_null=True)
    team = serializers.IntegerField(allow_null=True)
    indicator = serializers.CharField()
    value = serializers.CharField(help_text="A decimal number as text.")


_RATIO = {"type": "number", "nullable": True}
_MONEY = {"type": "string", "nullable": True, "pattern": r"^-?[0-9]+\.[0-9]{2}$"}
_PLAN_NUMBER = {"oneOf": [{"type": "string"}, {"type": "number"}], "nullable": True}
_PLANS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "indicator": {"type": "string"},
            "plan": _PLAN_NUMBER,
            "fact": _PLAN_NUMBER,
            "completion": _RATIO,
            "forecast": _PLAN_NUMBER,
        },
        "required": ["indicator", "plan", "fact", "completion", "forecast"],
    },
}
_MONEY_BLOCK = {
    "invoiced_amount": _MONEY,
    "payments_count": {"type": "integer"},
    "revenue": _MONEY,
    "average_check": _MONEY,
    "variable_costs": _MONEY,
    "margin": _MONEY,
    "profitability": _RATIO,
}
_COUNT = {
    "type": "object",
    "properties": {"code": {"type": "string"}, "count": {"type": "integer"}},
    "required": ["code", "count"],
}
# kpi_report's JSON (docs/formats.md), described field by field.
REPORT_SCHEMA = {
    "type": "object",
    "properties": {
        "from": {"type": "string", "format": "date"},
        "to": {"type": "string", "format": "date"},
        "channels": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "channel": {"type": "string"},
                    "stages": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {**_COUNT["properties"], "conversion": _RATIO},
                            "required": ["code", "count", "conversion"],
                        },
                    },
                    "activities": {"type": "array", "items": _COUNT},
                    "funnel_conversion": _RATIO,
                    **_MONEY_BLOCK,
                    "plans": _PLANS,
                },
                "required": ["channel", "stages", "activities", "funnel_conversion", *_MONEY_BLOCK],
            },
        },
        "total": {
            "type": "object",
            "properties": {**_MONEY_BLOCK, "plans": _PLANS},
            "required": list(_MONEY_BLOCK),
        },
    },
    "required": ["from", "to", "channels", "total"],
}


# ---- writes (described here, checked in api.writes) ----------------------------------------


@extend_schema_field({**NUMBER, "nullable": True})
class NumberField(serializers.Field):
    """A number as JSON number or as text ("1 234,50" too), like a typed value."""

    def to_internal_value(self, data):
        if data is None:
            return ""
        if isinstance(data, bool) or not isinstance(data, int | float | str):
            raise serializers.ValidationError("Enter a number.")
        return data if isinstance(data, str) else repr(data)

    def to_representation(self, value):
        return value


class FactValueIn(serializers.Serializer):
    date = serializers.CharField(help_text="YYYY-MM-DD, not in the future.")
    manager = serializers.CharField(
        required=False, help_text="A username; the token's owner when left out."
    )
    channel = serializers.CharField(help_text="A channel code.")
    indicator = serializers.CharField(
        help_text="A stage or activity code of the channel, or a money code."
    )
    value = NumberField()


class FactsIn(serializers.Serializer):
    values = FactValueIn(many=True, help_text="1 to 5000 values, written all or none.")
    dry_run = serializers.BooleanField(
        required=False, default=False, help_text="Check and count, write nothing."
    )
    confirm_unusual = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Write values far above their manager's usual too (else a 400 lists them); "
        "the history marks them confirmed-unusual.",
    )


class FactsOut(serializers.Serializer):
    values = serializers.IntegerField()
    changed = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    dry_run = serializers.BooleanField()
    unusual = serializers.IntegerField(help_text="Values written as confirmed-unusual.")


class PlanIn(serializers.Serializer):
    month = serializers.RegexField(r"^[0-9]{4}-[0-9]{2}$", help_text="YYYY-MM")
    manager = Id()
    channel = serializers.SlugField(max_length=40)
    indicator = serializers.SlugField(max_length=40)
    value = NumberField(help_text="null or empty removes a draft plan.")
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=300, help_text="Needed once the month began."
    )
    confirm_unusual = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Save a plan far above the manager's best month (else a 400 says so).",
    )


class PlanWriteOut(serializers.Serializer):
    changed = serializers.BooleanField()
    plan = PlanOut(allow_null=True)
