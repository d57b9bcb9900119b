"""Morning mails: a reminder to each manager whose last report is missing, a digest to heads.

Run once a working morning (cron, `send_reminders`). The report day is the last working day
before the run date. Each mail is logged in ReminderLog (recipient, kind, report day) before
it is sent, in one transaction: a second run the same morning sends nothing twice, and a
failed send is rolled back so that the next run tries again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dashboards.discipline import Status, discipline_read
from dashboards.models import ReminderLog
from dashboards.norms import norms_read
from metrics import compute
from metrics.compute import ZERO, MoneySums, forecast, is_working_day, month_bounds, ratio
from metrics.plan_selectors import manager_plan_values
from metrics.reports import build_report
from metrics.selectors import Scope, count_sums, money_sums, working_day_overrides
from teams.models import Team, User
from teams.scope import managers_visible_to, teams_visible_to


@dataclass(frozen=True)
class SendResult:
    reminders: int = 0
    digests: int = 0
    report_day: dt.date | None = None
    day_off: bool = False


@dataclass
class DigestLine:
    indicator: object | None  # None: payments received; names are rendered in the mail's language
    fact: int
    norm: int | None  # the day's norm; None without a plan or usable history


@dataclass
class DigestManager:
    manager: User
    status: Status | None
    channels: list[tuple] = field(default_factory=list)  # [(Channel, [DigestLine])]
    revenue_day: Decimal = ZERO
    revenue_month: Decimal = ZERO
    revenue_plan: Decimal | None = None
    forecast: Decimal | None = None
    behind: bool = False


@dataclass
class DigestTeam:
    team: object
    revenue: Decimal = ZERO
    plan: Decimal | None = None
    forecast: Decimal | None = None

    @property
    def completion_forecast(self) -> Decimal | None:
        return (
            None if self.plan is None or self.forecast is None else ratio(self.forecast, self.plan)
        )


def _language(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def _site(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


class Messenger(Protocol):
    """Another way to reach a person besides e-mail; the Telegram bot registers one in
    MESSENGERS. `reaches`: the person is linked and chose it; `replaces_email`: they chose it
    alone; `send`: deliver the plain text (raises when it could not)."""

    def reaches(self, user: User) -> bool: ...

    def replaces_email(self, user: User) -> bool: ...

    def send(self, user: User, text: str) -> None: ...


MESSENGERS: list[Messenger] = []


def _routes(user: User) -> tuple[list[Messenger], bool]:
    """The messengers that reach `user`, and whether the mail goes too."""
    messengers = [m for m in MESSENGERS if m.reaches(user)]
    email = bool(user.email) and not any(m.replaces_email(user) for m in messengers)
    return messengers, email


def _send_once(*, user: User, kind: str, day: dt.date, build) -> bool:
    """Log (user, kind, day) first and send only if the row is new; False if already sent
    or the person cannot be reached. Every way the person chose gets the message; one that
    fails rolls the log back, so the next run tries again."""
    messengers, email = _routes(user)
    if not messengers and not email:
        return False
    with transaction.atomic():
        _log, created = ReminderLog.objects.get_or_create(user=user, kind=kind, day=day)
        if not created:
            return False
        with translation.override(_language(user)):
            subject, text, html = build()
        for messenger in messengers:
            messenger.send(user, f"{subject}\n\n{text}")
        if email:
            message = EmailMultiAlternatives(subject, text, to=[user.email])
            message.attach_alternative(html, "text/html")
            message.send()
    return True


def _render(name: str, ctx: dict) -> tuple[str, str]:
    return (
        render_to_string(f"dashboards/email/{name}.txt", ctx),
        render_to_string(f"dashboards/email/{name}.html", ctx),
    )


def _digest_data(*, managers: list[User], day: dt.date, overrides) -> dict[int, DigestManager]:
    """Figures of `day` against its norms and the month's pace, per manager (fixed queries)."""
    norms = norms_read(managers=managers, today=day)
    scope_day = Scope(day, day, managers=User.objects.filter(pk__in=[m.pk for m in managers]))
    day_counts = count_sums(scope_day, group_by=("manager", "channel"))
    day_money = money_sums(scope_day, group_by=("manager", "channel"))
    month, month_end = month_bounds(day)
    month_money = money_sums(Scope(month, day, managers=scope_day.managers), group_by=("manager",))
    revenue_plans: dict[int, Decimal] = defaultdict(Decimal)
    for (manager_id, *_line), value in manager_plan_values(
        months=[month], managers=scope_day.managers, indicator="revenue"
    ).items():
        revenue_plans[manager_id] += value
    result = {}
    for manager in managers:
        entry = DigestManager(manager=manager, status=None)
        for channel, channel_norms in norms[manager.pk].channels:
            daily = {n.code: n.daily for n in (*channel_norms.stages, *channel_norms.activities)}
            lines = [
                DigestLine(
                    indicator=indicator,
                    fact=day_counts.get((manager.pk, channel.pk, indicator.pk), 0),
                    norm=daily.get(indicator.code),
                )
                for indicator in (*channel.stage_list, *channel.activity_list)
                if indicator.is_stage or indicator.code in daily
            ]
            sums = day_money.get((manager.pk, channel.pk), MoneySums())
            lines.append(
                DigestLine(
                    indicator=None,
                    fact=sums.payments_count,
                    norm=channel_norms.payments.daily if channel_norms.payments else None,
                )
            )
            entry.channels.append((channel, lines))
            entry.revenue_day += sums.revenue
        entry.revenue_month = month_money.get((manager.pk,), MoneySums()).revenue
        entry.revenue_plan = revenue_plans.get(manager.pk)
        # The month's facts up to `day` included: a forecast as of the end of `day`.
        entry.forecast = forecast(
            entry.revenue_month,
            month=month,
            as_of=day + dt.timedelta(days=1),
            overrides=overrides,
        )
        entry.behind = (
            entry.revenue_plan is not None
            and entry.forecast is not None
            and entry.forecast < entry.revenue_plan
        )
        result[manager.pk] = entry
    return result


