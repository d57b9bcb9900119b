"""The head's review of self-reported numbers (`/dashboard/review/`): the flags of
metrics.review for the dashboard's filters, each linked to the facts and their history, and
the head's decision on each (confirmed, asked to fix) recorded in funnel.ReviewDecision."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from channels import inputs
from channels.templatetags.kpi_format import count, money
from dashboards.filters import Filters, filters_for
from dashboards.forms import DashboardFilterForm
from funnel.decisions import ReviewDecision
from funnel.models import MONEY_DECIMAL_CODES, MONEY_LABELS
from metrics.review import Flag, Kind, Review, review_read
from teams.scope import can_lead

TEMPLATE = "dashboards/review.html"
FILTER_FIELDS = ("period", "date_from", "date_to", "channel", "team", "manager")
NOTE_MAX = 500


@dataclass
class Row:
    flag: Flag
    manager: object
    channel: object | None
    label: str  # the indicator's name, "" for a whole day
    explanation: str
    day_url: str
    week_url: str
    history_url: str
    query: str  # the page's filters, for the decision's form

    @property
    def kind_label(self) -> str:
        return str(ReviewDecision.Kind(self.flag.kind).label)

    @property
    def dom_id(self) -> str:
        f = self.flag
        parts = (f.manager_id, f.kind, f"{f.date_from:%Y%m%d}", f"{f.date_to:%Y%m%d}")
        return "flag-" + "-".join(map(str, (*parts, f.channel_code, f.code))).rstrip("-")


def _value(code: str, value) -> str:
    return money(value) if code in MONEY_DECIMAL_CODES else count(value)


def _explain(flag: Flag) -> str:
    value, reference = _value(flag.code, flag.value), _value(flag.code, flag.reference)
    if flag.kind == Kind.UNUSUAL:
        return _("%(value)s, above the usual limit of %(limit)s") % {
            "value": value,
            "limit": reference,
        }
    if flag.kind == Kind.REPEATED:
        return _("The same stage counts on %(days)s working days in a row") % {
            "days": count(flag.value)
        }
    if flag.kind == Kind.ZEROS:
        return _("Reported with every value 0")
    if flag.kind == Kind.STAGE_ORDER:
        return _("%(value)s, above the previous stage's %(previous)s") % {
            "value": value,
            "previous": reference,
        }
    if flag.kind == Kind.LATE_EDIT:
        return _("Changed by a head after the edit window (%(times)s×); now %(value)s") % {
            "times": count(flag.reference),
            "value": value,
        }
    return _("%(changed)s changed in the month's last two working days, of %(total)s") % {
        "changed": value,
        "total": reference,
    }


def _labels(review: Review) -> dict[tuple[str, str], str]:
    labels = {}
    for code, channel in review.channels.items():
        for indicator in (*channel.stage_list, *channel.activity_list):
            labels[code, indicator.code] = indicator.name
        for money_code, label in MONEY_LABELS.items():
            labels[code, money_code] = str(label)
    return labels


def _rows(review: Review, query: str) -> list[Row]:
    labels = _labels(review)
    rows = []
    for flag in review.flags:
        channel = review.channels.get(flag.channel_code)
        person = {"manager": flag.manager_id}
        history = {**person, "date": flag.date_to.isoformat()}
        if flag.code and channel is not None and flag.date_from == flag.date_to:
            history |= {"channel": channel.pk, "code": flag.code}
        rows.append(
            Row(
                flag=flag,
                manager=review.managers.get(flag.manager_id),
                channel=channel,
                label=labels.get((flag.channel_code, flag.code), flag.code),
                explanation=_explain(flag),
                day_url=reverse("funnel:day")
                + "?"
                + urlencode({**person, "date": flag.date_to.isoformat()}),
                week_url=reverse("funnel:week")
                + "?"
                + urlencode({**person, "week": flag.date_from.isoformat()}),
                history_url=reverse("funnel:history") + "?" + urlencode(history),
                query=query,
            )
        )
    return rows


def _filters(request: HttpRequest, data: QueryDict) -> tuple[DashboardFilterForm, Filters | None]:
    today = timezone.localdate()
    form = DashboardFilterForm(data, user=request.user, mine=False, today=today)
    if not form.is_valid():
        return form, None
    return form, filters_for(
        cleaned=form.cleaned_data, viewer=request.user, mine=False, today=today
    )


def _review(filters: Filters) -> Review:
    return review_read(
        managers=filters.managers,
        date_from=filters.date_from,
        date_to=filters.date_to,
        teams=filters.fact_teams,
        channel_ids=filters.channel_ids,
    )


def _query(data: QueryDict) -> str:
    return urlencode([(name, data[name]) for name in FILTER_FIELDS if data.get(name)])


def _check(request: HttpRequest) -> None:
    if not can_lead(request.user):
        raise PermissionDenied


@login_required
@require_GET
def review(request: HttpRequest) -> HttpResponse:
    """The flags of the dashboard's scope; `?panel=count` is the dashboard's "Open flags"
    link alone."""
    _check(request)
    form, filters = _filters(request, request.GET)
    query = _query(request.GET)
    ctx = {
        "form": form,
        "query": query,
        "dashboard_url": reverse("metrics:dashboard"),
        "review_url": reverse("metrics:review"),
    }
    if filters is not None:
        found = _review(filters)
        ctx |= {"review": found, "rows": _rows(found, query), "filters": filters}
    template = TEMPLATE
    if request.GET.get("panel") == "count":
        template += "#count"
    elif request.htmx and not request.htmx.history_restore_request:
        template += "#flags"
    response = render(request, template, ctx)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def review_mark(request: HttpRequest) -> HttpResponse:
    """Record a head's decision on one flag that the page's filters raise now; anything
    else (a flag out of the viewer's scope, gone, or a bad value) writes nothing."""
    _check(request)
    query = request.POST.get("q", "")
    filter_data = QueryDict(query)
    form, filters = _filters(request, filter_data)
    if filters is None:
        return HttpResponseBadRequest(_("The filters of the page are not valid."))
    decision = request.POST.get("decision", "")
    note = (request.POST.get("note") or "").strip()
    manager_id = inputs.id_parse(request.POST.get("manager", ""))
    try:
        date_from = dt.date.fromisoformat(request.POST.get("date_from", ""))
        date_to = dt.date.fromisoformat(request.POST.get("date_to", ""))
    except ValueError:
        date_from = date_to = None
    if decision not in ReviewDecision.Decision.values:
        return HttpResponseBadRequest(_("Choose “confirmed” or “asked to fix”."))
    if len(note) > NOTE_MAX:
        return HttpResponseBadRequest(_("The note is too long (at most 500 characters)."))
    key = (
        manager_id,
        request.POST.get("kind", ""),
        date_from,
        date_to,
        request.POST.get("channel_code", ""),
        request.POST.get("code", ""),
    )
    found = _review(filters)
    rows = [r for r in _rows(found, _query(filter_data)) if r.flag.key == key]
    if not rows:
        return HttpResponseBadRequest(_("This flag is not raised for these filters any more."))
    (row,) = rows
    flag = row.flag
    flag.decision, _created = ReviewDecision.objects.update_or_create(
        manager_id=flag.manager_id,
        kind=flag.kind,
        date_from=flag.date_from,
        date_to=flag.date_to,
        channel_code=flag.channel_code,
        code=flag.code,
        defaults={"decision": decision, "note": note, "decided_by": request.user},
    )
    if not request.htmx:
        return redirect(reverse("metrics:review") + (f"?{query}" if query else ""))
    response = render(request, TEMPLATE + "#flag-row", {"row": row, "query": _query(filter_data)})
    patch_vary_headers(response, ["HX-Request"])
    return response
