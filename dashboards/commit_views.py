"""The morning commitment page: a manager commits to today's numbers of their channels'
main indicators, pre-filled from today's norms; a head of their team may look, not commit.

Only while the department's switch is on (plans.DepartmentSettings); otherwise a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from channels import inputs
from dashboards.norms import norms_read
from funnel.values import value_parse
from plans.commitments import (
    commitment_targets,
    commitments_enabled,
    commitments_of,
    commitments_save,
)
from teams.models import User
from teams.scope import managers_visible_to


def _today():
    return timezone.localdate()


def _manager(request: HttpRequest) -> User:
    """The manager themselves, or ?manager=<id> of the viewer's teams; a 404 for anyone else."""
    raw = request.GET.get("manager")
    if not raw:
        if request.user.is_manager:
            return request.user
        raise Http404
    pk = inputs.id_parse(raw)
    manager = managers_visible_to(request.user).filter(pk=pk).first() if pk is not None else None
    if manager is None:
        raise Http404
    return manager


@login_required
@require_http_methods(["GET", "POST"])
def commit(request: HttpRequest) -> HttpResponse:
    if not commitments_enabled():
        raise Http404
    manager = _manager(request)
    is_own = manager.pk == request.user.pk
    if request.method == "POST" and not is_own:
        # A head reads a manager's commitments; only the manager commits.
        message = _("Only the manager commits to their own day.")
        ctx = {"message": message, "status": 403}
        return render(request, "funnel/refused.html", ctx, status=403)
    today = _today()
    targets = commitment_targets(manager)
    stored = commitments_of(manager, today)
    norms = norms_read(managers=[manager], today=today)[manager.pk]
    daily = {
        (channel.pk, need.code): need.daily
        for channel, channel_norms in norms.channels
        for need in channel_norms.rows
    }
    errors: dict[str, str] = {}
    typed: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = {}
        for target in targets:
            raw = request.POST.get(target.field, "")
            typed[target.field] = raw
            try:
                values[(target.channel.pk, target.code)] = value_parse(raw, money=False)
            except ValidationError as error:
                errors[target.field] = error.messages[0]
        if not errors:
            commitments_save(manager=manager, day=today, values=values)
            time = formats.time_format(timezone.localtime(), "H:i")
            messages.success(request, _("Commitments saved at %(time)s.") % {"time": time})
            return redirect(reverse("metrics:commit"))
        status = 400
    rows = []
    for target in targets:
        key = (target.channel.pk, target.code)
        if target.field in typed:
            text = typed[target.field]
        elif key in stored:
            text = str(stored[key])
        else:
            text = "" if daily.get(key) is None else str(daily[key])
        rows.append(
            {
                "target": target,
                "text": text,
                "norm": daily.get(key),
                "stored": stored.get(key),
                "error": errors.get(target.field, ""),
            }
        )
    ctx = {
        "manager": manager,
        "is_own": is_own,
        "today": today,
        "rows": rows,
        "committed": bool(stored),
        "errors": errors,
        "day_url": reverse("funnel:day")
        + ("" if is_own else "?" + urlencode({"manager": manager.pk})),
    }
    return render(request, "dashboards/commit.html", ctx, status=status)
