from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from channels.models import Channel
from teams.models import Team

# Indicators a plan may set besides a channel's own stages and activities.
PLAN_MONEY_CODES = ("revenue", "margin", "payments_count")


class Plan(models.Model):
    """A monthly target for one indicator of one channel, for a manager or for a team."""

    month = models.DateField(_("month"), help_text=_("First day of the month."))
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="plans", verbose_name=_("channel")
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="plans",
        verbose_name=_("manager"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="plans",
        verbose_name=_("team"),
    )
    indicator = models.SlugField(
        _("indicator"),
        max_length=40,
        help_text=_("A stage or activity code of the channel, or revenue, margin, payments_count."),
    )
    value = models.DecimalField(_("plan"), max_digits=14, decimal_places=2)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last changed by"),
    )

    class Meta:
        db_table = "metrics_plan"  # the tables kept their names when plans left metrics
        ordering = ["-month", "channel__display_order", "indicator"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [
            models.CheckConstraint(
                condition=(Q(manager__isnull=False) & Q(team__isnull=True))
                | (Q(manager__isnull=True) & Q(team__isnull=False)),
                name="plan_for_manager_xor_team",
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="plan_not_negative"),
            models.CheckConstraint(condition=Q(month__day=1), name="plan_month_first_day"),
            models.UniqueConstraint(
                fields=["month", "channel", "manager", "indicator"],
                condition=Q(manager__isnull=False),
                name="plan_unique_per_manager",
            ),
            models.UniqueConstraint(
                fields=["month", "channel", "team", "indicator"],
                condition=Q(team__isnull=False),
                name="plan_unique_per_team",
            ),
        ]

    def __str__(self) -> str:
        who = self.manager or self.team
        return f"{self.month:%Y-%m} {who} {self.channel.code}.{self.indicator} = {self.value}"


class PlanChange(models.Model):
    """A change of a plan after its month started (the plan is then frozen): who and why."""

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="changes", verbose_name=_("plan")
    )
    old_value = models.DecimalField(_("old value"), max_digits=14, decimal_places=2, null=True)
    new_value = models.DecimalField(_("new value"), max_digits=14, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=300)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        db_table = "metrics_planchange"  # the tables kept their names when plans left metrics
        ordering = ["-changed_at", "-id"]
        verbose_name = _("plan change")
        verbose_name_plural = _("plan changes")

    def __str__(self) -> str:
        return f"{self.old_value} → {self.new_value}: {self.reason}"


class MonthlyExpense(models.Model):
    """Company expenses and reserves of a month, for the valuable final product."""

    month = models.DateField(_("month"), unique=True, help_text=_("First day of the month."))
    expenses = models.DecimalField(_("expenses"), max_digits=14, decimal_places=2, default=0)
    reserves = models.DecimalField(_("reserves"), max_digits=14, decimal_places=2, default=0)

    class Meta:
        db_table = "metrics_monthlyexpense"  # the tables kept their names when plans left metrics
        ordering = ["-month"]
        verbose_name = _("monthly expenses and reserves")
        verbose_name_plural = _("monthly expenses and reserves")
        constraints = [
            models.CheckConstraint(
                condition=Q(expenses__gte=0) & Q(reserves__gte=0),
                name="expense_not_negative",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="expense_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class Holiday(models.Model):
    """A day off on a weekday, or a weekend day moved to be a working day."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=120, blank=True)
    is_working_day = models.BooleanField(
        _("transferred working day"),
        default=False,
        help_text=_("Tick for a weekend day that is worked (a transferred working day)."),
    )

    class Meta:
        db_table = "metrics_holiday"  # the tables kept their names when plans left metrics
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays and transferred days")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class DepartmentSettings(models.Model):
    """The sales department's switches: one row (pk 1), edited in the admin site."""

    commitments_enabled = models.BooleanField(
        _("morning commitments"),
        default=False,
        help_text=_(
            "Managers commit each morning to today's numbers of their channels' main "
            "indicators; the leaderboard and the one-to-one sheet show how accurate they were."
        ),
    )

    class Meta:
        verbose_name = _("department settings")
        verbose_name_plural = _("department settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="department_settings_single_row"),
        ]

    def __str__(self) -> str:
        return str(_("Department settings"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)


class Commitment(models.Model):
    """A manager's morning promise: this many of one indicator of one channel, today."""

    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="commitments",
        verbose_name=_("manager"),
        db_index=False,  # the unique key leads with it
    )
    date = models.DateField(_("date"))
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="commitments", verbose_name=_("channel")
    )
    code = models.SlugField(_("indicator"), max_length=40, db_index=False)
    value = models.PositiveIntegerField(_("commitment"))
    created_at = models.DateTimeField(_("first entered"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        ordering = ["-date", "manager_id", "channel_id", "code"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        constraints = [
            models.UniqueConstraint(
                fields=["manager", "date", "channel", "code"], name="commitment_one_per_day"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="commitment_not_negative"),
        ]
        indexes = [models.Index(fields=["date"], name="commitment_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.manager} {self.channel.code}.{self.code} = {self.value}"
