from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TelegramLink(models.Model):
    """A person's Telegram chat with the bot: entry, reminders and digests go there."""

    class Notify(models.TextChoices):
        EMAIL = "email", _("E-mail")
        TELEGRAM = "telegram", _("Telegram")
        BOTH = "both", _("E-mail and Telegram")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="telegram",
        verbose_name=_("person"),
    )
    chat_id = models.BigIntegerField(_("chat"), unique=True)
    linked_at = models.DateTimeField(_("linked"), auto_now_add=True)
    notify = models.CharField(
        _("reminders and digests by"), max_length=10, choices=Notify.choices, default=Notify.BOTH
    )

    class Meta:
        verbose_name = _("Telegram link")
        verbose_name_plural = _("Telegram links")

    def __str__(self) -> str:
        return f"{self.user} · {self.chat_id}"


class LinkCode(models.Model):
    """A one-time code from the profile page that links the chat it is sent from."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    code = models.CharField(max_length=12, unique=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user} · {self.expires_at:%H:%M}"


class ChatState(models.Model):
    """Where a chat's dialogue stands (the day being entered), between two messages."""

    chat_id = models.BigIntegerField(unique=True)
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return str(self.chat_id)
