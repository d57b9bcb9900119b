import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from channels.models import Channel, TranslatedName
from funnel.decisions import ReviewDecision  # noqa: F401  (registered with the app)

# The summary tables live with the code that keeps them (funnel.summaries), imported here so
# that the app registers them and every `from funnel.models import …` goes on working.
from funnel.summaries.models import (  # noqa: F401
    DailyTotal,
    ManagerTotal,
    MonthTotal,
    TeamTotal,
)

# Money block of every channel, in the order forms and reports show it.
MONEY_CODES = ("invoiced_amount", "payments_count", "revenue", "variable_costs")
MONEY_DECIMAL_CODES = ("invoiced_amount", "revenue", "variable_costs")
MONEY_LABELS = {
    "invoiced_amount": _("Invoiced amount"),
    "payments_count": _("Payments received (count)"),
    "revenue": _("Payments received (revenue)"),
    "variable_costs": _("Variable costs"),
}
MIN_STAGES, MAX_STAGES = 4, 6


class Indicator(TranslatedName):
    """A counter of a channel: a funnel stage (ordered, last = won deal) or an activity."""

    class Kind(models.TextChoices):
        STAGE = "stage", _("Funnel stage")
        ACTIVITY = "activity", _("Activity")

    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("channel")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.STAGE)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    code = models.SlugField(_("code"), max_length=40)

    class Meta:
        ordering = ["channel__display_order", "channel_id", "kind", "order", "id"]
        verbose_name = _("indicator")
        verbose_name_plural = _("stages and activities")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "code"], name="indicator_code_unique_per_channel"
            ),
        ]

    @property
    def is_stage(self) -> bool:
        return self.kind == self.Kind.STAGE


