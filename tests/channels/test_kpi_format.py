from decimal import Decimal

import pytest
from django.utils import translation

from channels.templatetags.kpi_format import count, money, pct


@pytest.mark.parametrize(
    ("lang", "expected"), [("en", "1,234.50\u00a0₽"), ("ru", "1\u00a0234,50\u00a0₽")]
)
def test_money_is_formatted_for_the_locale(lang, expected, settings):
    settings.CURRENCY = "₽"
    with translation.override(lang):
        assert money(Decimal("1234.5")) == expected


def test_undefined_values_show_a_dash_never_none():
    assert money(None) == pct(None) == count(None) == "—"


def test_ratios_above_one_are_not_clamped():
    with translation.override("en"):
        assert pct(Decimal("1.5")) == "150.0\u00a0%"
        assert pct(Decimal("-0.25")) == "-25.0\u00a0%"
