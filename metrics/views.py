from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from teams.scope import can_lead


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if not can_lead(request.user):
        raise PermissionDenied
    return render(request, "placeholder.html", {"title": "dashboard"})
