"""The what-if planner (/dashboard/plan-it/): a team's or a manager's path from a revenue
target back to each stage, levers to play with, and "use as plan"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dashboards.whatif_read import (
    Who,
    channels_of,
    history_read,
    month_working_days,
    revenue_plans,
    who_choices,
    who_parse,
)
from funnel.values import NUMBER_RE, SPACES, value_parse
from metrics.compute import CENT
from metrics.whatif import (
    CHECK,
    MANAGERS,
    LeverChange,
    Levers,
    best_levers,
    blocker,
    ceil_count,
    forecast,
    lever_changes,
    path,
    split_counts,
    split_money,
)
from plans.services import ReasonRequired, is_frozen, month_parse, plan_set
from teams.scope import can_lead

HUNDRED = Decimal(100)
MAX_PERCENT = Decimal(1000)
MAX_MANAGERS = 1000
MAX_ACTIVITY = Decimal(100000)


def _decimal(raw: str, *, places: str, low: Decimal, high: Decimal) -> Decimal:
    """A typed number ("12,5" as well as "12.5") between `low` and `high`, rounded half-up
    to `places`; ValidationError with a message for the user otherwise."""
    text = raw.strip().translate(SPACES)
    if len(text) > 30 or not NUMBER_RE.fullmatch(text):
        raise ValidationError(_("Enter a number."))
    try:
        number = Decimal(text.replace(",", ".")).quantize(Decimal(places), ROUND_HALF_UP)
    except InvalidOperation:
        raise ValidationError(_("Enter a number.")) from None
    if number < low or number > high:
        raise ValidationError(
            _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}
        )
    return number


def month_read(raw: str | None, today: dt.date) -> dt.date:
    """'YYYY-MM' with a year from 2000 to 2100 (plans.services.month_parse); empty: the
    current month."""
    return month_parse(raw, default=today)


@dataclass
class Input:
    """One lever's input: its name, label, the value shown and the slider's range."""

    name: str
    label: str
    text: str
    history: str
    low: str
    high: str
    step: str
    error: str = ""


@dataclass
class Planner:
    """Everything the page shows for one who × month × channel × levers."""

    who: Who | None
    month: dt.date
    channel: object = None
    channels: list = field(default_factory=list)
    history: object = None
    levers: Levers | None = None
    inputs: list[Input] = field(default_factory=list)
    plan: Decimal | None = None
    target: Decimal | None = None
    target_text: str = ""
    target_error: str = ""
    days: int = 0
    path: object = None
    blocked: str = ""
    rows: list = field(default_factory=list)
    forecast: Decimal | None = None
    changes: list = field(default_factory=list)
    best: list = field(default_factory=list)
    month_error: str = ""
    overview: list = field(default_factory=list)

    @property
    def query(self) -> dict[str, str]:
        """The state as a query string: scope, month, channel, target and levers."""
        result = {"who": self.who.value, "month": f"{self.month:%Y-%m}"} if self.who else {}
        if self.channel is not None:
            result["channel"] = self.channel.code
        if self.target_text:
            result["target"] = self.target_text
        result.update({i.name: i.text for i in self.inputs})
        return result

    @property
    def gap(self) -> Decimal | None:
        if self.forecast is None or self.target is None:
            return None
        return self.target - self.forecast


def _pct(value: Decimal | None) -> str:
    return "" if value is None else f"{value * HUNDRED:.2f}"


def _stage_label(channel, index: int) -> str:
    stages = channel.stage_list
    following = stages[index + 1].name if index + 1 < len(stages) else _("Payments received")
    return f"{stages[index].name} → {following}"


def shown_history(name: str, value: Decimal) -> str:
    return f"{value:.0f}" if name == "managers" else f"{value:.2f}"


def _levers_read(data: QueryDict, planner: Planner) -> Levers:
    """The levers as typed, each falling back to the history's value when absent or wrong
    (the wrong one keeps its text and says why)."""
    base = planner.history.levers
    conversions: list[Decimal | None] = []

    def read(name: str, default, parse):
        raw = data.get(name)
        if raw is None or not raw.strip():
            return default, ""
        try:
            return parse(raw), ""
        except ValidationError as exc:
            return default, exc.messages[0]

    def percent(raw: str) -> Decimal:
        return _decimal(raw, places="0.01", low=Decimal(0), high=MAX_PERCENT) / HUNDRED

    for index, conversion in enumerate(base.conversions):
        value, error = read(f"conv-{index}", conversion, percent)
        conversions.append(value)
        high = max(HUNDRED, Decimal(ceil_count((value or 0) * HUNDRED)))
        planner.inputs.append(
            Input(
                name=f"conv-{index}",
                label=_("Conversion %(stages)s, %%")
                % {"stages": _stage_label(planner.channel, index)},
                text=data.get(f"conv-{index}", "") if error else _pct(value),
                history=_pct(conversion),
                low="0",
                high=str(high),
                step="0.1",
                error=error,
            )
        )

    def money_value(raw: str) -> Decimal:
        number = value_parse(raw, money=True)
        if number is None or number == 0:
            raise ValidationError(_("The average check must be above 0."))
        return number

    check, check_error = read("check", base.average_check, money_value)
    activity, activity_error = read(
        "activity",
        base.activity,
        lambda raw: _decimal(raw, places="0.01", low=Decimal(0), high=MAX_ACTIVITY),
    )
    managers, managers_error = read(
        "managers",
        Decimal(base.managers),
        lambda raw: _decimal(raw, places="1", low=Decimal(1), high=Decimal(MAX_MANAGERS)),
    )
    first = planner.channel.stage_list[0].name if planner.channel.stage_list else ""
    for name, label, value, history, error, step in (
        ("check", _("Average check"), check, base.average_check, check_error, "100"),
        (
            "activity",
            _("%(stage)s per manager per working day") % {"stage": first},
            activity,
            base.activity,
            activity_error,
            "0.1",
        ),
        ("managers", _("Managers"), managers, Decimal(base.managers), managers_error, "1"),
    ):
        shown = "" if value is None else f"{value:.0f}" if name == "managers" else f"{value:.2f}"
        top = max(Decimal(2) * (history or 0), Decimal(2) * (value or 0), Decimal(10))
        planner.inputs.append(
            Input(
                name=name,
                label=label,
                text=data.get(name, "") if error else shown,
                history="" if history is None else shown_history(name, history),
                low="1" if name == "managers" else "0",
                high=f"{top:.0f}",
                step=step,
                error=error,
            )
        )
    return Levers(
        conversions=tuple(conversions),
        average_check=check,
        managers=int(managers),
        activity=activity,
    )


def planner_build(user, data: QueryDict, *, today: dt.date) -> Planner:
    """Read the request's choices and levers, and work the path out."""
    who = who_parse(user, data.get("who"))
    try:
        month = month_read(data.get("month"), today)
        month_error = ""
    except ValidationError as exc:
        month, month_error = today.replace(day=1), exc.messages[0]
    planner = Planner(who=who, month=month, month_error=month_error)
    if who is None:
        return planner
    planner.channels = channels_of(who)
    if not planner.channels:
        return planner
    code = data.get("channel")
    planner.channel = next((c for c in planner.channels if c.code == code), None)
    if planner.channel is None:
        if code:
            raise Http404
        planner.channel = planner.channels[0]
    histories = history_read(who, planner.channels, today=today)
    plans = revenue_plans(who, month)
    planner.days = month_working_days(month)
    planner.overview = [
        _overview(c, histories[c.pk], plans.get(c.pk), planner.days) for c in planner.channels
    ]
    planner.history = histories[planner.channel.pk]
    planner.levers = _levers_read(data, planner)
    planner.plan = plans.get(planner.channel.pk)
    planner.target = planner.plan
    raw_target = data.get("target", "").strip()
    if raw_target:
        try:
            typed = value_parse(raw_target, money=True)
            if not typed:
                raise ValidationError(_("The target must be above 0."))
            planner.target, planner.target_text = typed, raw_target
        except ValidationError as exc:
            planner.target_error, planner.target_text = exc.messages[0], raw_target
    problem = blocker(planner.levers)
    if problem == CHECK:
        planner.blocked = _("Without an average check above 0 no number of payments makes money.")
    elif problem is not None:
        planner.blocked = _(
            "The conversion %(stages)s is not set or is 0 %%: no number of contacts leads "
            "any further. Set it above 0."
        ) % {"stages": _stage_label(planner.channel, problem)}
    if planner.target is None or problem is not None:
        return planner
    planner.path = path(planner.target, planner.levers, planner.days)
    for stage, needed in zip(planner.channel.stage_list, planner.path.stages, strict=True):
        planner.rows.append((stage.code, stage.name, needed, *_counts(planner.path, needed)))
    payments = planner.path.payments
    planner.rows.append(
        ("payments_count", _("Payments received"), payments, *_counts(planner.path, payments))
    )
    planner.forecast = forecast(planner.levers, planner.days)
    planner.changes = [
        _described(c, planner) for c in lever_changes(planner.target, planner.levers, planner.days)
    ]
    planner.best = [
        s for s in planner.changes if s.change in best_levers([s.change for s in planner.changes])
    ]
    return planner


