"""Plan page (grid of managers × indicators per channel), its cells, norms and discipline."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from channels import inputs
from channels.models import Channel
from dashboards.discipline import default_period, discipline_read
from dashboards.norms import norms_read
from dashboards.plan_checks import UnusualPlan, plan_check
from metrics.compute import is_working_day
from metrics.plan_selectors import plan_of, plans_for_grid
from metrics.selectors import channel_catalogue, working_day_overrides
from plans.commitments import commitments_enabled
from plans.models import Plan, PlanChange
from plans.services import (
    MONEY_PLAN_CODES,
    ReasonRequired,
    is_frozen,
    month_parse,
    plan_set,
    plans_copy_previous,
)
from teams.membership import members_ever
from teams.models import Team, User
from teams.scope import (
    can_lead,
    days_visible_to,
    managers_visible_to,
    people_visible_to,
    teams_visible_to,
)

MONEY_COLUMNS = {
    "revenue": gettext_lazy("Revenue"),
    "margin": gettext_lazy("Margin"),
    "payments_count": gettext_lazy("Payments (count)"),
}


@dataclass
class Column:
    code: str
    label: str
    kind: str  # "money" or "count"


@dataclass
class Cell:
    manager: User
    channel_code: str
    code: str
    label: str
    kind: str
    text: str = ""  # what the input shows
    plan: Plan | None = None
    changes: list[PlanChange] = field(default_factory=list)
    row: int = 0
    col: int = 0
    error: str = ""
    ask_reason: bool = False
    saved: bool = False
    unusual: bool = False  # far above the manager's best month (dashboards.plan_checks)
    confirmed: bool = False  # "Save anyway" was pressed: kept while a reason is asked

    @property
    def dom_id(self) -> str:
        return f"plan-{self.manager.pk}-{self.channel_code}-{self.code}"

    @property
    def changes_title(self) -> str:
        """The changes after the month started, one a line, for the mark's tooltip."""
        return "\n".join(
            f"{date_format(timezone.localtime(c.changed_at), 'SHORT_DATETIME_FORMAT')} "
            f"{c.changed_by.display_name if c.changed_by else ''}: "
            f"{'—' if c.old_value is None else c.old_value} → {c.new_value} ({c.reason})"
            for c in self.changes
        )


@dataclass
class Block:
    team: Team | None
    rows: list[tuple[User, list[Cell]]]
    totals: list[tuple[Column, Decimal | None]]


@dataclass
class ChannelTable:
    channel: object
    columns: list[Column]
    blocks: list[Block]


def _value_text(value: Decimal | None, kind: str) -> str:
    if value is None:
        return ""
    return f"{value:.2f}" if kind == "money" else str(int(value))


def _columns(channel) -> list[Column]:
    return [
        *(Column(i.code, i.name, "count") for i in (*channel.stage_list, *channel.activity_list)),
        *(
            Column(code, str(label), "money" if code in MONEY_PLAN_CODES else "count")
            for code, label in MONEY_COLUMNS.items()
        ),
    ]


def _managers_in_scope(user: User, team: Team | None) -> QuerySet[User]:
    managers = managers_visible_to(user)
    return managers.filter(team=team) if team else managers


def _team_param(user: User, raw: str | None) -> Team | None:
    if not raw:
        return None
    pk = inputs.id_parse(raw)
    team = teams_visible_to(user).filter(pk=pk).first() if pk is not None else None
    if team is None:
        raise Http404
    return team


def _person_param(people: QuerySet[User], raw: str | None) -> User:
    pk = inputs.id_parse(raw)
    person = people.filter(pk=pk).first() if pk is not None else None
    if person is None:
        raise Http404
    return person


def _manager_param(user: User, raw: str | None) -> User:
    return _person_param(managers_visible_to(user), raw)


