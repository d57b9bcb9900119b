"""Linking a Telegram chat to a person: a one-time code from the profile page, valid ten
minutes, sent to the bot from the chat to link. Unlinking: the profile page or /stop."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from bot.models import ChatState, LinkCode, TelegramLink
from teams.models import User

CODE_TTL = dt.timedelta(minutes=10)
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and retyped
CODE_LENGTH = 8


@transaction.atomic
def code_new(user: User) -> LinkCode:
    """A fresh code for `user` (an earlier one stops working)."""
    LinkCode.objects.filter(user=user).delete()
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        try:
            with transaction.atomic():
                return LinkCode.objects.create(
                    user=user, code=code, expires_at=timezone.now() + CODE_TTL
                )
        except IntegrityError:
            continue


def code_clean(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch in ALPHABET)[: CODE_LENGTH + 1]


@transaction.atomic
def code_use(text: str, chat_id: int) -> User | None:
    """Link `chat_id` to the owner of the code in `text`, if it is valid; the code is used
    up. A chat belongs to one person: linking it again moves it."""
    code = code_clean(text)
    if len(code) != CODE_LENGTH:
        return None
    found = (
        LinkCode.objects.select_for_update()
        .select_related("user")
        .filter(code=code, expires_at__gt=timezone.now(), user__is_active=True)
        .first()
    )
    if found is None:
        return None
    user = found.user
    found.delete()
    TelegramLink.objects.filter(chat_id=chat_id).exclude(user=user).delete()
    TelegramLink.objects.update_or_create(user=user, defaults={"chat_id": chat_id})
    ChatState.objects.filter(chat_id=chat_id).delete()
    return user


def unlink(user: User) -> bool:
    link = TelegramLink.objects.filter(user=user).first()
    if link is None:
        return False
    ChatState.objects.filter(chat_id=link.chat_id).delete()
    link.delete()
    return True


def user_of(chat_id: int) -> User | None:
    """The active person linked to the chat, or None: the bot answers nobody else."""
    link = TelegramLink.objects.select_related("user").filter(chat_id=chat_id).first()
    if link is None or not link.user.is_active:
        return None
    return link.user
