from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.db import models
from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from channels.inputs import BoundedDateField
from teams.membership import move_preview
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


class PersonChangeForm(UserChangeForm):
    """The person's form, with the day a team change takes effect and, when that day lies
    in the past and re-attributes recorded numbers, a confirmation of what will change."""

    team_since = BoundedDateField(
        label=_("In the new team since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "When the team changes: the first day the person sells in the new team (today "
            "if empty). Numbers of earlier days stay with the teams they were in."
        ),
    )

    class Meta(UserChangeForm.Meta):
        model = User

    confirm_move = forms.BooleanField(
        label=_("Yes, re-attribute these numbers"),
        required=False,
        help_text=_("Needed when the move is dated in the past and changes recorded months."),
    )

    def clean(self):
        data = super().clean()
        person = self.instance
        team = data.get("team")
        if not person.pk or "team" in self.errors:
            return data
        today = timezone.localdate()
        since = data.get("team_since") or today
        data["team_since"] = since
        if since.year < 2000 or since.year > 2100:
            self.add_error("team_since", _("Enter a day between 2000 and 2100."))
            return data
        team_id = team.pk if team else None
        if team_id == person.team_id:
            return data
        changes = move_preview(person=person, team_id=team_id, since=since)
        if changes and not data.get("confirm_move"):
            names = dict(Team.objects.values_list("pk", "name"))
            listed = "; ".join(
                f"{date_format(month, 'F Y')} — {names.get(team, _('no team'))}"
                for month, team in changes
            )
            self.add_error(
                "confirm_move",
                _(
                    "This move re-attributes numbers already recorded. These months of these "
                    "teams will change: %(months)s. Tick the box to confirm."
                )
                % {"months": listed},
            )
        return data

    def save(self, commit=True):
        person = super().save(commit=False)
        person.team_since = self.cleaned_data.get("team_since")
        if not person.is_active and person.left_on is None:
            person.left_on = timezone.localdate()
        if commit:
            person.save()
            self.save_m2m()
        return person


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """People: Django's user admin plus role, team, channels and language."""

    formfield_overrides = {models.DateField: {"form_class": BoundedDateField}}

    list_display = ("username", "full_name", "role", "team", "is_active", "is_staff")
    list_filter = ("role", "team", "is_active", "is_staff", "is_demo")
    list_select_related = ("team",)
    search_fields = ("username", "full_name", "email")
    ordering = ("full_name", "username")
    filter_horizontal = ("channels", "groups", "user_permissions")
    form = PersonChangeForm
    readonly_fields = ("is_demo", "last_login", "date_joined", "team_history")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "email", "language")}),
        (
            _("Sales"),
            {
                "fields": (
                    "role",
                    "team",
                    "team_since",
                    "confirm_move",
                    "team_history",
                    "channels",
                    "left_on",
                )
            },
        ),
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

    @admin.display(description=_("team history"))
    def team_history(self, person: User) -> str:
        rows = person.memberships.select_related("team").order_by("since") if person.pk else []
        if not rows:
            return "—"
        return format_html_join(
            "; ",
            "{} {}: {}",
            (
                (_("since"), date_format(m.since, "SHORT_DATE_FORMAT"), m.team or _("no team"))
                for m in rows
            ),
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
