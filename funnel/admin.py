"""Admin for channels (with their stages and activities) and for daily facts.

Channel is registered here rather than in channels/ because its inline edits funnel's
Indicator, and channels must not import funnel.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from channels.inputs import BoundedDateField
from channels.models import Channel
from funnel.decisions import ReviewDecision
from funnel.models import (
    MAX_STAGES,
    MIN_STAGES,
    MONEY_CODES,
    DailyCount,
    DailyFact,
    FactChange,
    Indicator,
    ValueLimit,
)
from funnel.plausibility_checks import Implausible, writes_check
from funnel.services import ValueWrite, facts_write
from funnel.values import MAX_COUNT
from teams.models import User

WON_STAGE = "invoices_issued"
# Codes that would clash with the money block or plan indicators in imports and reports.
RESERVED_CODES = {*MONEY_CODES, "margin"}


class IndicatorFormSet(BaseInlineFormSet):
    """The rules a channel's funnel must keep; checked here so the admin shows them as errors."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        rows = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        errors: list[str] = []
        seen: dict[str, str] = {}
        for row in rows:
            code = row["code"]
            if code.lower() in seen:
                errors.append(
                    _("The code “%(code)s” is used twice in this channel (“%(other)s”).")
                    % {"code": code, "other": seen[code.lower()]}
                )
            seen[code.lower()] = code
            if code.lower() in RESERVED_CODES:
                errors.append(
                    _("The code “%(code)s” is reserved for the money block.") % {"code": code}
                )
        stages = sorted(
            (row for row in rows if row["kind"] == Indicator.Kind.STAGE), key=lambda r: r["order"]
        )
        orders = [row["order"] for row in stages]
        if len(set(orders)) != len(orders):
            errors.append(_("Two funnel stages have the same order; give each stage its own."))
        if self.instance.is_active:
            if not MIN_STAGES <= len(stages) <= MAX_STAGES:
                errors.append(
                    _(
                        "An active channel needs %(min)s to %(max)s funnel stages; "
                        "this one has %(count)s."
                    )
                    % {"min": MIN_STAGES, "max": MAX_STAGES, "count": len(stages)}
                )
            if stages and stages[-1]["code"] != WON_STAGE:
                errors.append(
                    _("The last funnel stage (highest order) must be “%(code)s”, the won deal.")
                    % {"code": WON_STAGE}
                )
        main = self.instance.main_indicator
        if main and main.lower() not in seen:
            errors.append(
                _("The main indicator “%(code)s” is not a stage or activity of this channel.")
                % {"code": main}
            )
        if errors:
            raise ValidationError(errors)


class IndicatorInline(admin.TabularInline):
    model = Indicator
    formset = IndicatorFormSet
    fields = ("kind", "order", "code", "name_en", "name_ru")
    ordering = ("kind", "order", "id")
    extra = 0


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "main_indicator", "stage_count", "display_order")
    list_display_links = ("code", "name")
    list_editable = ("display_order",)
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name_en", "name_ru")
    fields = (
        ("code", "kind"),
        ("name_en", "name_ru"),
        "main_indicator",
        ("colour", "display_order", "is_active"),
        "stages_monotonic",
    )
    inlines = [IndicatorInline]

    def get_queryset(self, request: HttpRequest):
        stages = Count("indicators", filter=Q(indicators__kind=Indicator.Kind.STAGE))
        return super().get_queryset(request).annotate(stage_count=stages)

    @admin.display(description=_("funnel stages"), ordering="stage_count")
    def stage_count(self, channel: Channel) -> int:
        return channel.stage_count


def _limit_count(field: forms.Field) -> None:
    """A count's upper bound is the write path's (the database column's on PostgreSQL);
    SQLite's integer range would let a larger number through to facts_write."""
    field.max_value = MAX_COUNT
    field.validators.append(MaxValueValidator(MAX_COUNT))
    field.widget.attrs["max"] = MAX_COUNT


CONFIRM_FIELD = "confirm_unusual"


def _plausible(writes: list, confirmed: bool) -> dict[str, str]:
    """The problems of `writes` (funnel.plausibility_checks) by code: above a maximum, or
    unusual and not `confirmed`."""
    try:
        unusual = writes_check(writes)
    except Implausible as error:
        return {code: reason for _key, code, reason in error.items}
    if confirmed:
        return {}
    hint = _("Tick “Save unusual values” to save it anyway.")
    return {item.code: f"{item.reason} {hint}" for item in unusual}