def reminders_send(*, today: dt.date) -> SendResult:
    """Send the morning's reminders and digests; returns how many of each went out."""
    overrides = working_day_overrides(today - dt.timedelta(days=compute.LOOKBACK_DAYS + 31), today)
    if not is_working_day(today, overrides):
        return SendResult(day_off=True)
    day = compute.last_working_day_before(today, overrides)
    if day is None:
        return SendResult()
    active = User.objects.filter(role=User.Role.MANAGER, is_active=True)
    report = discipline_read(managers=active, date_from=day, date_to=day, today=today)
    statuses = {m.manager.pk: m.last_day for m in report.managers}
    managers = [m.manager for m in report.managers]

    reminders = 0
    for manager in report.not_reported:

        def build(manager=manager):
            ctx = {"user": manager, "day": day, "url": _site(reverse("funnel:day"))}
            subject = _("Your report for %(day)s is missing") % {
                "day": date_format(day, "DATE_FORMAT")
            }
            return (subject, *_render("reminder", ctx))

        reminders += _send_once(user=manager, kind=ReminderLog.Kind.REMINDER, day=day, build=build)

    digests = 0
    recipients = User.objects.filter(role__in=(User.Role.HEAD, User.Role.DIRECTOR), is_active=True)
    data = None
    team_cache: dict[int, DigestTeam] = {}
    for recipient in recipients:
        visible = set(managers_visible_to(recipient).values_list("pk", flat=True))
        if not visible:
            continue
        if data is None:
            data = _digest_data(managers=managers, day=day, overrides=overrides)
        rows = [data[m.pk] for m in managers if m.pk in visible]
        for row in rows:
            row.status = statuses.get(row.manager.pk)
        teams = _teams(recipient, day, team_cache)

        def build(recipient=recipient, rows=rows, teams=teams):
            ctx = {
                "user": recipient,
                "day": day,
                "month": month_bounds(day)[0],
                "rows": rows,
                "teams": teams,
                "missing": [r.manager for r in rows if r.status == Status.MISSING],
                "behind": [r for r in rows if r.behind],
                "url": _site(reverse("metrics:dashboard")),
            }
            subject = _("Morning digest for %(day)s") % {"day": date_format(day, "DATE_FORMAT")}
            return (subject, *_render("digest", ctx))

        digests += _send_once(user=recipient, kind=ReminderLog.Kind.DIGEST, day=day, build=build)
    return SendResult(reminders=reminders, digests=digests, report_day=day)


def _teams(recipient: User, day: dt.date, cache: dict[int, DigestTeam]) -> list[DigestTeam]:
    """The recipient's teams this month as the dashboard counts them: the facts of the days
    their people were in them (docs/metrics.md, "Who counts where"), the team's plan and
    the month-end forecast as of the end of `day`. Each team is computed once per run."""
    first, last = month_bounds(day)
    result = []
    for team in teams_visible_to(recipient):
        entry = cache.get(team.pk)
        if entry is None:
            scope = Scope(first, last, teams=Team.objects.filter(pk=team.pk).values("pk"))
            report = build_report(scope=scope, as_of=day + dt.timedelta(days=1))
            line = next((p for p in report.total.plans if p.indicator == "revenue"), None)
            entry = cache[team.pk] = DigestTeam(
                team=team,
                revenue=report.total.money.revenue,
                plan=line.plan if line else None,
                forecast=line.forecast if line else None,
            )
        if entry.plan is not None or entry.revenue:
            result.append(entry)
    return result
