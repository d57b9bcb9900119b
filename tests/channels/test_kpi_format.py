import json
import re
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.formats import number_format
from django.utils.html import json_script
from hypothesis import given
from hypothesis import strategies as st

from channels.templatetags import kpi_format
from channels.templatetags.kpi_format import count, figure_json, money, pct


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


def test_figure_json_is_compact_utf8_and_cannot_close_its_script():
    figure = {"y": ["Первичные касания", "</script><b>"], "x": [Decimal("1.50"), 2], "a&b": None}
    html = str(figure_json(figure, "fig-x"))
    found = re.fullmatch(r'<script id="fig-x" type="application/json">(.*)</script>', html)
    assert found
    body = found.group(1)
    assert "Первичные касания" in body  # as UTF-8, not \u escapes
    for unsafe in ("</script>", "<b>", "&"):
        assert unsafe not in body
    for spaced in (", ", ": "):
        assert spaced not in body
    assert json.loads(body) == {
        "y": ["Первичные касания", "</script><b>"],
        "x": ["1.50", 2],
        "a&b": None,
    }
    # Half the bytes of Django's json_script for a Russian label.
    assert len(html.encode()) < len(json_script(figure, "fig-x").encode()) * 0.7


@given(
    value=st.one_of(
        st.none(),
        st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, places=4),
        st.integers(min_value=-(10**12), max_value=10**12),
    ),
    language=st.sampled_from(["en", "ru"]),
)
def test_numbers_read_once_format_as_the_filters(value, language):
    with translation.override(language):
        numbers = kpi_format.Numbers()
        assert numbers.money(value) == money(value)
        assert numbers.pct(value) == pct(value)
        assert numbers.count(value) == count(value)
        assert numbers.decimal1(value) == kpi_format.decimal1(value)
