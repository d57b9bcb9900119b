from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from channels.inputs import BoundedDateField
from plans.models import (
    Commitment,
    DepartmentSettings,
    Holiday,
    MonthlyExpense,
    Plan,
    PlanChange,
)


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    formfield_overrides = {models.DateField: {"form_class": BoundedDateField}}
    list_display = ("date", "name", "is_working_day")
    list_filter = ("is_working_day",)
    search_fields = ("name",)
    date_hierarchy = "date"


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    formfield_overrides = {models.DateField: {"form_class": BoundedDateField}}
    list_display = ("month", "channel", "manager", "team", "indicator", "value", "updated_by")
    list_filter = ("channel", "team", "indicator")
    list_select_related = ("channel", "manager", "team", "updated_by")
    search_fields = ("manager__username", "manager__full_name", "team__name", "indicator")
    date_hierarchy = "month"
    autocomplete_fields = ("manager",)
    readonly_fields = ("updated_at", "updated_by")

    def save_model(self, request: HttpRequest, obj: Plan, form, change: bool) -> None:
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(PlanChange)
class PlanChangeAdmin(admin.ModelAdmin):
    """A record of why a running month's plan moved: read only."""

    list_display = ("changed_at", "plan", "old_value", "new_value", "reason", "changed_by")
    list_select_related = ("plan__channel", "plan__manager", "plan__team", "changed_by")
    list_filter = ("plan__channel",)
    search_fields = ("reason", "plan__manager__username", "plan__manager__full_name")
    date_hierarchy = "changed_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: PlanChange | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PlanChange | None = None) -> bool:
        return False


@admin.register(MonthlyExpense)
class MonthlyExpenseAdmin(admin.ModelAdmin):
    formfield_overrides = {models.DateField: {"form_class": BoundedDateField}}
    list_display = ("month", "expenses", "reserves")
    date_hierarchy = "month"


@admin.register(DepartmentSettings)
class DepartmentSettingsAdmin(admin.ModelAdmin):
    """The single row of switches: changed, never added twice nor deleted."""

    list_display = ("__str__", "commitments_enabled")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not DepartmentSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Commitment)
class CommitmentAdmin(admin.ModelAdmin):
    """Managers' morning commitments, written on their commitment page: read only here."""

    list_display = ("date", "manager", "channel", "code", "value", "updated_at")
    list_select_related = ("manager", "channel")
    list_filter = ("channel",)
    search_fields = ("manager__username", "manager__full_name", "code")
    date_hierarchy = "date"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
