from __future__ import annotations

from urllib.parse import quote_plus, urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from channels.models import Channel
from dashboards import dashboard as dashboards
from dashboards import exports
from dashboards.dashboard import Dashboard, Drill, Filters
from dashboards.forms import DashboardFilterForm, DrillForm
from dashboards.panel_cache import PanelCache
from funnel.models import Indicator
from metrics.pace import MIN_SAMPLE
from teams.models import User
from teams.scope import can_lead

TEMPLATE = "dashboards/dashboard.html"
FILTER_FIELDS = (
    "period",
    "date_from",
    "date_to",
    "channel",
    "team",
    "manager",
    "granularity",
    "stage",
)
DRILL_FIELDS = ("d_code", "d_channel", "d_manager", "d_from", "d_to")
PANELS = {
    "cards",
    "drill",
    "company",
    "funnel",
    "trend",
    "leaderboard",
    "conversions",
    "plans",
    "missing",
    "money",
    "margin",
    "leaks",
}
MY_PANELS = (PANELS - {"leaderboard", "company"}) | {"rank"}
# The first response of the page carries the part above the fold — the headline cards, the
# drilled facts, the company result and the funnels (dashboard.html); every other panel comes
# as a placeholder that loads itself when scrolled into view (`?panel=name`), unless the page
# is asked whole (`?full=1`, where a browser without JavaScript is sent).
# Parameters that never go into a lazy panel's own URL.
NOT_LAZY_PARAMS = {"panel", "full"}


def _today():
    return timezone.localdate()


def _check_role(user: User, *, mine: bool) -> None:
    """The team dashboard is for leaders; "my numbers" for managers, scoped to themselves."""
    allowed = user.is_manager if mine else can_lead(user)
    if not allowed:
        raise PermissionDenied


def _filter_form(request: HttpRequest, *, mine: bool) -> DashboardFilterForm:
    return DashboardFilterForm(request.GET, user=request.user, mine=mine, today=_today())


def _query(data, names) -> str:
    return urlencode([(name, data[name]) for name in names if data.get(name)])


def _lazy_query(request: HttpRequest) -> str:
    """The page's own query (filters, tables shown whole, sort, drill) for its lazy panels'
    URLs, so that a panel loaded later shows what the page would have shown."""
    return urlencode(
        [
            (name, value)
            for name, values in request.GET.lists()
            if name not in NOT_LAZY_PARAMS
            for value in values
        ]
    )


def _drill_for(request: HttpRequest, filters: Filters) -> Drill | None:
    """The facts behind a clicked number; ids outside the viewer's scope are a 404."""
    if not request.GET.get("d_code"):
        return None
    form = DrillForm(request.GET)
    if not form.is_valid():
        raise Http404
    data = form.cleaned_data
    channel = manager = None
    if data["d_channel"]:
        channels = Channel.objects.filter(is_active=True)
        if filters.channel:
            channels = channels.filter(pk=filters.channel.pk)
        channel = get_object_or_404(channels, pk=data["d_channel"])
    if data["d_manager"]:
        manager = get_object_or_404(filters.managers, pk=data["d_manager"])
    try:
        return dashboards.drill(
            filters,
            code=data["d_code"],
            channel=channel,
            manager=manager,
            date_from=data["d_from"],
            date_to=data["d_to"],
        )
    except Indicator.DoesNotExist:
        raise Http404 from None


