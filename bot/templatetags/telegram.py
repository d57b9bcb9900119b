from django import template
from django.conf import settings
from django.utils import timezone

from bot.linking import CODE_TTL
from bot.models import LinkCode, TelegramLink
from bot.transport import configured

register = template.Library()


@register.inclusion_tag("bot/_profile.html", takes_context=True)
def telegram_section(context):
    """The profile page's Telegram block: link code (shown once), link, reminder choice."""
    request = context["request"]
    user = request.user
    shown = request.session.pop("telegram_code", None)
    code = None
    if shown:
        code = LinkCode.objects.filter(user=user, code=shown, expires_at__gt=timezone.now()).first()
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "configured": configured(),
        "bot_name": settings.TELEGRAM_BOT_NAME,
        "link": TelegramLink.objects.filter(user=user).first(),
        "code": code,
        "minutes": int(CODE_TTL.total_seconds() // 60),
        "choices": TelegramLink.Notify.choices,
    }
