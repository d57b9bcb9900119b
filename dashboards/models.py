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
