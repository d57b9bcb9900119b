"""The profile page: the person's API tokens (made here, shown once, revoked here)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from api.models import ApiToken
from api.tokens import token_create


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    new_token = error = None
    name = ""
    if request.method == "POST":
        if "revoke" in request.POST:
            raw_id = request.POST.get("revoke", "")
            deleted = 0
            if raw_id.isdigit() and len(raw_id) < 19:
                deleted, _rows = ApiToken.objects.filter(user=request.user, pk=raw_id).delete()
            if deleted:
                messages.success(request, _("The token was revoked."))
            else:
                messages.error(request, _("No such token."))
            return redirect("profile")
        name = request.POST.get("name", "")[:200]
        try:
            token, new_token = token_create(user=request.user, name=name)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            name = ""
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-id")
    return render(
        request,
        "api/profile.html",
        {"tokens": tokens, "new_token": new_token, "error": error, "name": name},
        status=400 if error else 200,
    )
