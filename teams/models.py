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
    def sees_everything(self) -> bool:
        """Directors and the app's administrators have no team limit."""
        return self.role in (self.Role.DIRECTOR, self.Role.ADMIN)

    @property
    def is_head(self) -> bool:
        return self.role == self.Role.HEAD

    @property
    def is_manager(self) -> bool:
        return self.role == self.Role.MANAGER
