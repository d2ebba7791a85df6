"""A lean soft-voting blend for the serving path.

scikit-learn's `VotingClassifier` spends about a millisecond per call on checks around
its members, more than the members themselves on one row. `SoftBlend` does only the
work: it encodes the labels once (so XGBoost, which wants 0..n-1, can be a member), fits
a clone of each member and averages their probabilities with fixed weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from xgboost import XGBClassifier


class SoftBlend(ClassifierMixin, BaseEstimator):
    """Weighted mean of the members' `predict_proba`; `estimators` is [(name, estimator)]."""

    def __init__(
        self, estimators: Sequence[tuple[str, Any]], weights: Sequence[float] | None = None
    ) -> None:
        self.estimators = estimators
        self.weights = weights

    def fit(self, X: Any, y: Any) -> SoftBlend:
        self.classes_, encoded = np.unique(np.asarray(y), return_inverse=True)
        self.estimators_ = [clone(member).fit(X, encoded) for _, member in self.estimators]
        weights = np.ones(len(self.estimators_)) if self.weights is None else self.weights
        self.weights_ = np.asarray(weights, dtype=float) / np.sum(weights)
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        proba = sum(
            weight * member.predict_proba(X).astype(float)
            for weight, member in zip(self.weights_, self.estimators_, strict=True)
        )
        # XGBoost answers in float32: renormalise so that every row sums to 1 exactly.
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def shallow_xgboost(**overrides: Any) -> XGBClassifier:
    """The small-data XGBoost the blends use: depth-2 trees, slow learning, one thread."""
    params: dict[str, Any] = {
        "n_estimators": 300,
        "learning_rate": 0.03,
        "max_depth": 2,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
        "min_child_weight": 5,
        "n_jobs": 1,
        "random_state": 0,
    }
    return XGBClassifier(**{**params, **overrides})
