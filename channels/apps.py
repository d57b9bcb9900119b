from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    # "channels" is also Django Channels' import name; that package is never installed here.
    name = "channels"
    label = "channels"
    verbose_name = _("Sales channels")
