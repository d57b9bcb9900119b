from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BotConfig(AppConfig):
    name = "bot"
    verbose_name = _("Telegram bot")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bot.messenger import register

        register()
