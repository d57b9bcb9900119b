from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #RRGGBB."))


class TranslatedName(models.Model):
    """A name in English and Russian; `name` picks the active language."""

    name_en = models.CharField(_("name (English)"), max_length=120)
    name_ru = models.CharField(_("name (Russian)"), max_length=120)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def name_fields() -> tuple[str, ...]:
        """The fields `name` reads, in order, in the active language: the first non-empty
        one is the name (the Russian name where there is one, else the English one)."""
        return ("name_ru", "name_en") if (get_language() or "en")[:2] == "ru" else ("name_en",)

    @property
    def name(self) -> str:
        return getattr(self, self.name_fields()[0]) or self.name_en


class Channel(TranslatedName):
    class Kind(models.TextChoices):
        ACTIVE = "active", _("Active (outbound) sales")
        INBOUND = "inbound", _("Inbound sales")
        REPEAT_VIP = "repeat_vip", _("Repeat and VIP clients")
        PARTNER = "partner", _("Partner sales")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    main_indicator = models.SlugField(
        _("main indicator"),
        max_length=40,
        blank=True,
        help_text=_("Code of the stage or activity that is this channel's main indicator."),
    )
    display_order = models.PositiveSmallIntegerField(_("display order"), default=0)
    colour = models.CharField(_("colour"), max_length=7, default="#1f77b4", validators=[hex_colour])
    is_active = models.BooleanField(_("active"), default=True)
    # The plausibility check (funnel.plausibility_checks) asks to confirm a stage count above
    # the previous stage's count of the same day when this is set.
    stages_monotonic = models.BooleanField(
        _("stages never grow"),
        default=False,
        help_text=_(
            "A stage's count cannot exceed the previous stage's count on the same day; "
            "a value above it must be confirmed."
        ),
    )

    class Meta:
        ordering = ["display_order", "code"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
