"""What the bot answers: one update in, replies out. Linked people only (bot.linking);
each answer in the person's language, with the rights they have on the web pages."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from bot import entry
from bot.linking import code_use, unlink, user_of
from bot.transport import Client, Reply
from funnel.models import DailyFact
from teams.models import User
from teams.scope import can_lead, teams_visible_to

log = logging.getLogger(__name__)


def _language(user: User | None, hint: str | None) -> str:
    languages = dict(settings.LANGUAGES)
    if user is not None and user.language in languages:
        return user.language
    if hint and hint[:2] in languages:
        return hint[:2]
    return settings.LANGUAGE_CODE


def _help(user: User) -> Reply:
    lines = [_("Hello, %(name)s!") % {"name": user.display_name}]
    if user.is_manager:
        lines.append(_("/today — enter today's numbers"))
        lines.append(_("/day 05.12 — enter or correct another day"))
    if can_lead(user):
        lines.append(_("/team — today's numbers of your teams and who has not reported"))
    lines.append(_("/stop — unlink this chat"))
    return Reply("\n".join(lines))


def _stranger() -> Reply:
    profile = settings.SITE_URL.rstrip("/") + "/accounts/profile/"
    return Reply(
        _(
            "I only talk to people of the sales team. Open your profile (%(url)s), "
            "press “Link Telegram” and send me the code."
        )
        % {"url": profile}
    )


def handle(
    chat_id: int, *, text: str | None = None, button: str | None = None, hint: str | None = None
) -> list[Reply]:
    user = user_of(chat_id)
    with translation.override(_language(user, hint)):
        if user is None:
            if text:
                linked = code_use(text.removeprefix("/start").strip(), chat_id)
                if linked is not None:
                    with translation.override(_language(linked, hint)):
                        return [Reply(_("This chat is linked to your account.")), _help(linked)]
            return [_stranger()]
        if button is not None:
            return entry.on_button(user, chat_id, button)
        return _text(user, chat_id, (text or "").strip())


def _text(user: User, chat_id: int, text: str) -> list[Reply]:
    if text.startswith("/"):
        command, _space, arg = text.partition(" ")
        command = command.split("@")[0].lower()
        today = timezone.localdate()
        if command == "/stop":
            unlink(user)
            return [Reply(_("Unlinked. Link again from your profile page."))]
        if command == "/today":
            return entry.start(user, chat_id, today)
        if command == "/day":
            day = entry.day_parse(arg, today)
            if day is None:
                return [Reply(_("Send the day as /day 05.12."))]
            return entry.start(user, chat_id, day)
        if command == "/team":
            return [team_today(user)]
        return [_help(user)]
    answered = entry.on_text(user, chat_id, text)
    return answered if answered is not None else [_help(user)]


def team_today(user: User) -> Reply:
    """Today's numbers of the teams the person leads, and who has not reported yet."""
    if not can_lead(user):
        return Reply(_("/team is for heads of teams."))
    today = timezone.localdate()
    lines = [_("Today, %(day)s:") % {"day": date_format(today, "SHORT_DATE_FORMAT")}]
    for team in teams_visible_to(user):
        people = list(
            User.objects.filter(team=team, role=User.Role.MANAGER, is_active=True).order_by(
                "full_name", "username"
            )
        )
        facts = DailyFact.objects.filter(date=today, manager__in=people)
        reported = set(facts.values_list("manager_id", flat=True))
        sums = facts.aggregate(revenue=Sum("revenue"), payments=Sum("payments_count"))
        lines.append("")
        lines.append(f"{team.name}")
        lines.append(
            _("Reported: %(done)s of %(all)s · revenue %(revenue)s · payments %(payments)s")
            % {
                "done": len(reported),
                "all": len(people),
                "revenue": f"{sums['revenue'] or 0:.2f}",
                "payments": sums["payments"] or 0,
            }
        )
        missing = [p.display_name for p in people if p.pk not in reported]
        if missing:
            lines.append(_("Not reported: %(names)s") % {"names": ", ".join(missing)})
    return Reply("\n".join(lines))


def process(client: Client, update) -> None:
    """Answer one update (a private message or a button press) through `client`."""
    query = update.callback_query
    if query is not None:
        client.answer(query.id)
        if query.message is None or query.message.chat.type != "private":
            return
        chat_id = query.message.chat.id
        replies = handle(chat_id, button=query.data or "", hint=query.from_user.language_code)
    elif update.message is not None and update.message.text:
        if update.message.chat.type != "private":
            return
        chat_id = update.message.chat.id
        user = update.message.from_user
        replies = handle(
            chat_id, text=update.message.text, hint=user.language_code if user else None
        )
    else:
        return
    for reply in replies:
        client.send(chat_id, reply)