class DailyFact(models.Model):
    """What one manager did in one channel on one day: the money block, counts hang below."""

    date = models.DateField(_("date"))
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="facts",
        verbose_name=_("manager"),
        db_index=False,  # the unique key and fact_manager_date both lead with manager
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="facts", verbose_name=_("channel")
    )
    # The manager's team on this day (teams.Membership), kept by teams.membership: a team's
    # numbers are its members' facts of the days they were in it, whatever happens later.
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team on that day"),
        db_index=False,  # fact_team_date below
    )
    invoiced_amount = models.DecimalField(
        _("invoiced amount"), max_digits=14, decimal_places=2, default=0
    )
    payments_count = models.PositiveIntegerField(_("payments received (count)"), default=0)
    revenue = models.DecimalField(_("revenue"), max_digits=14, decimal_places=2, default=0)
    variable_costs = models.DecimalField(
        _("variable costs"), max_digits=14, decimal_places=2, default=0
    )
    created_at = models.DateTimeField(_("first entered"), auto_now_add=True)
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
        ordering = ["-date", "manager_id", "channel_id"]
        verbose_name = _("daily fact")
        verbose_name_plural = _("daily facts")
        constraints = [
            models.UniqueConstraint(
                fields=["manager", "channel", "date"], name="fact_one_per_manager_channel_day"
            ),
            models.CheckConstraint(
                condition=Q(invoiced_amount__gte=0) & Q(revenue__gte=0) & Q(variable_costs__gte=0),
                name="fact_money_not_negative",
            ),
        ]
        indexes = [
            # Who reported on a day, and a day's drill-down, read the facts by date.
            models.Index(fields=["date", "channel"], name="fact_date_channel"),
            # A manager's own views read a date range of one manager across all channels;
            # the unique key starts (manager, channel, date), so without this index such a
            # range would walk every channel's whole history of that manager.
            models.Index(fields=["manager", "date"], name="fact_manager_date"),
            # A team's facts of a period (drill-down, reporting discipline of a team).
            models.Index(fields=["team", "date"], name="fact_team_date"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.manager} {self.channel.code}"


class DailyCount(models.Model):
    """One stage or activity count of a daily fact."""

    fact = models.ForeignKey(
        DailyFact,
        on_delete=models.CASCADE,
        related_name="counts",
        verbose_name=_("fact"),
        db_index=False,  # the unique key (fact, indicator) leads with it
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="counts", verbose_name=_("indicator")
    )
    value = models.PositiveIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("daily count")
        verbose_name_plural = _("daily counts")
        constraints = [
            models.UniqueConstraint(fields=["fact", "indicator"], name="count_one_per_indicator"),
            models.CheckConstraint(condition=Q(value__gte=0), name="count_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} = {self.value}"


class FactChange(models.Model):
    """History: every change of one value of a daily fact. Append-only."""

    class Source(models.TextChoices):
        FORM = "form", _("day form")
        GRID = "grid", _("week grid")
        IMPORT = "import", _("import")
        ADMIN = "admin", _("admin site")
        DEMO = "demo", _("demo data")
        API = "api", _("API")
        TELEGRAM = "telegram", _("Telegram")

    # A real foreign key: measured against statement-level triggers (migrations 0010, 0012;
    # docs/benchmarks.md), it costs an import of 100,000 values under 10 % more.
    fact = models.ForeignKey(
        DailyFact, on_delete=models.CASCADE, related_name="changes", verbose_name=_("fact")
    )
    # Read with its fact (fact_id's index); an index of its own (two on PostgreSQL: btree and
    # LIKE) only slowed every write of history.
    code = models.SlugField(_("indicator"), max_length=40, db_index=False)
    old_value = models.DecimalField(
        _("old value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    new_value = models.DecimalField(_("new value"), max_digits=14, decimal_places=2)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True, db_index=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    # Which client of the source: the API token's name (its owner is `changed_by`).
    source_name = models.CharField(
        _("client"), max_length=60, blank=True, default="", db_default=""
    )
    # Above the manager's usual (funnel.plausibility_checks) and saved once confirmed.
    confirmed_unusual = models.BooleanField(_("confirmed unusual"), default=False, db_default=False)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("change")
        verbose_name_plural = _("history of changes")

    def __str__(self) -> str:
        return f"{self.code}: {self.old_value} → {self.new_value}"


class ValueLimit(models.Model):
    """The most one manager may report for one value of a channel on one day (an indicator's
    code or a money code); without a row funnel.plausibility's defaults apply."""

    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="value_limits", verbose_name=_("channel")
    )
    code = models.SlugField(
        _("indicator"),
        max_length=40,
        help_text=_("Code of a stage or activity of the channel, or of a money value."),
    )
    max_per_day = models.DecimalField(
        _("maximum per day"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        ordering = ["channel__display_order", "channel_id", "code"]
        verbose_name = _("daily maximum")
        verbose_name_plural = _("daily maxima")
        constraints = [
            models.UniqueConstraint(fields=["channel", "code"], name="value_limit_one_per_code"),
        ]

    def __str__(self) -> str:
        return f"{self.channel.code} {self.code} ≤ {self.max_per_day}"


class ImportUpload(models.Model):
    """A file uploaded on the import page, kept in the database between its check (the
    preview) and its import so that any app server or worker can finish it; the report of the
    last run is in `result`. Uploads older than a day are deleted (funnel/uploads.py)."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("checking")
        CHECKED = "checked", _("checked")
        IMPORTING = "importing", _("importing")
        DONE = "done", _("imported")
        FAILED = "failed", _("failed")

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=255)
    data = models.BinaryField()
    size = models.PositiveBigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKING)
    progress = models.PositiveSmallIntegerField(default=0)  # percent of the current run
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("uploaded import file")
        verbose_name_plural = _("uploaded import files")

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"


class CatalogueVersion(models.Model):
    """One row: a random token that every change of the channel catalogue (channels, their
    indicators, the maxima per day) replaces in its own transaction, so that each process
    can keep the catalogue in memory and know with one query whether it still holds
    (funnel.catalogue)."""

    token = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("catalogue version")
        verbose_name_plural = _("catalogue versions")

    def __str__(self) -> str:
        return self.token
