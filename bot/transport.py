"""The only part of the app that talks to an outside service: Telegram's Bot API, through
python-telegram-bot. Every call is synchronous for its callers (the dialogue, reminders,
the webhook view, run_bot); the token comes from TELEGRAM_BOT_TOKEN and never reaches a
log (httpx's request log is silenced in settings)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from django.conf import settings
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.request import HTTPXRequest

TEXT_LIMIT = 4096  # Telegram's limit of one message


@dataclass
class Reply:
    """A message to send: text and rows of buttons (label, callback data)."""

    text: str
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)


def configured() -> bool:
    return bool(settings.TELEGRAM_BOT_TOKEN)


class Client:
    """A Bot API client with its own event loop, used from synchronous code."""

    def __init__(self, *, timeout: float = 40.0) -> None:
        if not configured():
            raise RuntimeError("TELEGRAM_BOT_TOKEN is not set")
        self.loop = asyncio.new_event_loop()
        request = HTTPXRequest(read_timeout=timeout, connect_timeout=10.0)
        self.bot = Bot(
            settings.TELEGRAM_BOT_TOKEN,
            base_url=settings.TELEGRAM_API_URL,
            request=request,
            get_updates_request=HTTPXRequest(read_timeout=timeout, connect_timeout=10.0),
        )
        self._run(self.bot.initialize())

    def _run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def close(self) -> None:
        self._run(self.bot.shutdown())
        self.loop.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def updates(self, offset: int | None, timeout: int) -> list[Update]:
        return list(self._run(self.bot.get_updates(offset=offset, timeout=timeout)))

    def update_of(self, data: dict) -> Update | None:
        return Update.de_json(data, self.bot)

    def send(self, chat_id: int, reply: Reply) -> None:
        markup = None
        if reply.buttons:
            markup = InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(label, callback_data=data) for label, data in row]
                    for row in reply.buttons
                ]
            )
        text = reply.text if len(reply.text) <= TEXT_LIMIT else reply.text[: TEXT_LIMIT - 1] + "…"
        self._run(self.bot.send_message(chat_id=chat_id, text=text, reply_markup=markup))

    def delete_webhook(self) -> None:
        """Long polling and a webhook exclude each other: run_bot removes the webhook."""
        self._run(self.bot.delete_webhook())

    def answer(self, callback_id: str) -> None:
        self._run(self.bot.answer_callback_query(callback_id))