@dataclass(frozen=True)
class Overview:
    """One channel's path from its plan at the history's levers (the page's first table)."""

    channel: object
    plan: Decimal | None
    history: object
    payments: int | None = None
    first: tuple = ()  # the first stage rounded up: in the month, per day, per manager per day
    forecast: Decimal | None = None


def _overview(channel, history, plan: Decimal | None, days: int) -> Overview:
    p = path(plan, history.levers, days) if plan and channel.stage_list else None
    if p is None:
        return Overview(channel, plan, history)
    return Overview(
        channel,
        plan,
        history,
        payments=ceil_count(p.payments),
        first=_counts(p, p.stages[0]),
        forecast=forecast(history.levers, days),
    )


def _counts(p, needed: Decimal) -> tuple[int | None, int | None, int | None]:
    """A needed count rounded up: in the month, per working day, per manager per day."""
    return ceil_count(needed), ceil_count(p.per_day(needed)), ceil_count(p.per_manager_day(needed))


@dataclass(frozen=True)
class Shown:
    """A lever change as the page shows it: `kind` says how to format its values."""

    change: LeverChange
    label: str
    kind: str  # "pct", "money", "count" or "number"
    current: Decimal
    needed: Decimal


def _described(change: LeverChange, planner: Planner) -> Shown:
    """A lever change with its label; the needed value rounded up to what the input takes
    (0.01 %, a kopeck, 0.01 of a contact, a whole manager) so that it does close the gap."""
    if isinstance(change.lever, int):
        label = _("Conversion %(stages)s") % {"stages": _stage_label(planner.channel, change.lever)}
        needed = change.needed.quantize(Decimal("0.0001"), ROUND_CEILING)
        return Shown(change, label, "pct", change.current, needed)
    label = next(i.label for i in planner.inputs if i.name == change.lever)
    kind = {MANAGERS: "count", CHECK: "money"}.get(change.lever, "number")
    places = Decimal(1) if change.lever == MANAGERS else CENT
    return Shown(change, label, kind, change.current, change.needed.quantize(places, ROUND_CEILING))


