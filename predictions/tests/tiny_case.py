"""A tiny case for the registry tests: logistic regression on a synthetic dataset."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from predictions.ml.cases.base import Bar, Case, DatasetMissing, TrainingData
from predictions.ml.evaluation import cross_validate_classifier
from predictions.ml.schema import Field, Schema

FEATURES = ("x1", "x2")


def write_tiny_dataset(datasets_dir: Path, rows: int = 200) -> Path:
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 10, size=(rows, 2))
    label = np.where(x[:, 0] + x[:, 1] + rng.normal(0, 1.5, rows) > 10, "high", "low")
    path = datasets_dir / TinyCase.dataset_files[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame({"id": range(rows), "x1": x[:, 0], "x2": x[:, 1], "label": label})
    frame.to_csv(path, index=False)
    return path


class TinyCase(Case):
    slug = "tiny"
    title = "Tiny test case"
    description = "Says whether x1 + x2 is high."
    source_name = "synthetic"
    source_url = "https://example.org/tiny"
    schema = Schema(
        fields=(
            Field("x1", "number", minimum=0, maximum=10),
            Field("x2", "number", minimum=0, maximum=10, required=False, nullable=True),
        )
    )
    example = {"x1": 7.5, "x2": 6.0}
    bars = (Bar("roc_auc", ">=", 0.8),)
    primary_metric = "roc_auc"
    evaluation_protocol = "Stratified 3-fold cross-validation."
    leaky_columns = ("id", "label")
    default_price = 7
    dataset_files = ("tiny/tiny.csv",)

    def load_training_data(self, datasets_dir: Path) -> TrainingData:
        path = datasets_dir / self.dataset_files[0]
        if not path.is_file():
            raise DatasetMissing(path)
        frame = pd.read_csv(path)
        return TrainingData(
            X=frame[list(FEATURES)], y=frame["label"].to_numpy(dtype=str), frame=frame
        )

    def build_baseline(self) -> Any:
        return LogisticRegression(C=0.001, solver="liblinear")

    def build_production(self) -> Any:
        return LogisticRegression(solver="liblinear")

    def evaluate(self, data: TrainingData) -> dict[str, dict[str, Any]]:
        cv = StratifiedKFold(3, shuffle=True, random_state=0)
        return {
            which: cross_validate_classifier(build(), data.X.to_numpy(), data.y, cv=cv)
            for which, build in (
                ("baseline", self.build_baseline),
                ("production", self.build_production),
            )
        }

    def fit_production(self, data: TrainingData) -> Any:
        # Fitted on an array, as it is served: no feature-name warnings at predict time.
        return self.build_production().fit(data.X.to_numpy(), data.y)

    def feature_names(self, model: Any) -> list[str]:
        return list(FEATURES[: model.n_features_in_])

    def rows_to_matrix(self, rows: Sequence[dict[str, Any]]) -> np.ndarray:
        return np.array([[row["x1"], row["x2"] if row["x2"] is not None else 5.0] for row in rows])
