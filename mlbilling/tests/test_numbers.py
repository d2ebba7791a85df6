"""The one number rule: the scalar parser and the column parser agree on any text."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlbilling.numbers import NumberError, parse_decimal, parse_number, parse_number_column

ACCEPTED = {
    "27": 27.0,
    " 27\t": 27.0,
    "+27": 27.0,
    "-2.5": -2.5,
    "2.7e1": 27.0,
    "27E-1": 2.7,
    "0.000": 0.0,
    "1e-400": 0.0,  # tiny, but a number: it underflows to zero as float() does
}
REFUSED_SYNTAX = [
    *["", " ", "2_7", "\uff12\uff17", "\u0662\u0667", "27.", ".27", "0x1B", "1,5", "1 5"],
    *["nan", "NaN", "inf", "-Infinity", "1e", "e1", "+-1", "1e1.5", "27\u00a0", "\u00b2"],
]
HUGE = ["1" + "0" * 400, "-1" + "0" * 400, "1e400", "-1e309"]


@pytest.mark.parametrize(("text", "value"), ACCEPTED.items())
def test_plain_ascii_numbers_are_accepted(text: str, value: float) -> None:
    assert parse_number(text) == value
    assert parse_number_column([text])[0].tolist() == [value]


@pytest.mark.parametrize("text", REFUSED_SYNTAX)
def test_anything_else_float_would_take_is_refused(text: str) -> None:
    with pytest.raises(NumberError) as caught:
        parse_number(text)
    assert caught.value.reason == "syntax"
    with pytest.raises(NumberError):
        parse_decimal(text)
    assert parse_number_column([text])[1].tolist() == [False]


@pytest.mark.parametrize("text", HUGE)
def test_a_number_past_any_float_is_out_of_range_not_a_crash(text: str) -> None:
    with pytest.raises(NumberError) as caught:
        parse_number(text)
    assert caught.value.reason == "range"
    assert parse_number_column([text])[1].tolist() == [False]


def test_the_fields_range_is_checked_with_the_schemas_messages() -> None:
    with pytest.raises(NumberError, match=r"Must be at most 10\."):
        parse_number("1" + "0" * 400, minimum=0, maximum=10)
    with pytest.raises(NumberError, match=r"Must be at least 0\."):
        parse_number("-0.5", minimum=0, maximum=10)
    _values, ok = parse_number_column(["-0.5", "0", "10", "10.5"], minimum=0, maximum=10)
    assert ok.tolist() == [False, True, True, False]


TEXTS = st.one_of(
    st.text(alphabet="0123456789+-.eE _\t \uff12\u0662x", max_size=12),
    st.from_regex(r"\A[+-]?[0-9]{1,400}(\.[0-9]{1,5})?([eE][+-]?[0-9]{1,4})?\Z"),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=6),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=20), st.sampled_from([None, -5.0, 0.0]))
def test_the_column_parser_accepts_exactly_what_the_scalar_parser_accepts(texts, minimum):
    values, ok = parse_number_column(texts, minimum=minimum, maximum=1e6)
    for text, value, accepted in zip(texts, values.tolist(), ok.tolist(), strict=True):
        try:
            expected = parse_number(text, minimum=minimum, maximum=1e6)
        except NumberError:
            assert not accepted, text
        else:
            assert accepted, text
            assert value == expected or (math.isnan(value) and math.isnan(expected))
