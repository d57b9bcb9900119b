"""The bench's floor: what the dashboard cannot go below for the same scope and filters.

A view of the bench's own (on a URLconf of its own, never the app's) that makes the
dashboard's summary reads — the headline cards, each channel's funnel and the leaderboard's
first rows, from the same `Dashboard` properties — and renders those numbers as plain rows
in a minimal template (no base template, no charts). Served through the same middleware as
the page, so that page p50 / floor p50 of one run says what the page adds to its sums.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template import engines
from django.urls import include, path

from dashboards import views
from dashboards.dashboard import Dashboard, filters_for

# The URLconf the bench swaps in (override_settings(ROOT_URLCONF=URLCONF)) for the floor.
URLCONF = __name__
FLOOR_PATH = "/floor/"

# Ratios of a page's p50 to the floor's p50 in the same run, and their budgets.
FULL_BUDGET = 1.5  # the whole page (`&full=1`)
FIRST_BUDGET = 1.2  # the first response (`/dashboard/?…`)

_TEMPLATE = engines["django"].from_string(
    "{% load l10n %}{% localize off %}<!doctype html><title>floor</title><table>"
    "{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>"
    "{% endfor %}</table>{% endlocalize %}"
)


def floor_rows(dash: Dashboard) -> list[tuple]:
    """The numbers of the cards, the funnels and the leaderboard's shown rows, one tuple a
    row: ("card", key, value, change, year change), ("stage", channel, code, count,
    conversion), ("funnel", channel, conversion, revenue), ("leader", rank, manager, revenue,
    plan, completion)."""
    rows: list[tuple] = [
        ("card", card.key, card.value, card.change, card.year_change) for card in dash.cards
    ]
    for funnel in dash.funnels:
        code = funnel.channel.code
        rows += [("stage", code, s.code, s.count, s.conversion) for s in funnel.stages]
        rows.append(("funnel", code, funnel.funnel_conversion, funnel.money.revenue))
    rows += [
        ("leader", r.rank, r.manager.username, r.revenue, r.plan, r.completion)
        for r in dash.leaderboard_shown.rows
    ]
    return rows


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    """The dashboard's filters and access (its own view's checks), its summary reads, plain
    rows."""
    views._check_role(request.user, mine=False)
    form = views._filter_form(request, mine=False)
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text())
    filters = filters_for(
        cleaned=form.cleaned_data, viewer=request.user, mine=False, today=views._today()
    )
    return HttpResponse(_TEMPLATE.render({"rows": floor_rows(Dashboard(filters))}, request))


# The floor, then the app's own URLs (what its error pages link to), as they were when the
# bench imported this module.
urlpatterns = [path(FLOOR_PATH.lstrip("/"), floor)]
if settings.ROOT_URLCONF != URLCONF:
    urlpatterns.append(path("", include(settings.ROOT_URLCONF)))


def ratio(page_ms: float | None, floor_ms: float | None) -> float | None:
    """A page's p50 over the floor's p50 of the same run, 2 decimals."""
    if not page_ms or not floor_ms:
        return None
    return round(page_ms / floor_ms, 2)


def ratios(results: dict, scenarios) -> dict:
    """{ratio_<scenario>_full, ratio_<scenario>_first: page p50 / floor p50} of one run."""
    found = {}
    for name in scenarios:
        floor_ms = results.get(f"floor_{name}_p50_ms")
        # The ratio's name → the page's results key after "dash_<scenario>".
        for page, key in (
            ("full", "_full"),
            ("first", ""),
            ("full_computed", "_full_computed"),
            ("first_computed", "_computed"),
        ):
            page_ms = results.get(f"dash_{name}{key}_p50_ms")
            found[f"ratio_{name}_{page}"] = ratio(page_ms, floor_ms)
    return found


def ratio_verdict(key: str, value: float | None) -> str | None:
    """ "1.31× ✓ (≤ 1.5×)" for a ratio key, None for any other key."""
    if not key.startswith("ratio_"):
        return None
    if value is None:
        return "—"
    budget = FULL_BUDGET if "_full" in key else FIRST_BUDGET
    return f"{value}× {'✓' if value <= budget else '✗'} (≤ {budget}×)"
