"""The first generation of case 5: C / CL / D classification, kept so that its versions
still load and serve after a rollback.

Its artifacts pickle `log_labs` by the dotted path
`predictions.ml.cases.cirrhosis_survival.log_labs`: the package re-exports it, and it must
stay there as long as such a version may be rolled back to. Without follow-up time its
honest log loss was about 0.64 (the class frequencies score 0.863): death by when was
never answerable, which is why the case became a survival model.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from predictions.ml.cases.cirrhosis_survival.data import FEATURES

LOGGED = tuple(
    FEATURES.index(name)
    for name in (
        "bilirubin",
        "cholesterol",
        "copper",
        "alk_phos",
        "sgot",
        "triglycerides",
        "prothrombin",
    )
)
OUTCOMES = ("C", "CL", "D")


def log_labs(matrix: np.ndarray) -> np.ndarray:
    """Log of the right-skewed labs; NaN (missing) stays NaN for the imputer."""
    matrix = np.array(matrix, dtype=float, copy=True)
    matrix[:, LOGGED] = np.log(matrix[:, LOGGED])
    return matrix


def is_outcome_classifier(model: Any) -> bool:
    """A first-generation artifact: a classifier of the three outcomes."""
    return hasattr(model, "predict_proba") and not hasattr(model, "survival_at")


def build_outcome_classifier() -> Any:
    """The first generation's production blend, as it was trained (for rollback tests)."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    from predictions.ml.blend import SoftBlend, shallow_xgboost

    logistic = make_pipeline(
        FunctionTransformer(log_labs),
        SimpleImputer(strategy="median", add_indicator=True),
        StandardScaler(),
        LogisticRegression(C=0.05, max_iter=5000),
    )
    boosting = shallow_xgboost(n_estimators=200, colsample_bytree=0.7, min_child_weight=3)
    return SoftBlend([("logistic", logistic), ("xgboost", boosting)])
