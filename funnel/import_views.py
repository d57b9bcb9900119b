"""The import page (upload → check and preview → "Import"), an upload's progress and report,
and the monthly template download: heads, the director, admins."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from channels.inputs import month_parse
from funnel.forms import ImportForm
from funnel.models import ImportUpload
from funnel.preview import Preview
from funnel.tasks import upload_start
from funnel.template import month_template
from funnel.uploads import RUNNING, upload_stopped, upload_store
from funnel.views import SAVED_EVENT, Refusal, _database_refusal, refusals
from teams.models import Team
from teams.scope import can_lead, managers_visible_to

MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _teams_for(user) -> list[Team]:
    teams = Team.objects.order_by("name")
    return list(teams if user.sees_everything else teams.filter(heads=user))


def _leader(request: HttpRequest) -> None:
    if not can_lead(request.user):
        raise Refusal(_("Only heads of sales and administrators can import data."), 403)


def _upload_for(request: HttpRequest, token) -> ImportUpload:
    """The user's own upload: nobody else sees or finishes it."""
    # Without the file itself: the page is polled every second while a run goes on.
    upload = (
        ImportUpload.objects.filter(token=token, uploaded_by=request.user).defer("data").first()
    )
    if upload is None:
        raise Refusal(_("This upload does not exist any more; upload the file again."), 404)
    return upload


def _recent(user) -> list[ImportUpload]:
    """The user's last five uploads, a dead run among them marked stopped (upload_stopped)."""
    uploads = list(
        ImportUpload.objects.filter(uploaded_by=user)
        .only("token", "name", "status", "created_at", "updated_at")
        .order_by("-created_at")[:5]
    )
    for upload in uploads:
        upload_stopped(upload)
    return uploads


def _page(
    request: HttpRequest, upload: ImportUpload | None, form=None, status=200, confirm_error=""
):
    result = upload.result if upload else {}
    preview = Preview.from_json(result.get("preview")) if result else None
    ctx = {
        "form": form or ImportForm(),
        "upload": upload,
        "result": result,
        "preview": preview,
        "running": bool(upload and upload.status in RUNNING),
        "hidden_bad_rows": max(0, result.get("bad_total", 0) - len(result.get("bad_rows", []))),
        # Read once, and only where the template shows it (not in the polled result).
        "recent": SimpleLazyObject(lambda: _recent(request.user)),
        "teams": _teams_for(request.user),
        "this_month": timezone.localdate().strftime("%Y-%m"),
        "sqlite": connection.vendor == "sqlite",
        "confirm_error": confirm_error,
    }
    template = "funnel/import.html"
    if request.htmx and request.headers.get("HX-Target") == "import-result":
        template += "#import-result"
    response = render(request, template, ctx, status=status)
    if upload and upload.status == ImportUpload.Status.DONE and request.method == "POST":
        trigger_client_event(response, SAVED_EVENT)
    if status == 503:
        response["Retry-After"] = "60"
    return response


@login_required
@require_http_methods(["GET", "POST"])
@refusals
def import_page(request: HttpRequest) -> HttpResponse:
    """GET: the page. POST: upload a file, keep it and check it (the preview); nothing is
    written until "Import" (import_run)."""
    _leader(request)
    if request.method == "GET":
        return _page(request, None)
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid() and form.cleaned_data["file"].size > settings.KPI_IMPORT_MAX_BYTES:
        limit = settings.KPI_IMPORT_MAX_BYTES // (1024 * 1024)
        form.add_error("file", _("The file is larger than %(size)s MB.") % {"size": limit})
    if not form.is_valid():
        return _page(request, None, form)
    try:
        upload = upload_store(form.cleaned_data["file"], by=request.user)
        upload_start(upload, dry_run=True)
    except DatabaseError:
        # Shown in place of the report (htmx swaps only 2xx); a plain page says 503.
        form.add_error("file", _database_refusal().message)
        return _page(request, None, form, status=200 if request.htmx else 503)
    response = _page(request, upload)
    # The upload's own address, to come back to (or reload) while it runs.
    response["HX-Push-Url"] = reverse("funnel:import_status", args=[upload.token])
    return response


@login_required
@require_GET
@refusals
def import_status(request: HttpRequest, token) -> HttpResponse:
    """An upload's page: its progress while it runs (polled), then its preview or report."""
    _leader(request)
    upload = _upload_for(request, token)
    upload_stopped(upload)  # a run whose process died: say so, and stop polling
    return _page(request, upload)


@login_required
@require_POST
@refusals
def import_run(request: HttpRequest, token) -> HttpResponse:
    """ "Import": write the checked upload (checked again, all or nothing)."""
    _leader(request)
    upload = _upload_for(request, token)
    if upload.status != ImportUpload.Status.CHECKED:
        raise Refusal(_("Only a checked file without problems can be imported."), 409)
    accept_unusual = request.POST.get("accept_unusual") == "1"
    if upload.result.get("unusual_total") and not accept_unusual:
        return _page(
            request,
            upload,
            status=200 if request.htmx else 400,
            confirm_error=_("Tick the box to confirm the unusual values, or fix the file."),
        )
    try:
        upload_start(upload, dry_run=False, accept_unusual=accept_unusual)
    except DatabaseError:
        # The page says "nothing was imported"; a plain request also gets its 503.
        _database_refusal()
        upload.refresh_from_db()
        return _page(request, upload, status=200 if request.htmx else 503)
    return _page(request, upload)


@login_required
@require_GET
@refusals
def template_download(request: HttpRequest) -> HttpResponse:
    """?team=<id>&month=YYYY-MM: the team's month as the monthly template, filled in."""
    if not can_lead(request.user):
        raise Refusal(_("Only heads of sales and administrators can import data."), 403)
    try:
        month = month_parse(request.GET.get("month"))
    except ValidationError as error:
        raise Refusal(error.messages[0], 400) from None
    team_id = request.GET.get("team", "").strip()
    teams = {str(t.pk): t for t in _teams_for(request.user)}
    if team_id not in teams:
        raise Refusal(_("Choose one of your teams."), 404)
    managers = list(
        managers_visible_to(request.user).filter(team_id=team_id).order_by("last_name", "username")
    )
    response = HttpResponse(month_template(managers, month), content_type=XLSX_TYPE)
    name = f"kpi-{month:%Y-%m}-team{team_id}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
