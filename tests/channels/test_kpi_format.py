from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.formats import number_format
from hypothesis import given
from hypothesis import strategies as st

from channels.templatetags import kpi_format
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


@given(
    digits=st.integers(min_value=-(10**15), max_value=10**15),
    places=st.sampled_from([0, 1, 2]),
    grouping=st.booleans(),
    language=st.sampled_from(["en", "ru"]),
)
def test_the_quick_number_formatting_says_what_number_format_says(
    digits, places, grouping, language
):
    value = Decimal(digits).scaleb(-places)
    with translation.override(language):
        expected = number_format(value, decimal_pos=places, use_l10n=True, force_grouping=grouping)
        assert kpi_format._number(value, places, grouping=grouping) == expected


def test_a_changed_format_setting_clears_the_remembered_separators(settings):
    with translation.override("en"):
        assert count(1234567) == "1,234,567"
    assert kpi_format._separators.cache_info().currsize > 0
    settings.THOUSAND_SEPARATOR = "'"  # as override_settings in a test, or a reload
    assert kpi_format._separators.cache_info().currsize == 0
