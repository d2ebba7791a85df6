"""Checks every tabular case of this kind shares; each case's test module calls them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from predictions.ml.cases.base import Case, DatasetMissing, TrainingData
from predictions.ml.schema import SchemaError


def fit_on_sample(case: Case, data: TrainingData, size: int) -> Any:
    """The production model fitted on a stratified sample of `size` rows (fast)."""
    if size >= len(data.y):
        return case.fit_production(data)
    chosen, _ = train_test_split(
        np.arange(len(data.y)), train_size=size, stratify=data.y, random_state=0
    )
    return case.fit_production(TrainingData(X=data.X.iloc[chosen], y=data.y[chosen]))


def assert_leaks_are_not_features(case: Case, model: Any) -> None:
    features = case.feature_names(model)
    assert features
    assert not set(case.leaky_columns) & set(features)


def assert_missing_dataset_is_named(case: Case, tmp_path: Path) -> None:
    with pytest.raises(DatasetMissing) as caught:
        case.load_training_data(tmp_path)
    assert caught.value.path == tmp_path / case.dataset_files[0]
    assert case.dataset_files[0].split("/")[-1] in str(caught.value)


def assert_serving_matches_training(case: Case, data: TrainingData, rows: list[dict]) -> None:
    """API rows made from training rows become the same matrix rows the model was fitted on."""
    matrix = case.rows_to_matrix(case.schema.validate_rows(rows))
    expected = np.asarray(data.X, dtype=float)[: len(rows)]
    np.testing.assert_allclose(matrix, expected, rtol=1e-9, equal_nan=True)


def field_errors(case: Case, row: dict) -> dict[str, list[str]]:
    with pytest.raises(SchemaError) as caught:
        case.schema.validate_rows([row])
    return caught.value.errors[0]
