"""funnel.values.value_parse: what the grid and the day form show must parse back, in both
languages, and nothing ambiguous slips through as another number."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from funnel.values import value_parse

BOTH = [
    ("302 877,40", True, "302877.40"),  # the grid in Russian (NBSP and narrow NBSP too)
    ("302\u00a0877,40", True, "302877.40"),
    ("302\u202f877,4", True, "302877.40"),
    ("302,877.40", True, "302877.40"),  # the grid in English
    ("1.234.567,5", True, "1234567.50"),
    ("1,234,567", False, "1234567"),
    ("1234.5", True, "1234.50"),
    ("12,5", True, "12.50"),
    ("", False, None),
]


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize(("raw", "money", "expected"), BOTH)
def test_formatted_numbers_parse_back_in_both_languages(language, raw, money, expected):
    with translation.override(language):
        value = value_parse(raw, money=money)
    assert value == (None if expected is None else Decimal(expected))


def test_a_lone_comma_group_is_thousands_in_english_and_a_decimal_comma_in_russian():
    with translation.override("en"):
        assert value_parse("1,234", money=False) == 1234
        assert value_parse("1,000", money=True) == Decimal("1000.00")
    with translation.override("ru"):
        assert value_parse("1,5", money=True) == Decimal("1.50")
        with pytest.raises(ValidationError) as error:
            value_parse("1,234", money=False)  # 1.234: not a whole number
        assert error.value.code == "not_whole"


@pytest.mark.parametrize("raw", ["12,34,5", "1.2.3", "1,234.5.6", "1e5", ",5", "1,", "1 2 3,4,5"])
def test_malformed_groups_are_refused(raw):
    with translation.override("en"), pytest.raises(ValidationError):
        value_parse(raw, money=True)
