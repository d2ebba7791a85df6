from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from predictions.ml.schema import Field, Schema, SchemaError


def low_below_high(row: Mapping[str, Any]) -> dict[str, list[str]]:
    return {"low": ["Must be below high."]} if row["low"] >= row["high"] else {}


schema = Schema(
    fields=(Field(name="low", kind="number"), Field(name="high", kind="number")),
    checks=(low_below_high,),
)


def test_a_row_check_reports_under_the_field_it_names() -> None:
    with pytest.raises(SchemaError) as caught:
        schema.validate_rows([{"low": 1, "high": 2}, {"low": 3, "high": 2}])

    assert caught.value.errors == {1: {"low": ["Must be below high."]}}


def test_row_checks_wait_until_every_field_is_clean() -> None:
    with pytest.raises(SchemaError) as caught:
        schema.validate_rows([{"low": "x", "high": 2}])

    assert caught.value.errors == {0: {"low": ["A number is required."]}}


@pytest.mark.parametrize("value", ["a\x00b", "\ud800", "ok \udfff"])
def test_text_the_database_cannot_store_is_refused_before_anything_runs(value) -> None:
    text = Schema(fields=(Field(name="title", kind="text"),))

    with pytest.raises(SchemaError) as caught:
        text.validate_rows([{"title": value}])

    assert caught.value.errors == {
        0: {"title": ["Text must not contain NUL characters or unpaired surrogates."]}
    }
    assert text.validate_rows([{"title": "a\U0001f600b"}]) == [{"title": "a\U0001f600b"}]