def _dashboard(request: HttpRequest, *, mine: bool) -> HttpResponse:
    """One view for the page and every panel: `?panel=name` serves that panel alone,
    an HTMX filter change gets all the panels back (the filter inputs stay as typed).

    The page (and a filter change) renders the panels of FIRST_PANELS and a placeholder for
    each of the others, which htmx fills when it is scrolled into view; `?full=1` renders
    every panel in one response (a `<noscript>` refresh sends a browser without JavaScript
    there)."""
    _check_role(request.user, mine=mine)
    form = _filter_form(request, mine=mine)
    panel = request.GET.get("panel", "")
    if panel and panel not in (MY_PANELS if mine else PANELS):
        raise Http404
    base = reverse("metrics:my" if mine else "metrics:dashboard")
    lazy_query = _lazy_query(request)
    ctx = {
        "form": form,
        "mine": mine,
        "lazy": not panel and request.GET.get("full") != "1",
        "lazy_query": lazy_query,
        "full_query": f"{lazy_query}{'&' if lazy_query else ''}full=1",
        "export_url": f"{base}export/",
        "min_sample": MIN_SAMPLE,
        "dashboard_url": reverse("metrics:dashboard") if not mine else base,
        "leaks_url": reverse("metrics:leaks"),
        "review_url": reverse("metrics:review"),
    }
    if form.is_valid():
        filters = dashboards.filters_for(
            cleaned=form.cleaned_data, viewer=request.user, mine=mine, today=_today()
        )
        if panel == "company" and not filters.shows_company:
            raise PermissionDenied
        query = _query(form.data, FILTER_FIELDS)

        prefix = f"{base}?{query}&panel=drill"

        def drill_url(**params) -> str:
            # Called for every point of every chart: plain joins, urlencode's rules.
            return prefix + "".join(
                f"&{name}={quote_plus(v.isoformat() if hasattr(v, 'isoformat') else str(v))}"
                for name, v in params.items()
            )

        dash = Dashboard(
            filters,
            drill_url=drill_url,
            show_all=request.GET.getlist("all"),
            sort=request.GET.get("sort"),
        )
        # The discipline panel loads itself with the same filters.
        discipline = {"from": filters.date_from, "to": filters.date_to}
        for name in ("team", "manager", "channel"):
            if getattr(filters, name) is not None:
                discipline[name] = getattr(filters, name).pk
        ctx["discipline_url"] = f"{reverse('metrics:discipline')}?{urlencode(discipline)}"
        ctx |= {
            "dash": dash,
            "query": query,
            "drill": _drill_for(request, filters) if panel in ("", "drill") else None,
            "drill_query": _query(request.GET, FILTER_FIELDS + DRILL_FIELDS),
        }
    fragment = None  # the whole page
    if panel:
        fragment = panel if form.is_valid() else "errors"
    elif request.htmx and not request.htmx.history_restore_request:
        fragment = "panels"
    kept = form.is_valid() and PanelCache.for_request(
        request.user.pk, mine, _today(), sorted(request.GET.lists())
    )
    if kept:
        # The panels come from the cache (or are rendered and kept); the page around them,
        # with its nonce and CSRF token, is rendered for this request.
        name = fragment or "panels"
        html = kept.fetch(name, lambda: render_to_string(f"{TEMPLATE}#{name}", ctx, request))
        if fragment:
            response = HttpResponse(html)
        else:
            response = render(request, TEMPLATE, ctx | {"panels_html": html})
    else:
        response = render(request, TEMPLATE + (f"#{fragment}" if fragment else ""), ctx)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def leaks(request: HttpRequest) -> HttpResponse:
    """The bottleneck finder: every manager's stage gaps priced in money, for the
    dashboard's scope and filters."""
    _check_role(request.user, mine=False)
    form = _filter_form(request, mine=False)
    base = reverse("metrics:dashboard")
    ctx = {
        "form": form,
        "mine": False,
        "export_url": f"{base}export/",
        "dashboard_url": base,
        "min_sample": MIN_SAMPLE,
    }
    if form.is_valid():
        filters = dashboards.filters_for(
            cleaned=form.cleaned_data, viewer=request.user, mine=False, today=_today()
        )
        ctx |= {"dash": Dashboard(filters), "query": _query(form.data, FILTER_FIELDS)}
    response = render(request, "dashboards/leaks.html", ctx)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The head's dashboard: the teams they lead (director and admin: everyone)."""
    return _dashboard(request, mine=False)


@login_required
def my_dashboard(request: HttpRequest) -> HttpResponse:
    """A manager's own numbers, and their place on the team board."""
    return _dashboard(request, mine=True)


def _export(request: HttpRequest, table: str, fmt: str, *, mine: bool) -> HttpResponse:
    _check_role(request.user, mine=mine)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    form = _filter_form(request, mine=mine)
    if not form.is_valid():
        errors = [str(e) for errors in form.errors.values() for e in errors]
        return HttpResponseBadRequest("\n".join(errors), content_type="text/plain; charset=utf-8")
    filters = dashboards.filters_for(
        cleaned=form.cleaned_data, viewer=request.user, mine=mine, today=_today()
    )
    if table == "facts":
        drill = _drill_for(request, filters)
        if drill is None:
            raise Http404
        data = exports.drill_table(drill)
    elif table in exports.TABLES and not (mine and table == "leaderboard"):
        data = exports.TABLES[table](Dashboard(filters, sort=request.GET.get("sort")))
    else:
        raise Http404
    filename = f"{table}-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}"
    if fmt == "csv":
        return exports.as_csv(data, filename)
    return exports.as_xlsx(data, filename, exports.export_title(data, filters))


@login_required
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    """A dashboard table as CSV or XLSX, with the filters of the current URL."""
    return _export(request, table, fmt, mine=False)


@login_required
def my_export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    return _export(request, table, fmt, mine=True)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role starts where its day starts: managers at entry, leaders at the dashboard."""
    if can_lead(request.user):
        return redirect("metrics:dashboard")
    return redirect("funnel:day")
