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


@pytest.mark.parametrize("language", ["en", "ru", None])
@pytest.mark.parametrize(("raw", "money", "expected"), BOTH)
def test_formatted_numbers_parse_back_in_both_languages(language, raw, money, expected):
    value = value_parse(raw, money=money, language=language)
    assert value == (None if expected is None else Decimal(expected))


def test_a_lone_comma_group_is_thousands_only_when_typed_on_an_english_page():
    assert value_parse("1,234", money=False, language="en") == 1234
    assert value_parse("1,000", money=True, language="en") == Decimal("1000.00")
    assert value_parse("1,5", money=True, language="en") == Decimal("1.50")
    assert value_parse("1,5", money=True, language="ru") == Decimal("1.50")
    # Files, the API and the bot: a comma is a decimal point, as before.
    for language in ("ru", None):
        with pytest.raises(ValidationError) as error:
            value_parse("1,234", money=False, language=language)  # 1.234: not whole
        assert error.value.code == "not_whole"


def test_the_day_form_reads_numbers_as_its_page_shows_them():
    from funnel.forms import KpiValueField

    field = KpiValueField(code="first_contacts")
    with translation.override("en"):
        assert field.clean("1,234") == 1234
    with translation.override("ru"):
        assert field.clean("1 234") == 1234
        with pytest.raises(ValidationError):
            field.clean("1,234")


@pytest.mark.parametrize("raw", ["12,34,5", "1.2.3", "1,234.5.6", "1e5", ",5", "1,", "1 2 3,4,5"])
def test_malformed_groups_are_refused(raw):
    with pytest.raises(ValidationError):
        value_parse(raw, money=True, language="en")
