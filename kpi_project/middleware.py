"""Request-wide guards: control characters are bad input on every text parameter, and what a
signed-in user sees is never kept by a shared or browser cache."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from channels.inputs import MAX_YEAR, MIN_YEAR, has_control, range_error
from kpi_project.errors import bad_request


def _texts(request: HttpRequest):
    yield request.path
    # The API reads its JSON body itself (and refuses forms with a 415): its body is left
    # unread here, its own validation judges the values.
    form = request.method == "POST" and not request.path.startswith("/api/")
    sources = [request.GET, request.POST] if form else [request.GET]
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


def _drill_down_refused(request: HttpRequest) -> bool:
    """The admin's date hierarchy (`<field>__year`, `__month`, `__day`): Django builds a
    datetime from them and lets an overflow through as a 500 (`date__year=99999999999`,
    or 9999, whose next year does not exist). Up to 4 ASCII digits, years in bounds."""
    for key, values in request.GET.lists():
        part = key.rpartition("__")[2]
        if part not in ("year", "month", "day"):
            continue
        for value in values:
            if not (value.isascii() and value.isdigit() and len(value) <= 4):
                return True
            if part == "year" and not MIN_YEAR <= int(value) <= MAX_YEAR:
                return True
    return False


class DateDrillDownMiddleware:
    """400 for an admin date drill-down out of bounds (see _drill_down_refused)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/admin/") and _drill_down_refused(request):
            return bad_request(request, message=range_error().messages[0])
        return self.get_response(request)


class PrivateResponsesMiddleware:
    """`Cache-Control: private, no-store` on every answer to a signed-in user (pages,
    fragments and exports carry personal numbers) and on every answer to a request that
    presents credentials (API tokens are checked inside the view, after this sees the
    request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or "HTTP_AUTHORIZATION" in request.META:
            patch_cache_control(response, private=True, no_store=True)
        return response
