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
