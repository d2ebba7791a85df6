"""Checks the case tests share: the contract of every case and each case's own tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from predictions.ml.cases.base import Case, TrainingData
from predictions.ml.schema import SchemaError


def schema_errors(case: Case, rows: list) -> dict[int, dict[str, list[str]]]:
    """The errors of the rows the case's schema refuses, by row index."""
    with pytest.raises(SchemaError) as caught:
        case.schema.validate_rows(rows)
    return caught.value.errors


def field_errors(case: Case, row: object) -> dict[str, list[str]]:
    """The errors of one refused row, by field."""
    return schema_errors(case, [row])[0]


def assert_serving_matches_training(case: Case, data: TrainingData, rows: list[dict]) -> None:
    """API rows made from training rows become the same matrix rows the model was fitted on."""
    matrix = case.rows_to_matrix(case.schema.validate_rows(rows))
    expected = np.asarray(data.X, dtype=float)[: len(rows)]
    np.testing.assert_allclose(matrix, expected, rtol=1e-9, equal_nan=True)


def batch_columns(case: Case, model: Any, rows: list[dict]) -> dict[str, list]:
    """`case.predict_columns` with every column as a list (a case may build a text column
    as an Arrow array)."""
    return {
        name: values.to_pylist() if isinstance(values, pa.Array) else list(values)
        for name, values in case.predict_columns(model, rows).items()
    }
