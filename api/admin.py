from django.contrib import admin, messages
from django.utils.translation import gettext as _

from api.models import ApiToken
from api.tokens import token_fill


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Admins make tokens for people (the text is shown once, in the message) and revoke
    them (delete); a token cannot be edited."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    list_filter = ("created_at",)
    search_fields = ("name", "user__username", "user__full_name", "prefix")
    readonly_fields = ("prefix", "created_at", "last_used_at")
    autocomplete_fields = ("user",)

    def get_fields(self, request, obj=None):
        return ("user", "name") if obj is None else ("user", "name", *self.readonly_fields)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        raw = token_fill(obj)
        super().save_model(request, obj, form, change)
        messages.warning(
            request,
            _("The token of %(user)s, shown only now — copy it: %(token)s")
            % {"user": obj.user, "token": raw},
        )
