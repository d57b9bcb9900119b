"""The import page and the monthly template download (heads, the director, admins)."""

from __future__ import annotations

import datetime as dt
import re

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import trigger_client_event

from funnel.forms import ImportForm
from funnel.imports import kpi_import
from funnel.template import month_template
from funnel.views import SAVED_EVENT, Refusal, _database_refusal, refusals
from teams.models import Team
from teams.scope import can_lead, managers_visible_to

MAX_IMPORT_BYTES = 50 * 1024 * 1024
# A page lists this many bad rows; the command prints all of them.
SHOWN_BAD_ROWS = 1000
MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _teams_for(user) -> list[Team]:
    teams = Team.objects.order_by("name")
    return list(teams if user.sees_everything else teams.filter(heads=user))


@login_required
@require_http_methods(["GET", "POST"])
@refusals
def import_page(request: HttpRequest) -> HttpResponse:
    if not can_lead(request.user):
        raise Refusal(_("Only heads of sales and administrators can import data."), 403)
    report = None
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_IMPORT_BYTES:
                form.add_error("file", _("The file is larger than 50 MB."))
            else:
                try:
                    report = kpi_import(
                        upload, by=request.user, dry_run=form.cleaned_data["dry_run"]
                    )
                except DatabaseError:
                    # Shown in place of the report (htmx swaps only 2xx); a plain page says 503.
                    form.add_error("file", _database_refusal().message)
                    status = 200 if request.htmx else 503
    else:
        form = ImportForm()
    bad_rows = report.bad_rows if report else []
    ctx = {
        "form": form,
        "report": report,
        "bad_rows_shown": bad_rows[:SHOWN_BAD_ROWS],
        "bad_rows_hidden": max(0, len(bad_rows) - SHOWN_BAD_ROWS),
        "teams": _teams_for(request.user),
        "this_month": timezone.localdate().strftime("%Y-%m"),
    }
    template = "funnel/import.html"
    if request.htmx and request.method == "POST":
        template += "#import-result"
    response = render(request, template, ctx, status=status)
    if report and report.ok and not report.dry_run:
        trigger_client_event(response, SAVED_EVENT)
    return response


@login_required
@require_GET
@refusals
def template_download(request: HttpRequest) -> HttpResponse:
    """?team=<id>&month=YYYY-MM: the team's month as the monthly template, filled in."""
    if not can_lead(request.user):
        raise Refusal(_("Only heads of sales and administrators can import data."), 403)
    match = MONTH_RE.fullmatch(request.GET.get("month", "").strip())
    try:
        month = dt.date(int(match[1]), int(match[2]), 1) if match else None
    except ValueError:
        month = None
    if month is None or not 1900 <= month.year <= 2999:
        raise Refusal(_("Choose a month as YYYY-MM."), 400)
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
