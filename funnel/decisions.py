"""A head's decisions on the review flags of self-reported numbers (docs/metrics.md,
"Review flags"): the flag is computed (metrics.review), the decision is stored here, keyed by
the flag's identity, so that the manager's day form can show what they were asked to fix."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewDecision(models.Model):
    """One head's decision on one flag: manager, day or period, kind, channel and code."""

    class Kind(models.TextChoices):
        UNUSUAL = "unusual", _("Unusual value")
        REPEATED = "repeated", _("Same numbers day after day")
        ZEROS = "zeros", _("Reported, all zeros")
        STAGE_ORDER = "stage_order", _("Stage above the previous stage")
        LATE_EDIT = "late_edit", _("Late edit")
        MONTH_END = "month_end", _("Heavy edits before the month closes")

    class Decision(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed")
        ASKED_TO_FIX = "asked_to_fix", _("asked to fix")

    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="review_decisions",
        verbose_name=_("manager"),
    )
    kind = models.CharField(_("flag"), max_length=20, choices=Kind.choices)
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    # The channel's and indicator's codes ("" when the flag is of the whole day).
    channel_code = models.SlugField(_("channel"), max_length=40, blank=True, default="")
    code = models.SlugField(_("indicator"), max_length=40, blank=True, default="")
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    note = models.CharField(_("note"), max_length=500, blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), auto_now=True)

    class Meta:
        ordering = ["-date_to", "manager_id", "kind"]
        verbose_name = _("review decision")
        verbose_name_plural = _("review decisions")
        constraints = [
            models.UniqueConstraint(
                fields=["manager", "kind", "date_from", "date_to", "channel_code", "code"],
                name="review_decision_one_per_flag",
            ),
        ]
        indexes = [models.Index(fields=["manager", "date_to"], name="review_manager_day")]

    def __str__(self) -> str:
        return f"{self.manager} {self.kind} {self.date_from}–{self.date_to}: {self.decision}"


def asked_to_fix(manager_id: int, day: dt.date) -> list[ReviewDecision]:
    """The head's "asked to fix" decisions covering a manager's day, newest first. One
    query."""
    return list(
        ReviewDecision.objects.filter(
            manager_id=manager_id,
            decision=ReviewDecision.Decision.ASKED_TO_FIX,
            date_from__lte=day,
            date_to__gte=day,
        )
        .select_related("decided_by")
        .order_by("-decided_at")
    )
