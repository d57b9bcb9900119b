"""The one-to-one sheet: one manager's week or month on one printable page for the weekly
meeting — plan against fact with pace, the top leak, conversions against the team, the
trend and the history of corrections."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from dashboards.dashboard import Dashboard, filters_for
from dashboards.forms import DashboardFilterForm
from dashboards.labels import range_label
from dashboards.panels.leaks import LeakRow
from funnel.models import MONEY_LABELS, FactChange
from metrics import compute
from teams.models import User
from teams.scope import can_lead, people_visible_to

# What a weekly meeting looks back on; "this_month" is the default month view.
PERIODS = {
    "last_week": _("Last week"),
    "this_week": _("This week"),
    "this_month": _("This month"),
    "last_month": _("Last month"),
}
CORRECTIONS_SHOWN = 12  # the latest; the day history has them all


@dataclass(frozen=True)
class StageAgainstTeam:
    name: str
    count: int
    conversion: Decimal | None
    previous: int | None
    team_conversion: Decimal | None

    @property
    def gap(self) -> Decimal | None:
        """Points against the team: own − team."""
        if self.conversion is None or self.team_conversion is None:
            return None
        return self.conversion - self.team_conversion


def _dashboards(request: HttpRequest, manager: User, period: str) -> tuple[Dashboard, Dashboard]:
    """The manager's own numbers and their team's, as the head's dashboard reads them."""
    today = timezone.localdate()
    data = {"period": period, "manager": str(manager.pk)}
    form = DashboardFilterForm(data, user=request.user, mine=False, today=today)
    if not form.is_valid():
        raise Http404
    own = Dashboard(
        filters_for(cleaned=form.cleaned_data, viewer=request.user, mine=False, today=today)
    )
    team_data = {"period": period}
    if manager.team_id and form.fields["team"].queryset.filter(pk=manager.team_id).exists():
        team_data["team"] = str(manager.team_id)
    team_form = DashboardFilterForm(team_data, user=request.user, mine=False, today=today)
    team_form.is_valid()
    team = Dashboard(
        filters_for(cleaned=team_form.cleaned_data, viewer=request.user, mine=False, today=today)
    )
    return own, team


def _against_team(own: Dashboard, team: Dashboard, manager: User) -> list[tuple]:
    """Per channel: (channel, [StageAgainstTeam]) for the channels the manager has counts in."""
    team_blocks = {block.channel.pk: block for block in team.conversion_blocks}
    result = []
    for block in own.conversion_blocks:
        row = next((r for r in block.rows if r.manager.pk == manager.pk), None)
        if row is None:
            continue
        theirs = team_blocks.get(block.channel.pk)
        team_cells = theirs.total.cells if theirs else [None] * len(row.cells)
        stages = [
            StageAgainstTeam(
                name,
                cell.count,
                cell.conversion,
                cell.previous,
                team_cell.conversion if team_cell else None,
            )
            for name, cell, team_cell in zip(block.stage_names, row.cells, team_cells, strict=True)
        ]
        result.append((block.channel, stages))
    return result


def _top_leak(team: Dashboard, manager: User) -> LeakRow | None:
    """The manager's largest reliable leak, priced against their team."""
    for row in team.leaks:
        if row.manager.pk == manager.pk and not row.leak.small_sample:
            return row
    return None


def _trend(dash: Dashboard) -> list[tuple[str, Decimal]]:
    """Revenue by day for a week, by week for a month: a short table that prints."""
    buckets = dash.trend.buckets
    per_bucket = [Decimal(0)] * len(buckets)
    for series in dash.trend.series:
        per_bucket = [a + b for a, b in zip(per_bucket, series.revenue, strict=True)]
    rows: list[tuple[str, Decimal]] = []
    if len(buckets) <= 8:
        return [(b.label, compute.money(v)) for b, v in zip(buckets, per_bucket, strict=True)]
    weeks: dict[tuple, list] = {}
    for bucket, value in zip(buckets, per_bucket, strict=True):
        found = weeks.setdefault(bucket.start.isocalendar()[:2], [bucket.start, bucket.end, 0])
        found[1], found[2] = bucket.end, found[2] + value
    for start, end, value in weeks.values():
        rows.append((range_label(start, end), compute.money(value)))
    return rows


@login_required
def one_to_one(request: HttpRequest, manager: int) -> HttpResponse:
    """A head's sheet for one manager of their teams (a 404 for anyone else's)."""
    if not can_lead(request.user):
        raise PermissionDenied
    person = people_visible_to(request.user).filter(pk=manager).first()
    if person is None:
        raise Http404
    period = request.GET.get("period") or "last_week"
    if period not in PERIODS:
        period = "last_week"
    own, team = _dashboards(request, person, period)
    # A correction changes a value entered before: not the first change of its value.
    earlier = FactChange.objects.filter(
        fact=OuterRef("fact"), code=OuterRef("code"), pk__lt=OuterRef("pk")
    )
    corrections = list(
        FactChange.objects.filter(
            Exists(earlier),
            fact__manager=person,
            fact__date__range=(own.f.date_from, own.f.date_to),
        )
        .select_related("fact__channel", "changed_by")
        .order_by("-changed_at", "-pk")[:CORRECTIONS_SHOWN]
    )
    names = {str(code): str(label) for code, label in MONEY_LABELS.items()}
    for channel in own.channels_all:
        names |= {i.code: i.name for i in (*channel.stage_list, *channel.activity_list)}
    for change in corrections:
        change.indicator_name = names.get(change.code, change.code)
    ctx = {
        "person": person,
        "dash": own,
        "team_dash": team,
        "period": period,
        "periods": [(key, label, urlencode({"period": key})) for key, label in PERIODS.items()],
        "against_team": _against_team(own, team, person),
        "top_leak": _top_leak(team, person),
        "corrections": corrections,
        "board_row": next((r for r in own.leaderboard if r.manager.pk == person.pk), None),
        "printed": timezone.localtime(),
        "revenue_trend": _trend(own),
    }
    return render(request, "dashboards/one_to_one.html", ctx)