def _plan_grid(
    *, managers: QuerySet[User], month: dt.date, override: Cell | None = None
) -> tuple[list[ChannelTable], list[PlanChange], list[User]]:
    """Every channel's table of plans for the month; one block per team. Five queries."""
    people = list(
        managers.select_related("team")
        .prefetch_related("channels")
        .order_by("team__name", "full_name", "username")
    )
    catalogue = channel_catalogue()
    plans = plans_for_grid(month=month, managers=[m.pk for m in people])
    tables = []
    for channel in catalogue:
        columns = _columns(channel)
        by_team: dict[int | None, list[User]] = defaultdict(list)
        for person in people:
            if any(c.pk == channel.pk for c in person.channels.all()):
                by_team[person.team_id].append(person)
        blocks, row_index = [], 0
        for members in by_team.values():
            rows = []
            totals: list[Decimal | None] = [None] * len(columns)
            for person in members:
                cells = []
                for col, column in enumerate(columns):
                    plan = plans.get((person.pk, channel.pk, column.code))
                    cell = Cell(
                        manager=person,
                        channel_code=channel.code,
                        code=column.code,
                        label=column.label,
                        kind=column.kind,
                        text=_value_text(plan.value if plan else None, column.kind),
                        plan=plan,
                        changes=list(plan.changes.all()) if plan else [],
                        row=row_index,
                        col=col,
                    )
                    if override and override.dom_id == cell.dom_id:
                        cell.text, cell.error = override.text, override.error
                        cell.ask_reason = override.ask_reason
                    if plan:
                        totals[col] = (totals[col] or Decimal(0)) + plan.value
                    cells.append(cell)
                rows.append((person, cells))
                row_index += 1
            blocks.append(
                Block(
                    team=members[0].team,
                    rows=rows,
                    totals=list(zip(columns, totals, strict=True)),
                )
            )
        if blocks:
            tables.append(ChannelTable(channel=channel, columns=columns, blocks=blocks))
    labels = {
        (channel.pk, column.code): column for channel in catalogue for column in _columns(channel)
    }
    history = sorted(
        (change for plan in plans.values() for change in plan.changes.all()),
        key=lambda c: (c.changed_at, c.pk),
        reverse=True,
    )
    for change in history:
        column = labels.get((change.plan.channel_id, change.plan.indicator))
        kind = column.kind if column else "money"
        change.indicator_label = column.label if column else change.plan.indicator
        change.old_text = _value_text(change.old_value, kind) or "—"
        change.new_text = _value_text(change.new_value, kind)
    return tables, history, people


def _plans_url(month: dt.date, team: Team | None) -> str:
    query = {"month": f"{month:%Y-%m}"}
    if team:
        query["team"] = team.pk
    return f"{reverse('metrics:plans')}?{urlencode(query)}"


