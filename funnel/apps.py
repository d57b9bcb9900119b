from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FunnelConfig(AppConfig):
    name = "funnel"
    verbose_name = _("Funnel and daily facts")

    def ready(self) -> None:
        from funnel import catalogue
        from funnel.summaries.signals import connect_signals

        connect_signals()
        catalogue.connect_signals()
