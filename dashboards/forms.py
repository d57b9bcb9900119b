"""Dashboard filters: a GET form whose choices are limited to what the viewer may see."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from channels.inputs import BoundedDateField
from channels.models import Channel
from teams.membership import members_ever
from teams.models import Team, User
from teams.scope import people_visible_to, teams_visible_to

PRESETS = [
    ("today", _("Today")),
    ("yesterday", _("Yesterday")),
    ("this_week", _("This week")),
    ("last_week", _("Last week")),
    ("this_month", _("This month")),
    ("last_month", _("Last month")),
    ("this_quarter", _("This quarter")),
    ("this_year", _("This year")),
    ("custom", _("Custom range")),
]
DEFAULT_PRESET = "this_month"
GRANULARITIES = [
    ("", _("Automatic")),
    ("day", _("By day")),
    ("week", _("By week")),
    ("month", _("By month")),
]
# A range longer than this is refused: a dashboard over decades helps nobody and costs a lot.
MAX_DAYS = 366 * 3
# Ids are 64-bit; anything longer is not an id (and would overflow SQLite's integers).
MAX_ID = 2**63 - 1


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def preset_range(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The dates of a preset; current periods end today, since the future has no facts."""
    one = dt.timedelta(days=1)
    if preset == "today":
        return today, today
    if preset == "yesterday":
        return today - one, today - one
    monday = today - dt.timedelta(days=today.weekday())
    if preset == "this_week":
        return monday, today
    if preset == "last_week":
        return monday - dt.timedelta(days=7), monday - one
    if preset == "last_month":
        last = _month_start(today) - one
        return _month_start(last), last
    if preset == "this_quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today
    if preset == "this_year":
        return today.replace(month=1, day=1), today
    return _month_start(today), today


def auto_granularity(date_from: dt.date, date_to: dt.date) -> str:
    days = (date_to - date_from).days + 1
    if days <= 31:
        return "day"
    return "week" if days <= 120 else "month"


class QuickSelect(forms.Select):
    """A select whose options are written in Python.

    Django's Select renders every option through a template: with 500 managers the filter
    bar cost more than all the dashboard's numbers. Same markup, same attributes. With
    `label_fields` (or a function returning them, read at render time), a model choice
    reads only (pk, *label_fields) from the database and is labelled by the first non-empty
    one (no model instance per option).
    """

    def __init__(self, attrs=None, label_fields=()):
        super().__init__(attrs)
        self.label_fields = label_fields

    def _options(self):
        queryset = getattr(self.choices, "queryset", None)
        fields = self.label_fields() if callable(self.label_fields) else self.label_fields
        if queryset is None or not fields:
            yield from ((str(value), label) for value, label in self.choices)
            return
        if self.choices.field.empty_label is not None:
            yield "", self.choices.field.empty_label
        for pk, *labels in queryset.values_list("pk", *fields):
            yield str(pk), next((label for label in labels if label), "")

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        chosen = set(self.format_value(value))
        # escape() per value rather than format_html per option: 500 options cost ~1 ms.
        options = "".join(
            f'<option value="{escape(key)}"{" selected" if key in chosen else ""}>'
            f"{escape(label)}</option>"
            for key, label in self._options()
        )
        return format_html("<select{}>{}</select>", flatatt(final), mark_safe(options))


class QuickDateInput(forms.DateInput):
    """A date input written in Python: the markup of Django's input template, without a
    template render per field."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        shown = widget["value"]
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            self.input_type,
            name,
            "" if shown is None else format_html(' value="{}"', str(shown)),
            flatatt(widget["attrs"]),
        )


class DashboardFilterForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Period"), choices=PRESETS, required=False, widget=QuickSelect
    )
    date_from = BoundedDateField(
        label=_("From"), required=False, widget=QuickDateInput(attrs={"type": "date"})
    )
    date_to = BoundedDateField(
        label=_("To"), required=False, widget=QuickDateInput(attrs={"type": "date"})
    )
    channel = forms.ModelChoiceField(
        label=_("Channel"),
        queryset=Channel.objects.none(),
        required=False,
        widget=QuickSelect(label_fields=Channel.name_fields),  # Channel.__str__
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.none(),
        required=False,
        widget=QuickSelect(label_fields=("name",)),  # Team.__str__
    )
    manager = forms.ModelChoiceField(
        label=_("Manager"),
        queryset=User.objects.none(),
        required=False,
        widget=QuickSelect(label_fields=("full_name", "username")),  # User.__str__
    )
    granularity = forms.ChoiceField(label=_("Step"), choices=GRANULARITIES, required=False)
    stage = forms.SlugField(label=_("Stage"), required=False)

    def __init__(self, data, *, user: User, mine: bool, today: dt.date):
        data = data.copy()
        if not data.get("period"):
            data["period"] = DEFAULT_PRESET
        super().__init__(data)
        self.today = today
        self.fields["channel"].queryset = Channel.objects.filter(is_active=True)
        self.fields["channel"].empty_label = _("All channels")
        if mine:
            # A manager's own dashboard: the scope is the manager, nothing to choose.
            del self.fields["team"], self.fields["manager"]
        else:
            self.fields["team"].queryset = teams_visible_to(user)
            self.fields["team"].empty_label = _("All teams")
            self.fields["manager"].queryset = people_visible_to(user).order_by(
                "full_name", "username"
            )
            self.fields["manager"].empty_label = _("All managers")
        for name in ("period", "channel", "team", "manager", "granularity"):
            if name in self.fields:
                self.fields[name].widget.attrs["id"] = f"id_{name}"

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data["period"] == "custom":
            date_from, date_to = data.get("date_from"), data.get("date_to")
            if not date_from or not date_to:
                raise forms.ValidationError(_("Enter both dates of the custom range."))
        else:
            date_from, date_to = preset_range(data["period"], self.today)
        if date_from > date_to:
            raise forms.ValidationError(_("The start date is after the end date."))
        if (date_to - date_from).days >= MAX_DAYS:
            raise forms.ValidationError(_("Choose a range of at most three years."))
        team, manager = data.get("team"), data.get("manager")
        if team and manager and not User.objects.filter(members_ever([team.pk]), pk=manager.pk):
            self.add_error("manager", _("This manager has never been in the chosen team."))
        data["date_from"], data["date_to"] = date_from, date_to
        # Show the resolved dates in the form, so a preset reads as a range too.
        self.data["date_from"], self.data["date_to"] = date_from.isoformat(), date_to.isoformat()
        data["granularity"] = data.get("granularity") or auto_granularity(date_from, date_to)
        return data


class DrillForm(forms.Form):
    """Which facts behind a number: an indicator or money code, narrowed by channel, manager, days.

    Ids outside the viewer's scope are refused by the view with a 404, never answered.
    """

    d_code = forms.SlugField(required=True)
    d_channel = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    d_manager = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    d_from = BoundedDateField(required=False)
    d_to = BoundedDateField(required=False)


# Django's own message, from its catalogue, as BoundField.label_tag reads it (a name
# makemessages does not collect: the message is not this app's).
_label_ends = gettext


def label_html(field) -> str:
    """A bound field's `label_tag()` (its label with the form's suffix, for its id) without
    a template render: the filter bar has six."""
    contents = field.label
    suffix = field.field.label_suffix
    if suffix is None:
        suffix = field.form.label_suffix
    if suffix and contents and contents[-1] not in _label_ends(":?.!"):
        contents = format_html("{}{}", contents, suffix)
    widget = field.field.widget
    return format_html(
        '<label for="{}">{}</label>',
        widget.id_for_label(widget.attrs.get("id") or field.auto_id),
        contents,
    )