class DailyFactForm(forms.ModelForm):
    confirm_unusual = forms.BooleanField(
        label=_("Save unusual values"),
        required=False,
        help_text=_(
            "Values far above the manager's usual are saved only when this is ticked; the "
            "history marks them as confirmed."
        ),
    )

    class Meta:
        model = DailyFact
        fields = ("date", "manager", "channel", *MONEY_CODES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _limit_count(self.fields["payments_count"])

    def clean(self) -> dict:
        data = super().clean()
        day = data.get("date")
        if self.instance.pk is None and day and day > timezone.localdate():
            self.add_error("date", _("Facts cannot be entered for a future day."))
        manager, channel = data.get("manager"), data.get("channel")
        if (
            self.instance.pk is None
            and manager
            and channel
            and not manager.channels.filter(pk=channel.pk).exists()
        ):
            self.add_error("channel", _("This manager does not report on this channel."))
        fact = (data.get("date"), data.get("manager"), data.get("channel"))
        if self.instance.pk is not None:
            fact = (self.instance.date, self.instance.manager, self.instance.channel)
        if all(fact) and all(data.get(code) is not None for code in MONEY_CODES):
            fact = DailyFact(date=fact[0], manager=fact[1], channel=fact[2])
            writes = [_write(fact, code, data[code]) for code in MONEY_CODES]
            for code, reason in _plausible(writes, data.get(CONFIRM_FIELD, False)).items():
                self.add_error(code, reason)
        return data


class DailyCountForm(forms.ModelForm):
    class Meta:
        model = DailyCount
        fields = ("indicator", "value")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _limit_count(self.fields["value"])


class DailyCountFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            indicator = form.cleaned_data.get("indicator") if form.cleaned_data else None
            if indicator and indicator.channel_id != self.instance.channel_id:
                form.add_error("indicator", _("This indicator belongs to another channel."))
        if self.instance.pk is None or any(form.errors for form in self.forms):
            return
        changed = {
            form.cleaned_data["indicator"].code: form
            for form in self.forms
            if form.has_changed() and form.cleaned_data
        }
        writes = [
            _write(self.instance, code, form.cleaned_data["value"])
            for code, form in changed.items()
        ]
        confirmed = self.data.get(CONFIRM_FIELD) in ("on", "1", "true")
        for code, reason in _plausible(writes, confirmed).items():
            if code in changed:
                changed[code].add_error("value", reason)


class DailyCountInline(admin.TabularInline):
    model = DailyCount
    form = DailyCountForm
    formset = DailyCountFormSet
    fields = ("indicator", "value")
    extra = 0
    # facts_write only sets values: a count is "removed" by setting it to 0.
    can_delete = False

    def get_formset(self, request: HttpRequest, obj: DailyFact | None = None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            indicators = Indicator.objects.filter(channel_id=obj.channel_id)
            formset.form.base_fields["indicator"].queryset = indicators
        return formset


@admin.register(DailyFact)
class DailyFactAdmin(admin.ModelAdmin):
    """Every save goes through facts_write, which keeps the history (and any totals) right."""

    formfield_overrides = {models.DateField: {"form_class": BoundedDateField}}

    form = DailyFactForm
    list_display = ("date", "manager", "channel", "payments_count", "revenue", "updated_by")
    list_filter = ("channel", ("manager__team", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("manager", "channel", "updated_by")
    search_fields = ("manager__username", "manager__full_name")
    date_hierarchy = "date"
    readonly_fields = ("updated_at", "updated_by", "history")
    inlines = [DailyCountInline]

    def get_readonly_fields(self, request: HttpRequest, obj: DailyFact | None = None):
        # The key of an existing fact is fixed: moving values means writing another day.
        if obj is None:
            return ()
        return ("date", "manager", "channel", *self.readonly_fields)

    def get_inline_instances(self, request: HttpRequest, obj: DailyFact | None = None):
        # Counts need the channel's indicators, known once the fact exists.
        return super().get_inline_instances(request, obj) if obj else []

    def response_add(self, request: HttpRequest, obj: DailyFact, post_url_continue=None):
        # Counts are entered on the change page, so a plain "Save" continues there.
        if "_addanother" not in request.POST and IS_POPUP_VAR not in request.POST:
            request.POST = request.POST.copy()
            request.POST["_continue"] = "1"
        return super().response_add(request, obj, post_url_continue)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "manager":
            kwargs["queryset"] = User.objects.filter(role=User.Role.MANAGER)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # Deleting a fact would also delete its history, the record of who entered what;
    # an admin corrects a wrong day by setting its values to 0 instead.
    def has_delete_permission(self, request: HttpRequest, obj: DailyFact | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: DailyFact, form, change: bool) -> None:
        writes = [_write(obj, code, form.cleaned_data[code]) for code in MONEY_CODES]
        confirm = form.cleaned_data.get(CONFIRM_FIELD, False)  # the form checked the rest
        result = facts_write(
            writes=writes, by=request.user, source=FactChange.Source.ADMIN, confirm=confirm
        )
        saved = result.facts[(obj.date, obj.manager_id, obj.channel_id)]
        obj.pk = saved.pk
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        for formset in formsets:
            writes: list[ValueWrite] = []
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            for count_form in formset.forms:
                if not count_form.has_changed() or not count_form.cleaned_data:
                    continue
                data = count_form.cleaned_data
                writes.append(_write(form.instance, data["indicator"].code, data["value"]))
                old = count_form.initial.get("indicator")
                if count_form.instance.pk and old and old != data["indicator"].pk:
                    # The row now counts another indicator: the one it counted is zeroed.
                    writes.append(_write(form.instance, Indicator.objects.get(pk=old).code, 0))
                if count_form.instance.pk:
                    formset.changed_objects.append((count_form.instance, count_form.changed_data))
                else:
                    formset.new_objects.append(count_form.instance)
            facts_write(
                writes=writes,
                by=request.user,
                source=FactChange.Source.ADMIN,
                confirm=form.cleaned_data.get(CONFIRM_FIELD, False),
            )

    @admin.display(description=_("history"))
    def history(self, fact: DailyFact) -> str:
        changes = fact.changes.select_related("changed_by")[:50]
        if not changes:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{c.changed_at:%Y-%m-%d %H:%M}",
                    c.changed_by or "—",
                    c.get_source_display(),
                    c.code,
                    "—" if c.old_value is None else c.old_value,
                    f"{c.new_value} ({_('confirmed unusual')})"
                    if c.confirmed_unusual
                    else c.new_value,
                )
                for c in changes
            ),
        )
        head = format_html_join(
            "",
            "<th>{}</th>",
            (
                (label,)
                for label in (
                    _("changed at"),
                    _("changed by"),
                    _("source"),
                    _("indicator"),
                    _("old value"),
                    _("new value"),
                )
            ),
        )
        return format_html("<table><tr>{}</tr>{}</table>", head, rows)


def _write(fact: DailyFact, code: str, value: Decimal | int) -> ValueWrite:
    return ValueWrite(
        date=fact.date,
        manager_id=fact.manager_id,
        channel_id=fact.channel_id,
        code=code,
        value=Decimal(value),
    )


@admin.register(FactChange)
class FactChangeAdmin(admin.ModelAdmin):
    """The history is append-only: nobody adds, edits or deletes it, not even a superuser."""

    list_display = (
        "changed_at",
        "fact",
        "code",
        "old_value",
        "new_value",
        "changed_by",
        "source",
        "confirmed_unusual",
    )
    list_filter = ("source", "confirmed_unusual", "fact__channel")
    list_select_related = ("fact__manager", "fact__channel", "changed_by")
    search_fields = ("fact__manager__username", "fact__manager__full_name", "code")
    date_hierarchy = "changed_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: FactChange | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: FactChange | None = None) -> bool:
        return False


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(admin.ModelAdmin):
    """The heads' decisions on review flags (made on /dashboard/review/), read-only here
    except the note."""

    list_display = ("manager", "kind", "date_from", "date_to", "channel_code", "code", "decision")
    list_filter = ("kind", "decision")
    list_select_related = ("manager", "decided_by")
    search_fields = ("manager__username", "manager__full_name", "note")
    date_hierarchy = "date_to"
    readonly_fields = (
        "manager",
        "kind",
        "date_from",
        "date_to",
        "channel_code",
        "code",
        "decided_by",
        "decided_at",
    )
    fields = (*readonly_fields[:6], "decision", "note", "decided_by", "decided_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class ValueLimitForm(forms.ModelForm):
    class Meta:
        model = ValueLimit
        fields = ("channel", "code", "max_per_day")

    def clean(self) -> dict:
        data = super().clean()
        channel, code = data.get("channel"), data.get("code")
        known = code in MONEY_CODES or Indicator.objects.filter(channel=channel, code=code).exists()
        if channel and code and not known:
            message = _(
                "Enter the code of one of this channel's stages or activities, or of a money "
                "value (%(codes)s)."
            )
            self.add_error("code", message % {"codes": ", ".join(MONEY_CODES)})
        return data


@admin.register(ValueLimit)
class ValueLimitAdmin(admin.ModelAdmin):
    """The most one manager may report for a value of a channel on one day; without a row,
    1,000 for a count and 100,000,000 for money (funnel.plausibility)."""

    form = ValueLimitForm
    list_display = ("channel", "code", "max_per_day")
    list_filter = ("channel",)
    search_fields = ("code",)