def _page(request: HttpRequest, planner: Planner, *, use_error: str = "", ask_reason=False):
    today = timezone.localdate()
    teams, managers = who_choices(request.user)
    ctx = {
        "planner": planner,
        "teams": teams,
        "managers": managers,
        "month_value": f"{planner.month:%Y-%m}",
        "frozen": is_frozen(planner.month, today),
        "past": planner.month < today.replace(day=1),
        "use_error": use_error,
        "ask_reason": ask_reason,
        "reason": request.POST.get("reason", "") if request.method == "POST" else "",
    }
    template = "dashboards/plan_it.html"
    if request.htmx and request.method == "GET":
        template += "#results"
    return render(request, template, ctx)


@login_required
def plan_it(request: HttpRequest) -> HttpResponse:
    if not can_lead(request.user):
        raise PermissionDenied
    planner = planner_build(request.user, request.GET, today=timezone.localdate())
    return _page(request, planner)


def plan_writes(planner: Planner) -> list[tuple[object, str, str]]:
    """(manager, indicator, value) for "use as plan": each stage and payments rounded up,
    the revenue target as it is. A team's path is split evenly between its managers in the
    channel: counts ÷ managers rounded up, the target to the kopeck (docs/metrics.md)."""
    people = planner.who.in_channel(planner.channel)
    n = len(people)
    money = split_money(planner.target, n)
    writes = []
    for index, manager in enumerate(people):
        for code, _label, needed, *_rounded in planner.rows:
            writes.append((manager, code, str(split_counts(needed, n))))
        writes.append((manager, "revenue", f"{money[index]:.2f}"))
    return writes


@login_required
@require_POST
def plan_it_use(request: HttpRequest) -> HttpResponse:
    """Write the path as the plans of the month: all of them, or none."""
    if not can_lead(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    planner = planner_build(request.user, request.POST, today=today)
    error = planner.month_error or planner.target_error
    if not error and any(i.error for i in planner.inputs):
        error = _("Correct the levers marked above first.")
    if not error and (planner.who is None or planner.channel is None):
        error = _("There is nobody to plan for.")
    elif not error and planner.month < today.replace(day=1):
        error = _("The month is over: its plans are not changed from here.")
    elif not error and planner.path is None:
        error = planner.blocked or _("Set a revenue target first.")
    elif not error and not planner.who.in_channel(planner.channel):
        error = _("Nobody in this team works in the channel.")
    if error:
        return _page(request, planner, use_error=error)
    try:
        with transaction.atomic():
            for manager, code, value in plan_writes(planner):
                plan_set(
                    month=planner.month,
                    manager=manager,
                    channel=planner.channel,
                    indicator=code,
                    raw_value=value,
                    reason=request.POST.get("reason", ""),
                    by=request.user,
                    today=today,
                )
    except ValidationError as exc:
        return _page(
            request,
            planner,
            use_error=exc.messages[0],
            ask_reason=isinstance(exc, ReasonRequired),
        )
    messages.success(
        request,
        _("The path is now the %(month)s plan of %(who)s in %(channel)s.")
        % {
            "month": date_format(planner.month, "YEAR_MONTH_FORMAT"),
            "who": planner.who.name,
            "channel": planner.channel.name,
        },
    )
    query = {"month": f"{planner.month:%Y-%m}"}
    team = planner.who.team or planner.who.manager.team
    if team is not None:
        query["team"] = team.pk
    return redirect(f"{reverse('metrics:plans')}?{urlencode(query)}")
