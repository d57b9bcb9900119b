"""Personal API tokens: made, checked and throttled here; every API request acts as the
token's owner with the same scope as on the web pages (teams.scope)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, throttling

from api.models import ApiToken

PREFIX = "kpi_"
MAX_TOKENS = 20  # per person: a forgotten script's token is revoked rather than piled up
# last_used_at is written at most this often per token, not on every request.
TOUCH_EVERY = timedelta(minutes=1)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


@transaction.atomic
def token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token of `user` and its text, which is never stored and shown only now."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Give the token a name."))
    if len(name) > 60:
        raise ValidationError(_("Keep the name under %(max)d characters.") % {"max": 60})
    if "\x00" in name:
        raise ValidationError(_("The name contains a character that is not allowed."))
    tokens = ApiToken.objects.select_for_update().filter(user=user)
    if tokens.filter(name=name).exists():
        raise ValidationError(_("You already have a token with this name."))
    if tokens.count() >= MAX_TOKENS:
        raise ValidationError(
            _("At most %(max)d tokens per person: revoke one first.") % {"max": MAX_TOKENS}
        )
    token = ApiToken(user=user, name=name)
    raw = token_fill(token)
    token.save()
    return token, raw


def token_fill(token: ApiToken) -> str:
    """Give an unsaved token its secret: the hash and the first characters are kept, the
    returned text is shown once."""
    raw = PREFIX + secrets.token_urlsafe(32)
    token.key_hash, token.prefix = token_hash(raw), raw[: len(PREFIX) + 4]
    return raw


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer kpi_…`. A token of a deactivated person is refused."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in (b"bearer", b"token"):
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the header as: Bearer <token>."))
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(raw)).first()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        if token.user.language:
            translation.activate(token.user.language)
            request._request.LANGUAGE_CODE = token.user.language
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """API_THROTTLE_RATE requests per token (per address for requests without one), counted
    in the default cache (Redis when REDIS_URL is set)."""

    scope = "api"

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str:
        token = request.auth
        # The hash, not the row's id: a revoked token's id may come back, its hash never.
        ident = token.key_hash[:32] if isinstance(token, ApiToken) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
