from django.contrib import admin

from bot.models import TelegramLink


@admin.register(TelegramLink)
class TelegramLinkAdmin(admin.ModelAdmin):
    """Who has linked a Telegram chat, and how each wants reminders and digests. A link is
    made by its person through the bot (`/start` with a one-time code); an administrator
    can change the delivery or delete the link (the chat stops getting anything)."""

    list_display = ("user", "chat_id", "notify", "linked_at")
    list_filter = ("notify",)
    search_fields = ("user__username", "user__full_name", "user__email")
    list_select_related = ("user",)
    readonly_fields = ("user", "chat_id", "linked_at")
    fields = ("user", "chat_id", "notify", "linked_at")

    def has_add_permission(self, request) -> bool:
        return False
