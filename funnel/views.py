"""Entry pages: the day form, the week grid with its cells, history and the CSV import.

Every view finds the manager through `_manager_for` (scope of teams/scope.py) and checks
`can_edit_facts` before writing; a refusal is a `Refusal` turned into a short 4xx page.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from decimal import Decimal
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from channels.models import Channel
from funnel.decisions import asked_to_fix
from funnel.forms import DayForm, date_parse, field_name, value_parse
from funnel.models import FactChange
from funnel.plausibility_checks import Implausible, UnusualValues
from funnel.selectors import (
    ChannelBlock,
    GridCell,
    GridGroup,
    StoredValues,
    entry_channels,
    entry_values,
    fact_history,
    value_display,
    week_grid,
)
from funnel.services import ValueWrite, facts_write
from teams.models import User
from teams.scope import can_edit_facts, edit_window_start, managers_visible_to

logger = logging.getLogger(__name__)
ID_RE = re.compile(r"[0-9]{1,18}", re.ASCII)
CODE_RE = re.compile(r"[-a-zA-Z0-9_]{1,40}", re.ASCII)
SAVED_EVENT = "counts-saved"
INVALID_EVENT = "cell-invalid"


class Refusal(Exception):
    """A request we answer with a message and a 4xx status instead of a page."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


def _database_refusal() -> Refusal:
    # Every save is one transaction (facts_write): when the database fails, nothing is half-written.
    logger.exception("Database error on an entry page")
    return Refusal(_("The database did not answer; nothing was saved. Try again in a minute."), 503)


