"""Who is asking: the client's address, also behind a TLS proxy, for login lockouts and the
password-reset throttle."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR; behind PROXY_COUNT trusted proxies, the address the outermost of them saw:
    the PROXY_COUNT-th entry of X-Forwarded-For from the right. Entries further left are
    the client's to write and are never believed. (axes' AXES_CLIENT_IP_CALLABLE.)"""
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.PROXY_COUNT
    if count <= 0:
        return remote
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if len(hops) < count:
        return remote
    return _address(hops[-count]) or remote
