"""The summary tables: the daily facts summed per team, day and month (DailyTotal,
MonthTotal) and per manager and bucket of time (ManagerTotal). Registered through
funnel.models; kept by the rest of this package."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from channels.models import Channel


class TeamTotal(models.Model):
    """A maintained sum of the facts of one period, channel and code, per team and overall.

    Kept exactly equal to the facts by funnel.summaries (see its docstring).
    `team_key` is the team of the facts (their manager's team on that day), NO_TEAM (0) for
    facts of days in no team, or ALL_TEAMS (-1) for every fact. `value` is an integer:
    counts as they are, money amounts in hundredths.
    """

    NO_TEAM = 0
    ALL_TEAMS = -1

    # The key doubles as the index of every read: team_key = ALL_TEAMS for unfiltered views,
    # team_key IN (...) for team views, each followed by a date range.
    pk = models.CompositePrimaryKey("team_key", "date", "channel", "code")
    team_key = models.BigIntegerField(_("team"))
    date = models.DateField(_("date"))
    channel = models.ForeignKey(
        Channel,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("channel"),
        db_index=False,  # only a channel's deletion would use it; every upsert would pay
    )
    code = models.CharField(_("indicator"), max_length=40)
    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        abstract = True


class DailyTotal(TeamTotal):
    """The facts summed per day (see TeamTotal)."""

    class Meta:
        verbose_name = _("daily total")
        verbose_name_plural = _("daily totals")
        indexes = [
            # Date ranges across all teams at once (a comparison of teams) without walking
            # every team's whole history in the key above.
            models.Index(fields=["date", "team_key"], name="total_date_team"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.team_key} {self.code} = {self.value}"


class MonthTotal(TeamTotal):
    """The daily totals summed per calendar month (`date` is the month's first day): a year
    read from here is 12 rows per key instead of 365."""

    date = models.DateField(_("month"))

    class Meta:
        verbose_name = _("monthly total")
        verbose_name_plural = _("monthly totals")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m} {self.team_key} {self.code} = {self.value}"


class ManagerTotal(models.Model):
    """Maintained per-manager sums of the funnel stages and the money block, per bucket.

    Kept exactly equal to the facts by funnel.summaries (see its docstring). One row per
    (period, start, manager, channel, team_key) — the team of the facts, as in TeamTotal, so
    that a team's view takes only the days its members were in it: `period` is a day, the
    part of a half-week (Monday to Wednesday, Thursday to Sunday) or of a week inside one
    month, or a month, starting on `start`; `stage_1` … `stage_6` are the channel's stages by their
    position in the funnel; money is in hundredths. Activities are not kept here.
    """

    class Period(models.IntegerChoices):
        DAY = 1, _("day")
        WEEK = 2, _("week within a month")
        MONTH = 3, _("month")
        HALF_WEEK = 4, _("half of a week within a month")  # Monday–Wednesday, Thursday–Sunday

    # Reads take every manager's rows of a few buckets: the key leads with the bucket.
    pk = models.CompositePrimaryKey("period", "start", "manager", "channel", "team_key")
    period = models.PositiveSmallIntegerField(_("period"), choices=Period.choices)
    start = models.DateField(_("start"))
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("manager"),
        db_index=False,  # manager_total_manager below
    )
    channel = models.ForeignKey(
        Channel,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("channel"),
        db_index=False,  # only a channel's deletion would use it; every upsert would pay
    )
    team_key = models.BigIntegerField(_("team"), default=0)
    stage_1 = models.BigIntegerField(default=0)
    stage_2 = models.BigIntegerField(default=0)
    stage_3 = models.BigIntegerField(default=0)
    stage_4 = models.BigIntegerField(default=0)
    stage_5 = models.BigIntegerField(default=0)
    stage_6 = models.BigIntegerField(default=0)
    invoiced_amount = models.BigIntegerField(default=0)
    payments_count = models.BigIntegerField(default=0)
    revenue = models.BigIntegerField(default=0)
    variable_costs = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("manager total")
        verbose_name_plural = _("manager totals")
        indexes = [
            # One manager's or one team's buckets (a manager's page, a team view).
            models.Index(fields=["manager", "period", "start"], name="manager_total_manager"),
        ]

    def __str__(self) -> str:
        return f"{self.get_period_display()} {self.start} {self.manager_id} {self.channel_id}"