def refusals(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            try:
                return view(request, *args, **kwargs)
            except DatabaseError as error:
                raise _database_refusal() from error
        except Refusal as refusal:
            if request.htmx:
                # htmx does not swap 4xx; entry.js shows this text next to the field.
                response = HttpResponse(
                    refusal.message,
                    status=refusal.status,
                    content_type="text/plain; charset=utf-8",
                )
            else:
                ctx = {"message": refusal.message, "status": refusal.status}
                response = render(request, "funnel/refused.html", ctx, status=refusal.status)
            if refusal.status == 503:
                response["Retry-After"] = "60"
            return response

    return wrapper


def _param(request: HttpRequest, name: str) -> str | None:
    """A parameter from the POST body if it is there, else from the query string."""
    if request.method == "POST" and name in request.POST:
        return request.POST.get(name)
    return request.GET.get(name)


def _id_param(request: HttpRequest, name: str, message: str) -> int:
    raw = (_param(request, name) or "").strip()
    if not ID_RE.fullmatch(raw):
        raise Refusal(message, 400)
    return int(raw)


def _date_param(request: HttpRequest, name: str, default: dt.date | None = None) -> dt.date:
    raw = _param(request, name)
    if not raw and default is not None:
        return default
    try:
        return date_parse(raw)
    except ValidationError as error:
        raise Refusal(error.messages[0], 400) from error


def _manager_for(request: HttpRequest) -> User | None:
    """The manager whose entries the request is about; None when a leader has not chosen yet."""
    raw = (_param(request, "manager") or "").strip()
    if not raw:
        return request.user if request.user.is_manager else None
    if not ID_RE.fullmatch(raw):
        raise Refusal(_("Unknown manager."), 404)
    manager = managers_visible_to(request.user).filter(pk=int(raw)).first()
    if manager is None:
        raise Refusal(_("This manager is not in your teams."), 404)
    return manager


def _readonly_reason(user: User, manager: User, day: dt.date, today: dt.date) -> str:
    if day > today:
        return _("Future days cannot be filled in yet.")
    if user.pk == manager.pk:
        return _(
            "Only the last %(days)s days can be changed. Ask your head of sales to correct "
            "older entries."
        ) % {"days": settings.KPI_EDIT_WINDOW_DAYS}
    return _("You cannot change this manager's entries.")


def _query(manager: User, request: HttpRequest, **params) -> str:
    """A query string that keeps the chosen manager for leaders."""
    if manager.pk != request.user.pk:
        params["manager"] = manager.pk
    return "?" + urlencode(params)


def _manager_pick(request: HttpRequest, url_name: str) -> HttpResponse:
    """Leaders choose whose entries to open."""
    ctx = {
        "managers": managers_visible_to(request.user).select_related("team"),
        "url": reverse(url_name),
        "title": _("Choose a manager"),
    }
    return render(request, "funnel/pick_manager.html", ctx)


def _named_notes(notes: list, form: DayForm) -> list:
    """Each note with the name its indicator has on this form (the note keeps only codes)."""
    labels = {
        (block.channel.code, row.code): row.label for block in form.blocks for row in block.rows
    }
    for note in notes:
        note.label = labels.get((note.channel_code, note.code), note.code)
    return notes


def _write_confirmed(request: HttpRequest, writes, *, source: str, confirmed) -> None:
    """facts_write; when values are unusual, again with them confirmed if `confirmed(items)`
    says the user confirmed those very values, else UnusualValues."""
    try:
        facts_write(writes=writes, by=request.user, source=source)
    except UnusualValues as unusual:
        if not confirmed(unusual.items):
            raise
        facts_write(writes=writes, by=request.user, source=source, confirm=True)


def _unusual_seen(item) -> str:
    return f"{item.channel_id}:{item.code}:{item.value}"


def _day_sections(form: DayForm, previous: dict, unusual: dict | None = None) -> list[dict]:
    return [
        {
            "block": block,
            "fields": [
                {
                    "row": row,
                    "field": form[field_name(block.channel.pk, row.code)],
                    "previous": previous.get((block.channel.pk, row.code), ""),
                    "unusual": (unusual or {}).get((block.channel.pk, row.code), ""),
                }
                for row in block.rows
            ],
        }
        for block in form.blocks
    ]


@login_required
@require_http_methods(["GET", "POST"])
@refusals
def day(request: HttpRequest) -> HttpResponse:
    manager = _manager_for(request)
    if manager is None:
        return _manager_pick(request, "funnel:day")
    today = timezone.localdate()
    day = _date_param(request, "date", default=today)
    if day > today:
        raise Refusal(_("Numbers cannot be entered for a future day."), 400)
    editable = can_edit_facts(request.user, manager, day, today)
    blocks = entry_channels(manager)
    previous_day = day - dt.timedelta(days=1)
    stored = entry_values(manager, previous_day, day)
    saved_at = None
    unusual = []
    if request.method == "POST":
        if not editable:
            raise Refusal(_readonly_reason(request.user, manager, day, today), 403)
        form = DayForm(request.POST, blocks=blocks, stored=stored, day=day)
        if form.is_valid():
            seen = set(request.POST.getlist("unusual_seen"))
            try:
                _write_confirmed(
                    request,
                    form.writes(manager_id=manager.pk),
                    source=FactChange.Source.FORM,
                    confirmed=lambda items: (
                        request.POST.get("confirm_unusual") == "1"
                        and all(_unusual_seen(item) in seen for item in items)
                    ),
                )
            except UnusualValues as error:
                unusual = error.items
            except Implausible as error:
                for key, code, reason in error.items:
                    form.add_error(field_name(key[2], code), reason)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                saved_at = timezone.localtime()
                if not request.htmx:
                    time = formats.time_format(saved_at, "H:i")
                    messages.success(request, _("Saved at %(time)s.") % {"time": time})
                    return redirect(reverse("funnel:day") + _query(manager, request, date=day))
                stored = entry_values(manager, previous_day, day)
                form = DayForm(blocks=blocks, stored=stored, day=day)
    else:
        form = DayForm(blocks=blocks, stored=stored, day=day, disabled=not editable)

    previous = {
        (block.channel.pk, row.code): value_display(
            row.code, stored.get(previous_day, block.channel.pk, row.code)
        )
        for block in blocks
        for row in block.rows
    }
    last_saved = stored.last_saved.get(day)
    ctx = {
        "manager": manager,
        "is_own": manager.pk == request.user.pk,
        "day": day,
        "today": today,
        "form": form,
        "sections": _day_sections(
            form, previous, {(u.channel_id, u.code): u.reason for u in unusual}
        ),
        "unusual_seen": [_unusual_seen(item) for item in unusual],
        "editable": editable,
        "readonly_reason": "" if editable else _readonly_reason(request.user, manager, day, today),
        "saved_at": saved_at,
        "last_saved": timezone.localtime(last_saved) if last_saved else None,
        "action": reverse("funnel:day") + _query(manager, request, date=day),
        "prev_url": reverse("funnel:day") + _query(manager, request, date=previous_day),
        "next_url": (
            reverse("funnel:day") + _query(manager, request, date=day + dt.timedelta(days=1))
            if day < today
            else ""
        ),
        "week_url": reverse("funnel:week") + _query(manager, request, week=day),
        "history_url": reverse("funnel:history") + _query(manager, request, date=day),
        "previous_day": previous_day,
        # What a head asked the manager to fix on this day (the review of reported numbers).
        "review_notes": _named_notes(asked_to_fix(manager.pk, day), form),
    }
    template = "funnel/day.html"
    if request.htmx and request.method == "POST":
        template += "#day-form"
    response = render(request, template, ctx)
    if saved_at:
        trigger_client_event(response, SAVED_EVENT)
    return response


def _week_days(day: dt.date) -> list[dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return [monday + dt.timedelta(days=i) for i in range(7)]


def _dress_cell(cell: GridCell, manager: User, request: HttpRequest) -> GridCell:
    """What the cell's markup shows besides its value: its DOM id and its history link."""
    cell.dom_id = f"cell-{cell.channel_id}-{cell.row.code}-{cell.day:%Y%m%d}"
    query = _query(manager, request, date=cell.day, channel=cell.channel_id, code=cell.row.code)
    cell.history_url = reverse("funnel:history") + query
    return cell


def _week_groups(
    manager: User,
    request: HttpRequest,
    blocks: list[ChannelBlock],
    days: list[dt.date],
    editable: set[dt.date],
    stored: StoredValues | None = None,
    dress: bool = True,
) -> list[GridGroup]:
    """The week grid as stored (`stored`: the week's values when the caller has them), each
    day's total next to its day (the live sums need it); without `dress`, only the totals
    (a saved cell's answer shows no other cell)."""
    if stored is None:
        stored = entry_values(manager, days[0], days[-1])
    groups = week_grid(blocks, days, stored, editable)
    for group in groups:
        group.day_columns = list(zip(days, group.day_totals, strict=True))
        if not dress:
            continue
        for grid_row in group.rows:
            for grid_cell in grid_row.cells:
                _dress_cell(grid_cell, manager, request)
    return groups


@login_required
@require_http_methods(["GET"])
@refusals
def week(request: HttpRequest) -> HttpResponse:
    manager = _manager_for(request)
    if manager is None:
        return _manager_pick(request, "funnel:week")
    today = timezone.localdate()
    anchor = _date_param(request, "week", default=today)
    days = _week_days(anchor)
    monday = days[0]
    editable = {d for d in days if can_edit_facts(request.user, manager, d, today)}
    groups = _week_groups(manager, request, entry_channels(manager), days, editable)
    readonly_notes = []
    if any(d > today for d in days):
        readonly_notes.append(_("Future days cannot be filled in yet."))
    if any(d <= today and d not in editable for d in days):
        readonly_notes.append(_readonly_reason(request.user, manager, days[0], today))
    next_monday = monday + dt.timedelta(days=7)
    ctx = {
        "manager": manager,
        "is_own": manager.pk == request.user.pk,
        "days": days,
        "today": today,
        "groups": groups,
        "readonly_notes": readonly_notes,
        "window_start": edit_window_start(today),
        "prev_url": reverse("funnel:week")
        + _query(manager, request, week=monday - dt.timedelta(days=7)),
        "next_url": (
            reverse("funnel:week") + _query(manager, request, week=next_monday)
            if next_monday <= today
            else ""
        ),
        "this_week_url": reverse("funnel:week") + _query(manager, request),
        "day_url": reverse("funnel:day") + _query(manager, request),
        "cell_url": reverse("funnel:cell"),
        "manager_param": "" if manager.pk == request.user.pk else manager.pk,
    }
    template = "funnel/week.html#week-grid" if request.htmx else "funnel/week.html"
    return render(request, template, ctx)


@login_required
@require_POST
@refusals
def cell(request: HttpRequest) -> HttpResponse:
    """Save one value of the week grid.

    htmx gets the cell in its saved or error state (status 200 either way) and, out of band,
    the status line and, once saved, the row and day totals of the cell's channel and week.
    A plain form post is sent back to the week, or refused with the message.
    """
    manager = _manager_for(request)
    if manager is None:
        raise Refusal(_("Choose a manager."), 400)
    day = _date_param(request, "date")
    channel_id = _id_param(request, "channel", _("Unknown channel."))
    block = next((b for b in entry_channels(manager) if b.channel.pk == channel_id), None)
    if block is None:
        raise Refusal(_("Unknown channel."), 400)
    code = request.POST.get("code", "")
    row = next((r for r in block.rows if r.code == code), None)
    if row is None:
        raise Refusal(_("Unknown indicator."), 400)
    today = timezone.localdate()
    if not can_edit_facts(request.user, manager, day, today):
        raise Refusal(_readonly_reason(request.user, manager, day, today), 403)

    raw = request.POST.get("value", "")
    confirm = request.POST.get("confirm") == "1"  # "Save anyway" of an unusual value
    grid_cell = GridCell(day=day, channel_id=channel_id, row=row, text=raw, editable=True)
    # The channel's week as stored, read once: the old value now, the totals once the value
    # is saved (the answer shows only this channel's).
    days = _week_days(day)
    stored = entry_values(manager, days[0], days[-1], channel_id)
    try:
        value = value_parse(code, raw)
        old = stored.get(day, channel_id, code)
        if value is None and old is not None:
            value = 0
        if value is not None:
            facts_write(
                writes=[ValueWrite(day, manager.pk, channel_id, code, value)],
                by=request.user,
                source=FactChange.Source.GRID,
                confirm=confirm,
            )
            stored.values[(day, channel_id, code)] = Decimal(value)
            stored.last_saved[day] = timezone.now()
    except UnusualValues as unusual:
        grid_cell.warning, grid_cell.state = unusual.items[0].reason, "unusual"
        if not request.htmx:
            raise Refusal(grid_cell.warning, 409) from unusual
    except ValidationError as error:
        reason = error.items[0][2] if isinstance(error, Implausible) else error.messages[0]
        grid_cell.error, grid_cell.state = reason, "error"
        if not request.htmx:
            raise Refusal(grid_cell.error, 400) from error
    else:
        grid_cell.text, grid_cell.state = value_display(code, value), "saved"
        if not request.htmx:
            return redirect(reverse("funnel:week") + _query(manager, request, week=day))
    ctx = {
        "cell": _dress_cell(grid_cell, manager, request),
        "manager_param": "" if manager.pk == request.user.pk else manager.pk,
        "cell_url": reverse("funnel:cell"),
        "grid_state": grid_cell.state,
        "oob": True,
    }
    if grid_cell.state == "saved":
        (ctx["group"],) = _week_groups(manager, request, [block], days, set(), stored, dress=False)
        ctx["grid_row"] = next(r for r in ctx["group"].rows if r.row.code == code)
    response = render(request, "funnel/week.html#cell-answer", ctx)
    if grid_cell.state != "unusual":  # an unusual value waits for its "Save anyway"
        trigger_client_event(response, SAVED_EVENT if grid_cell.state == "saved" else INVALID_EVENT)
    return response


@login_required
@require_http_methods(["GET"])
@refusals
def history(request: HttpRequest) -> HttpResponse:
    """Who changed what of a manager's day; of one value when `channel` and `code` are given."""
    manager = _manager_for(request)
    if manager is None:
        return _manager_pick(request, "funnel:history")
    day = _date_param(request, "date", default=timezone.localdate())
    channel = None
    code = None
    if _param(request, "channel") or _param(request, "code"):
        channel_id = _id_param(request, "channel", _("Unknown channel."))
        channel = Channel.objects.filter(pk=channel_id).first()
        code = (_param(request, "code") or "").strip()
        if channel is None:
            raise Refusal(_("Unknown channel."), 400)
        if not CODE_RE.fullmatch(code):
            raise Refusal(_("Unknown indicator."), 400)
    entries = fact_history(manager, day=day, channel_id=channel.pk if channel else None, code=code)
    ctx = {
        "manager": manager,
        "day": day,
        "channel": channel,
        "code": code,
        "entries": entries,
        "day_history_url": reverse("funnel:history") + _query(manager, request, date=day),
        "day_url": reverse("funnel:day") + _query(manager, request, date=day),
        "manager_param": "" if manager.pk == request.user.pk else manager.pk,
    }
    return render(request, "funnel/history.html", ctx)