def _render_plans(
    request: HttpRequest,
    *,
    month: dt.date,
    team: Team | None,
    error: str = "",
    override: Cell | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    tables, history, people = _plan_grid(
        managers=_managers_in_scope(request.user, team), month=month, override=override
    )
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    following = (month + dt.timedelta(days=32)).replace(day=1)
    ctx = {
        "month": month,
        "month_value": f"{month:%Y-%m}",
        "previous": f"{previous:%Y-%m}",
        "following": f"{following:%Y-%m}",
        "previous_month": previous,
        "frozen": is_frozen(month, today),
        "is_current": month == today.replace(day=1),
        "team": team,
        "teams": list(teams_visible_to(request.user)),
        "tables": tables,
        "history": history,
        "people": people,
        "month_error": error,
    }
    return render(request, "dashboards/plans.html", ctx)


@login_required
def plans(request: HttpRequest) -> HttpResponse:
    if not can_lead(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    team = _team_param(request.user, request.GET.get("team"))
    error = ""
    try:
        month = month_parse(request.GET.get("month"), default=today)
    except ValidationError as exc:
        month, error = today.replace(day=1), exc.messages[0]
    return _render_plans(request, month=month, team=team, error=error)


@login_required
@require_http_methods(["GET", "POST"])
def plan_cell(request: HttpRequest) -> HttpResponse:
    """One cell of the grid: GET shows it as stored, POST saves it (inline errors, 200)."""
    if not can_lead(request.user):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    manager = _manager_param(request.user, data.get("manager"))
    today = timezone.localdate()
    code = data.get("indicator", "")[:40]
    channel = next((c for c in channel_catalogue() if c.code == data.get("channel")), None)
    column = next((c for c in _columns(channel) if c.code == code), None) if channel else None
    cell = Cell(
        manager=manager,
        channel_code=data.get("channel", "")[:40],
        code=code,
        label=column.label if column else code,
        kind=column.kind if column else "count",
        text=data.get("value", "")[:40],
        # The column, which the live sum of the team's total reads.
        col=_columns(channel).index(column) if column else 0,
    )
    month = None
    try:
        # The grid always sends its month; a missing one is as bad as a malformed one.
        month = month_parse(data.get("month") or "?", default=today)
        if channel is None:
            raise ValidationError(
                _("%(manager)s does not work in the channel %(channel)s.")
                % {"manager": manager.display_name, "channel": cell.channel_code}
            )
        if request.method == "POST":
            cell.confirmed = data.get("confirm_unusual") == "1"
            plan_check(month=month, manager=manager, channel=channel, indicator=code,
                       raw=data.get("value", ""), confirm=cell.confirmed)  # fmt: skip
            result = plan_set(
                month=month,
                manager=manager,
                channel=channel,
                indicator=code,
                raw_value=data.get("value", ""),
                reason=data.get("reason", ""),
                by=request.user,
                today=today,
            )
            cell.saved = True
        else:
            result = None
        plan = (
            result.plan
            if result
            else plan_of(month=month, manager=manager, channel=channel, indicator=code)
        )
        cell.plan, cell.text = plan, _value_text(plan.value if plan else None, cell.kind)
        cell.changes = list(plan.changes.select_related("changed_by")) if plan else []
    except ValidationError as exc:
        cell.error = exc.messages[0]
        cell.ask_reason, cell.unusual = (
            isinstance(exc, ReasonRequired),
            isinstance(exc, UnusualPlan),
        )
    if not request.htmx:
        team_raw = data.get("team")
        team = _team_param(request.user, team_raw) if team_raw else None
        if month is None:
            messages.error(request, cell.error)
            return redirect(reverse("metrics:plans"))
        if cell.error:
            return _render_plans(request, month=month, team=team, override=cell)
        if request.method == "POST":
            messages.success(request, _("Plan saved."))
        return redirect(_plans_url(month, team))
    ctx = {
        "cell": cell,
        "month_value": f"{month:%Y-%m}" if month else data.get("month", ""),
        "team": _team_param(request.user, data.get("team")),
        "grid_state": "error" if cell.error else "saved" if cell.saved else "",
        "oob": True,
    }
    if cell.saved and not cell.error:
        ctx["table"], ctx["block"] = _team_block(request.user, manager, channel, month)
    return render(request, "dashboards/plans.html#cell-answer", ctx)


def _team_block(user: User, manager: User, channel, month: dt.date) -> tuple[ChannelTable, Block]:
    """The block of the manager's team in the channel's table, as the page shows it."""
    members = managers_visible_to(user).filter(team=manager.team_id)
    tables, _history, _people = _plan_grid(managers=members, month=month)
    table = next(t for t in tables if t.channel.pk == channel.pk)
    return table, table.blocks[0]


@login_required
@require_POST
def plan_copy(request: HttpRequest) -> HttpResponse:
    """Fill this month's empty cells from last month's plans; never overwrites."""
    if not can_lead(request.user):
        raise PermissionDenied
    team = _team_param(request.user, request.POST.get("team"))
    today = timezone.localdate()
    try:
        month = month_parse(request.POST.get("month"), default=today)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect(reverse("metrics:plans"))
    try:
        managers = list(_managers_in_scope(request.user, team))
        result = plans_copy_previous(
            month=month,
            managers=managers,
            by=request.user,
            today=today,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect(_plans_url(month, team))
    messages.success(
        request,
        _("Copied %(created)d plan(s) from last month; %(kept)d already set were kept.")
        % {"created": result.created, "kept": result.kept},
    )
    return redirect(_plans_url(month, team))


@login_required
def norms(request: HttpRequest) -> HttpResponse:
    """Today's norms of one manager: the manager's own, or ?manager=<id> for a head."""
    user = request.user
    raw = request.GET.get("manager")
    if raw:
        manager = _manager_param(user, raw)
    elif user.is_manager:
        manager = user
    elif can_lead(user):
        manager = None
    else:
        raise PermissionDenied
    today = timezone.localdate()
    try:
        day = _date_param(request.GET.get("date")) or today
    except ValidationError as error:
        return HttpResponse(error.messages[0], status=400, content_type="text/plain; charset=utf-8")
    # Norms are daily needs of the working days left: none for a past day, a weekend or a
    # holiday (the day form asks for the day it shows).
    no_norm = ""
    if day < today:
        no_norm = "past"
    elif not is_working_day(day, working_day_overrides(day, day)):
        no_norm = "day_off"
    result = None
    if manager and not no_norm:
        result = norms_read(managers=[manager], today=today)[manager.pk]
    ctx = {
        "norms": result,
        "manager": manager,
        "today": today,
        "day": day,
        "no_norm": no_norm,
        "is_self": manager == user,
        # The day form of today links the morning commitments while they are switched on.
        "commit_link": manager is not None and day == today and commitments_enabled(),
    }
    template = "dashboards/_norms.html" if request.htmx else "dashboards/plans_norms.html"
    return render(request, template, ctx)


def _date_param(raw: str | None) -> dt.date | None:
    return inputs.date_parse(raw) if raw else None


@login_required
def discipline(request: HttpRequest) -> HttpResponse:
    """Who reports, on time: completeness per manager and team, and who has not reported."""
    if not can_lead(request.user):
        raise PermissionDenied
    team = _team_param(request.user, request.GET.get("team"))
    people = people_visible_to(request.user)
    manager = None
    if request.GET.get("manager"):
        manager = _person_param(people, request.GET.get("manager"))
    channel = None
    if request.GET.get("channel"):
        raw = request.GET["channel"]
        pk = inputs.id_parse(raw)
        channel = Channel.objects.filter(pk=pk).first() if pk is not None else None
        if channel is None:
            raise Http404
    today = timezone.localdate()
    date_from, date_to = default_period(today)
    error = ""
    try:
        date_from = _date_param(request.GET.get("from")) or date_from
        date_to = _date_param(request.GET.get("to")) or date_to
        if date_from > date_to:
            raise ValidationError(_("The start date is after the end date."))
        if (date_to - date_from).days > 366:
            raise ValidationError(_("Choose a period of at most a year."))
    except ValidationError as exc:
        error = exc.messages[0]
        date_from, date_to = default_period(today)
    # The dashboard's filters: a team's or a head's people on their days in those teams.
    team_ids = None
    if team is not None:
        team_ids = {team.pk}
    elif not request.user.sees_everything:
        team_ids = set(request.user.led_teams.values_list("pk", flat=True))
    if manager is not None:
        people = people.filter(pk=manager.pk)
        if team is None:
            days = days_visible_to(request.user, manager)
            team_ids = None if days is None else set(days.values_list("pk", flat=True))
    elif team_ids is not None:
        people = people.filter(members_ever(team_ids))
    report = discipline_read(
        managers=people,
        date_from=date_from,
        date_to=date_to,
        today=today,
        team_ids=team_ids,
        channel_id=channel.pk if channel else None,
    )
    ctx = {"report": report, "team": team, "manager": manager, "channel": channel, "error": error}
    template = "dashboards/plans_discipline.html"
    if request.htmx:
        template += "#discipline"
    return render(request, template, ctx)
