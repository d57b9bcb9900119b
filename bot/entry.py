"""Entering a day in the chat: /today or /day DD.MM walks a manager through their channels'
stages, activities and money, one value a message, checks each like the day form
(funnel.values), shows a summary to confirm, saves through the one write path
(funnel.services, history source "telegram") and lets a value be changed afterwards."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from bot.models import ChatState
from bot.transport import Reply
from funnel.forms import value_parse
from funnel.models import MONEY_CODES, MONEY_DECIMAL_CODES, MONEY_LABELS, DailyFact, FactChange
from funnel.plausibility_checks import UnusualValues
from funnel.services import ValueWrite, facts_write
from metrics.selectors import channel_catalogue
from teams.models import User
from teams.scope import can_edit_facts

SUMMARY_BUTTONS = "save", "edit", "cancel"


def day_parse(arg: str, today: dt.date) -> dt.date | None:
    """'05.12' (this year) or '05.12.2026'; None when it is not a date."""
    parts = arg.strip().split(".")
    try:
        if len(parts) == 2:
            return dt.date(today.year, int(parts[1]), int(parts[0]))
        if len(parts) == 3 and len(parts[2]) == 4:
            return dt.date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        return None
    return None


def _short_day(day: dt.date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def _stored(manager: User, day: dt.date) -> dict[tuple[int, str], Decimal | int]:
    values: dict[tuple[int, str], Decimal | int] = {}
    for fact in DailyFact.objects.filter(manager=manager, date=day).prefetch_related(
        "counts__indicator"
    ):
        for count in fact.counts.all():
            values[(fact.channel_id, count.indicator.code)] = count.value
        for code in MONEY_CODES:
            values[(fact.channel_id, code)] = getattr(fact, code)
    return values


def _text(value) -> str:
    if value is None or value == "":
        return "—"
    return str(value)


def start(user: User, chat_id: int, day: dt.date) -> list[Reply]:
    today = timezone.localdate()
    if not user.is_manager:
        return [Reply(_("Entering numbers is for managers. Heads: /team shows today's numbers."))]
    if day > today:
        return [Reply(_("%(day)s is in the future.") % {"day": _short_day(day)})]
    if not can_edit_facts(user, user, day, today):
        return [Reply(_("%(day)s can no longer be changed.") % {"day": _short_day(day)})]
    works_in = set(user.channels.values_list("pk", flat=True))
    stored = _stored(user, day)
    steps, old = [], {}
    for channel in channel_catalogue():
        if channel.pk not in works_in:
            continue
        codes = [(i.code, i.name) for i in (*channel.stage_list, *channel.activity_list)]
        codes += [(code, str(MONEY_LABELS[code])) for code in MONEY_CODES]
        for code, label in codes:
            value = stored.get((channel.pk, code))
            if value is not None:
                old[str(len(steps))] = str(value)
            steps.append([channel.pk, code, f"{channel.name} · {label}"])
    if not steps:
        return [Reply(_("You report on no channel yet: ask your head."))]
    state = {"mode": "walk", "day": day.isoformat(), "steps": steps, "pos": 0, "old": old}
    state["new"] = dict(old)
    _save(chat_id, state)
    return [_ask(state)]


def _save(chat_id: int, state: dict | None) -> None:
    if state is None:
        ChatState.objects.filter(chat_id=chat_id).delete()
    else:
        ChatState.objects.update_or_create(chat_id=chat_id, defaults={"data": state})


def state_of(chat_id: int) -> dict | None:
    found = ChatState.objects.filter(chat_id=chat_id).first()
    return found.data if found and found.data.get("mode") else None


def _ask(state: dict, error: str = "") -> Reply:
    pos, steps = state["pos"], state["steps"]
    current = state["new"].get(str(pos))
    day = _short_day(dt.date.fromisoformat(state["day"]))
    lines = [f"⚠ {error}"] if error else []
    lines.append(
        _("%(day)s · %(n)s of %(total)s") % {"day": day, "n": pos + 1, "total": len(steps)}
    )
    lines.append(
        _("%(label)s: now %(value)s. Send a number.")
        % {
            "label": steps[pos][2],
            "value": _text(current),
        }
    )
    row = [(_("Keep %(value)s") % {"value": _text(current)}, "keep")]
    if state["mode"] == "walk":
        row.append((_("To the summary"), "finish"))
    return Reply("\n".join(lines), [row])


def _summary(state: dict, saved: bool = False) -> Reply:
    day = _short_day(dt.date.fromisoformat(state["day"]))
    changed = _changes(state)
    if saved:
        lines = [_("Saved for %(day)s.") % {"day": day}]
        return Reply("\n".join(lines), [[(_("Change a value"), "edit")]])
    lines = [_("Check the numbers for %(day)s:") % {"day": day}]
    for pos, old, new in changed:
        lines.append(f"{state['steps'][pos][2]}: {_text(old)} → {new}")
    if not changed:
        lines.append(_("Nothing changed."))
    labels = (_("Save"), _("Change a value"), _("Cancel"))
    return Reply("\n".join(lines), [list(zip(labels, SUMMARY_BUTTONS, strict=True))])


def _changes(state: dict) -> list[tuple[int, str | None, str]]:
    found = []
    for key, new in state["new"].items():
        old = state["old"].get(key)
        if new != old and new != "":
            found.append((int(key), old, new))
    return sorted(found)


def on_text(user: User, chat_id: int, text: str) -> list[Reply] | None:
    state = state_of(chat_id)
    if state is None or state["mode"] not in ("walk", "edit"):
        return None
    code = state["steps"][state["pos"]][1]
    try:
        value = value_parse(code, text)
    except ValidationError as error:
        return [_ask(state, error.messages[0])]
    if value is None:
        return [_ask(state, _("Send a number."))]
    if code not in MONEY_DECIMAL_CODES:
        value = int(value)
    state["new"][str(state["pos"])] = str(value)
    return _next(chat_id, state)


def _next(chat_id: int, state: dict) -> list[Reply]:
    if state["mode"] == "walk" and state["pos"] + 1 < len(state["steps"]):
        state["pos"] += 1
        _save(chat_id, state)
        return [_ask(state)]
    state["mode"] = "summary"
    _save(chat_id, state)
    return [_summary(state)]


def on_button(user: User, chat_id: int, data: str) -> list[Reply]:
    state = state_of(chat_id)
    if state is None:
        return [Reply(_("Nothing is being entered now: send /today."))]
    mode = state["mode"]
    if data == "keep" and mode in ("walk", "edit"):
        return _next(chat_id, state)
    if data == "finish" and mode == "walk":
        state["mode"] = "summary"
        _save(chat_id, state)
        return [_summary(state)]
    if data == "cancel" and mode in ("summary", "unusual"):
        _save(chat_id, None)
        return [Reply(_("Cancelled: nothing was saved."))]
    if data == "edit" and mode in ("summary", "saved", "unusual"):
        state["mode"] = "choose"
        _save(chat_id, state)
        buttons = [(step[2], f"e:{pos}") for pos, step in enumerate(state["steps"])]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        return [Reply(_("Which value?"), rows)]
    if data.startswith("e:") and mode == "choose" and data[2:].isdigit():
        pos = int(data[2:])
        if pos < len(state["steps"]):
            state["mode"], state["pos"] = "edit", pos
            _save(chat_id, state)
            return [_ask(state)]
    if data == "save" and mode == "summary":
        return _commit(user, chat_id, state)
    if data == "sure" and mode == "unusual":  # "Yes, save" of unusual values
        return _commit(user, chat_id, state, confirm=True)
    return [Reply(_("That button is no longer active."))]


def _commit(user: User, chat_id: int, state: dict, confirm: bool = False) -> list[Reply]:
    day = dt.date.fromisoformat(state["day"])
    today = timezone.localdate()
    if not can_edit_facts(user, user, day, today):
        _save(chat_id, None)
        return [Reply(_("%(day)s can no longer be changed.") % {"day": _short_day(day)})]
    writes = []
    for pos, _old, new in _changes(state):
        channel_id, code, _label = state["steps"][pos]
        writes.append(
            ValueWrite(
                date=day, manager_id=user.pk, channel_id=channel_id, code=code, value=Decimal(new)
            )
        )
    try:
        facts_write(writes=writes, by=user, source=FactChange.Source.TELEGRAM, confirm=confirm)
    except UnusualValues as unusual:
        # Far above the manager's usual (funnel.plausibility_checks): saved on "yes".
        state["mode"] = "unusual"
        _save(chat_id, state)
        lines = [_("These values are far above your usual:")]
        lines += [f"{item.label}: {item.reason}" for item in unusual.items]
        lines.append(_("Are you sure?"))
        labels = ((_("Yes, save"), "sure"), (_("Change a value"), "edit"), (_("Cancel"), "cancel"))
        return [Reply("\n".join(lines), [list(labels)])]
    except ValidationError as error:
        return [Reply(" ".join(error.messages))]
    state["old"] = dict(state["new"])
    state["mode"] = "saved"
    _save(chat_id, state)
    return [_summary(state, saved=True)]
