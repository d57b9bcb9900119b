from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReminderLog(models.Model):
    """One reminder or digest mail per recipient, kind and report day — never a second one.

    The row is written before the mail is sent, in the same transaction: a failed send
    rolls it back, so the next run tries again.
    """

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("missing report reminder")
        DIGEST = "digest", _("morning digest")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reminder_logs",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    day = models.DateField(_("report day"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        db_table = "metrics_reminderlog"  # the table kept its name when reminders left metrics
        ordering = ["-day", "user_id"]
        verbose_name = _("sent reminder")
        verbose_name_plural = _("sent reminders")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "day"], name="reminder_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.user}"


class BenchDataset(models.Model):
    """The data set `manage.py bench` generated in this (dedicated) database.

    One row per generated data set; a regeneration (--rebuild) removes the rows of the data
    set it replaces. The bench reads the latest row to reuse what an earlier run made.
    A developer's table, never shown to users: its names are not translated.
    """

    scale = models.CharField("scale", max_length=1)
    end = models.DateField("last day")
    generate_seconds = models.FloatField("seconds to generate")
    created_at = models.DateTimeField("created at", auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "benchmark data set"
        verbose_name_plural = "benchmark data sets"

    def __str__(self) -> str:
        return f"{self.scale} up to {self.end}"


class BoardLink(models.Model):
    """A read-only wallboard link for a TV: anyone with its URL sees the board of one team
    (or of every team its creator leads) and nothing else.

    Only the SHA-256 hash of the token is stored (the token is shown once, when made). The
    board is drawn with its creator's scope as it is now: a creator who no longer leads the
    team, or who left, takes the link down with them.
    """

    label = models.CharField(
        _("label"), max_length=60, help_text=_("Where it hangs, for example “sales room TV”.")
    )
    token_hash = models.CharField(_("hash"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="board_links",
        verbose_name=_("created by"),
    )
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="board_links",
        verbose_name=_("team"),
        help_text=_("Empty: every team its creator leads."),
    )
    show_names = models.BooleanField(
        _("show managers' names"),
        default=False,
        help_text=_("Off: managers appear as “Manager 1”, “Manager 2”…"),
    )
    rotate_seconds = models.PositiveSmallIntegerField(_("seconds per panel"), default=15)
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last shown"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("wallboard link")
        verbose_name_plural = _("wallboard links")

    def __str__(self) -> str:
        return self.label

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
