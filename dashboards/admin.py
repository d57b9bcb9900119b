from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dashboards.models import BoardLink


@admin.register(BoardLink)
class BoardLinkAdmin(admin.ModelAdmin):
    """Every wallboard link, to see which TVs show what and to revoke them. Links are made by
    heads on their links page (the token is shown there once); here nothing is added or
    edited, and the token is never shown."""

    list_display = (
        "label",
        "created_by",
        "team",
        "show_names",
        "language",
        "created_at",
        "last_seen_at",
        "revoked_at",
    )
    list_filter = ("revoked_at", "show_names", "language")
    search_fields = ("label", "created_by__username", "created_by__full_name", "team__name")
    list_select_related = ("created_by", "team")
    readonly_fields = (
        "label",
        "created_by",
        "team",
        "show_names",
        "rotate_seconds",
        "language",
        "created_at",
        "last_seen_at",
        "revoked_at",
    )
    fields = readonly_fields
    actions = ("revoke",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected links"), permissions=["delete"])
    def revoke(self, request, queryset) -> None:
        count = queryset.filter(revoked_at=None).update(revoked_at=timezone.now())
        self.message_user(request, _("Links revoked: %(count)d.") % {"count": count})
