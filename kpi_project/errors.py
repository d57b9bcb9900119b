"""Error pages in the user's language: 400, 403 and 404 inside the site's frame with the way
back; 500 and 503 on a page of their own that needs neither the database nor the session.

A database that does not answer (a connection refused, dropped or timed out) anywhere in a
request — the session lookup included, which runs before any view — gets 503 with
Retry-After instead of "Server Error (500)"; an HTMX request gets the sentence as plain text,
which the entry pages show in the cell or form status."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

RETRY_AFTER_SECONDS = 60


def _database_down(error: BaseException | None) -> bool:
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, (OperationalError, InterfaceError)):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _plain(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def unavailable(request: HttpRequest) -> HttpResponse:
    """503: the database is not answering. Rendered without the request's context (the user
    and the messages would ask the database again)."""
    message = _(
        "The database is not answering. Nothing you typed since the last “Saved” was kept. "
        "Try again in a minute."
    )
    if _is_htmx(request):
        response = _plain(message, 503)
    else:
        page = loader.render_to_string("503.html", {"message": message})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: called while the exception is being handled, so it can tell a database
    that does not answer (503) from a bug (500)."""
    if _database_down(sys.exc_info()[1]):
        return unavailable(request)
    if _is_htmx(request):
        return _plain(_("Something went wrong on our side; nothing was saved."), 500)
    return HttpResponse(loader.render_to_string("500.html"), status=500)


def bad_request(request: HttpRequest, exception: Exception | None = None, message: str = ""):
    message = message or _("The request could not be understood.")
    if _is_htmx(request):
        return _plain(message, 400)
    return render(request, "400.html", {"message": message}, status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None):
    if _is_htmx(request):
        return _plain(_("You do not have access to this page."), 403)
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None):
    return render(request, "404.html", {"request_path": request.path}, status=404)
