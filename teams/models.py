from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    heads = models.ManyToManyField(
        "teams.User", related_name="led_teams", blank=True, verbose_name=_("heads")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    class Role(models.TextChoices):
        MANAGER = "manager", _("Manager")
        HEAD = "head", _("Head of team")
        DIRECTOR = "director", _("Sales director")
        ADMIN = "admin", _("Administrator")

    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MANAGER)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("team"),
        help_text=_("The team a manager sells in."),
    )
    channels = models.ManyToManyField(
        "channels.Channel",
        blank=True,
        related_name="managers",
        verbose_name=_("channels"),
        help_text=_("Channels the manager reports on."),
    )
    language = models.CharField(
        _("language"), max_length=5, blank=True, help_text=_("Interface and e-mail language.")
    )
    is_demo = models.BooleanField(_("demo user"), default=False, editable=False)
    left_on = models.DateField(
        _("left on"),
        null=True,
        blank=True,
        help_text=_(
            "The first day the person no longer works here: from this day on they are not "
            "expected to report. Filled in with today when the person is deactivated."
        ),
    )

    class Meta:
        ordering = ["full_name", "username"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def is_former(self) -> bool:
        """Deactivated: their numbers stay in every sum, marked as a former member."""
        return not self.is_active

    @property
    def board_name(self) -> str:
        """The name on boards and exports: people who left marked so."""
        if self.is_active:
            return self.display_name
        return _("%(name)s (former)") % {"name": self.display_name}

    @property
    def sees_everything(self) -> bool:
        """Directors and the app's administrators have no team limit."""
        return self.role in (self.Role.DIRECTOR, self.Role.ADMIN)

    @property
    def is_head(self) -> bool:
        return self.role == self.Role.HEAD

    @property
    def is_manager(self) -> bool:
        return self.role == self.Role.MANAGER


class Membership(models.Model):
    """From `since` on, `user` sells in `team` (None: in no team), until their next
    membership begins. The earliest membership also covers the days before it, so every fact
    has a team. A manager without memberships is in `User.team` on every day.

    `User.team` mirrors the team of the latest membership; teams.membership keeps both and
    the facts' teams in step (see docs/metrics.md, "Who counts where").
    """

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("person")
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("team"),
    )
    since = models.DateField(_("since"))

    class Meta:
        ordering = ["user_id", "since"]
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "since"], name="membership_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.team or '—'} · {self.since}"
