from __future__ import annotations

import pytest
from django.utils import translation

from billing.money import (
    MAX_UNITS,
    InvalidAmount,
    credits_number,
    credits_text,
    format_credits,
    parse_credits,
)


@pytest.mark.parametrize(
    ("units", "text"),
    [(1250, "12.50"), (0, "0.00"), (5, "0.05"), (-1250, "-12.50"), (100, "1.00")],
)
def test_it_formats_hundredths_with_two_decimals(units, text):
    assert format_credits(units) == text


@pytest.mark.parametrize(
    ("language", "units", "number"),
    [("en", 1250, "12.50"), ("ru", 1250, "12,50"), ("ru", -5, "-0,05"), ("ru", 0, "0,00")],
)
def test_a_reader_sees_credits_with_the_decimal_separator_of_the_language(language, units, number):
    with translation.override(language):
        assert credits_number(units) == number


def test_credits_text_names_the_unit_in_the_language():
    with translation.override("ru"):
        assert credits_text(1250) == "12,50 кредита"
    assert credits_text(1250) == "12.50 credits"


def test_the_machine_form_stays_a_dot_whatever_the_language():
    with translation.override("ru"):
        assert format_credits(1250) == "12.50"
        assert parse_credits(format_credits(1250)) == 1250


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("12.50", 1250),
        ("12.5", 1250),
        ("12", 1200),
        (" 3.07 ", 307),
        ("-1.25", -125),
        # The one number rule allows an exponent, so long as two decimals are not exceeded.
        ("1e3", 100_000),
        ("1.25E1", 1250),
    ],
)
def test_it_parses_plain_amounts(text, units):
    assert parse_credits(text) == units


@pytest.mark.parametrize(
    "text",
    [
        *["", "  ", "abc", "1.234", "NaN", "inf", "-Infinity", "1e-3", "1,50", "12.50.1"],
        *["2_7", "\uff12\uff17", "1.", ".5"],
    ],
)
def test_it_refuses_what_is_not_money(text):
    with pytest.raises(InvalidAmount):
        parse_credits(text)


def test_it_refuses_huge_amounts():
    with pytest.raises(InvalidAmount, match="too large"):
        parse_credits(format_credits(MAX_UNITS + 1))
    assert parse_credits(format_credits(MAX_UNITS)) == MAX_UNITS
