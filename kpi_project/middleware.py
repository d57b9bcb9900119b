"""Request-wide guards: control characters are bad input on every text parameter, and what a
signed-in user sees is never kept by a shared or browser cache."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from channels.inputs import has_control
from kpi_project.errors import bad_request


def _texts(request: HttpRequest):
    yield request.path
    sources = [request.GET, request.POST] if request.method == "POST" else [request.GET]
    for data in sources:
        for key, values in data.lists():
            yield key
            yield from (v for v in values if isinstance(v, str))


class ControlCharactersMiddleware:
    """400 for a NUL or another control character in the path, a query parameter or a form
    field (files are the import's to judge): PostgreSQL refuses NUL in text, and no person
    types the others. After the language middlewares, so the message is in the user's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any(has_control(text) for text in _texts(request)):
            return bad_request(
                request, message=_("The request contains control characters; nothing was done.")
            )
        return self.get_response(request)


class PrivateResponsesMiddleware:
    """`Cache-Control: private, no-store` on every answer to a signed-in user: pages,
    fragments and exports carry personal numbers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
