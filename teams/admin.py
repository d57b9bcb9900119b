from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from teams.models import Team, User

# The admin is the app's settings area (the nav links to it as "Settings").
admin.site.site_header = _("Sales KPI Tracker settings")
admin.site.site_title = _("Sales KPI Tracker")
admin.site.index_title = _("Settings")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "head_list", "member_count")
    search_fields = ("name", "heads__username", "heads__full_name")
    filter_horizontal = ("heads",)
    fields = ("name", "heads", "member_list")
    readonly_fields = ("member_list",)

    def get_queryset(self, request: HttpRequest):
        queryset = super().get_queryset(request).prefetch_related("heads")
        return queryset.annotate(member_count=Count("members", distinct=True))

    @admin.display(description=_("heads"))
    def head_list(self, team: Team) -> str:
        return ", ".join(head.display_name for head in team.heads.all()) or "—"

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, team: Team) -> int:
        return team.member_count

    @admin.display(description=_("members"))
    def member_list(self, team: Team) -> str:
        members = team.members.order_by("full_name", "username")
        if not team.pk or not members:
            return "—"
        return format_html_join(
            ", ", "{} ({})", ((m.display_name, m.get_role_display()) for m in members)
        )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """People: Django's user admin plus role, team, channels and language."""

    list_display = ("username", "full_name", "role", "team", "is_active", "is_staff")
    list_filter = ("role", "team", "is_active", "is_staff", "is_demo")
    list_select_related = ("team",)
    search_fields = ("username", "full_name", "email")
    ordering = ("full_name", "username")
    filter_horizontal = ("channels", "groups", "user_permissions")
    readonly_fields = ("is_demo", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "email", "language")}),
        (_("Sales"), {"fields": ("role", "team", "channels")}),
        (
            _("Permissions"),
            {
                "classes": ("collapse",),
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined", "is_demo")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2"),
            },
        ),
        (_("Person"), {"fields": ("full_name", "email", "language")}),
        (_("Sales"), {"fields": ("role", "team", "channels")}),
    )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "language":
            choices = [("", _("as the browser says")), *settings.LANGUAGES]
            return forms.ChoiceField(
                label=db_field.verbose_name,
                choices=choices,
                required=False,
                help_text=db_field.help_text,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)
