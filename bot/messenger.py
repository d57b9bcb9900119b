"""Reminders and digests by Telegram (dashboards.notifications sends them): to linked people
who chose Telegram, or both, on their profile."""

from __future__ import annotations

from bot.models import TelegramLink
from bot.transport import Client, Reply, configured
from dashboards.notifications import MESSENGERS
from teams.models import User


class TelegramMessenger:
    def _link(self, user: User) -> TelegramLink | None:
        if not configured():
            return None
        return TelegramLink.objects.filter(user=user).first()

    def reaches(self, user: User) -> bool:
        link = self._link(user)
        return link is not None and link.notify != TelegramLink.Notify.EMAIL

    def replaces_email(self, user: User) -> bool:
        link = self._link(user)
        return link is not None and link.notify == TelegramLink.Notify.TELEGRAM

    def send(self, user: User, text: str) -> None:
        link = self._link(user)
        with Client(timeout=20.0) as client:
            client.send(link.chat_id, Reply(text))


def register() -> None:
    if not any(isinstance(m, TelegramMessenger) for m in MESSENGERS):
        MESSENGERS.append(TelegramMessenger())
