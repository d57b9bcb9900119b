"""The webhook Telegram calls (instead of run_bot's long polling) and the profile page's
Telegram actions: a link code, unlinking, where reminders go."""

from __future__ import annotations

import hmac
import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bot.dialogue import process
from bot.linking import code_new, unlink
from bot.models import TelegramLink
from bot.transport import Client, configured

log = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """Telegram posts each update here when the webhook is set (docs: README, "Telegram
    bot"); the secret header proves it is Telegram."""
    secret = settings.TELEGRAM_WEBHOOK_SECRET
    if not configured() or not secret:
        return HttpResponse(status=404)
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return HttpResponse(status=403)
    try:
        data = json.loads(request.body)
    except ValueError:
        return HttpResponse(status=400)
    if not isinstance(data, dict):
        return HttpResponse(status=400)
    with Client(timeout=20.0) as client:
        try:
            update = client.update_of(data)
        except (KeyError, TypeError, ValueError):
            return HttpResponse(status=400)
        if update is not None:
            process(client, update)
    return HttpResponse("ok")


@login_required
@require_POST
def telegram(request: HttpRequest) -> HttpResponse:
    """The profile page's Telegram form: action=code, unlink or notify."""
    action = request.POST.get("action")
    if action == "code" and configured():
        link = code_new(request.user)
        request.session["telegram_code"] = link.code
    elif action == "unlink":
        if unlink(request.user):
            messages.success(request, _("Telegram is unlinked."))
    elif action == "notify":
        choice = request.POST.get("notify", "")
        if choice in TelegramLink.Notify.values:
            TelegramLink.objects.filter(user=request.user).update(notify=choice)
            messages.success(request, _("Saved."))
        else:
            messages.error(request, _("Choose e-mail, Telegram or both."))
    return redirect("profile")
