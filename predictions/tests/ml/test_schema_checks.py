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
