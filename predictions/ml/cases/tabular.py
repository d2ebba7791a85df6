"""The common ground of the tabular cases 4-6: a frame of float features in, NumPy served.

`load_training_data` of such a case returns `X` as a DataFrame whose columns are exactly
`features`; the model is fitted on the same values as a NumPy array, which is what
`rows_to_matrix` builds at serving time, so the single-row path never makes a DataFrame.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from sklearn.model_selection import RepeatedStratifiedKFold

from predictions.ml.cases.base import Case, TrainingData
from predictions.ml.evaluation import cross_validate_classifier


class TabularCase(Case):
    features: ClassVar[tuple[str, ...]]
    # Repeats of the stratified 5-fold CV: as many as the evaluation budget allows.
    cv_repeats: ClassVar[int] = 2

    def fit_production(self, data: TrainingData) -> Any:
        return self.build_production().fit(np.asarray(data.X, dtype=float), data.y)

    def evaluate(self, data: TrainingData) -> dict[str, dict[str, Any]]:
        return self.evaluate_both(data)

    def evaluate_both(
        self,
        data: TrainingData,
        *,
        production_labels: Callable[[Any, Any], np.ndarray] | None = None,
        baseline_labels: Callable[[Any, Any], np.ndarray] | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Baseline and production on the same repeated stratified 5-fold splits
        (`*_labels(fitted, X_test)`: how each turns probabilities into labels, when not
        by `predict`)."""
        X = np.asarray(data.X, dtype=float)
        cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=self.cv_repeats, random_state=0)
        return {
            "baseline": cross_validate_classifier(
                self.build_baseline(), X, data.y, cv=cv, predict_labels=baseline_labels
            ),
            "production": cross_validate_classifier(
                self.build_production(), X, data.y, cv=cv, predict_labels=production_labels
            ),
        }

    def feature_names(self, model: Any) -> list[str]:
        if model.n_features_in_ != len(self.features):
            raise ValueError(f"{self.slug}: the model reads {model.n_features_in_} columns.")
        return list(self.features)
