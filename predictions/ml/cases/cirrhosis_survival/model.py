"""The survival model of case 5: a Cox proportional-hazards model on a few baseline values.

`CoxSurvival` reads the full feature matrix of `data.FEATURES` (what the API builds) and
uses the columns it is given by name: log-transformed skewed labs, the training part's
medians for missing values, standardisation, then scikit-survival's Cox model with a
small ridge penalty (`alpha`, fixed in advance for numerical stability, not tuned). At
fit time it keeps the Breslow baseline cumulative hazard on a fixed grid, so serving one
patient is a dot product and an exponent: S(t | x) = exp(-H0(t) * exp(x . beta)).

Risk groups are the thirds of the training patients' risk scores (the linear
predictor): "low", "medium", "high"; the cut points travel with the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sksurv.linear_model import CoxPHSurvivalAnalysis

from predictions.ml.cases.cirrhosis_survival.data import FEATURES

# The published Mayo model's five variables (Dickson et al., Hepatology 1989), fitted on
# this very trial.
MAYO = ("age_years", "edema", "bilirubin", "albumin", "prothrombin")
# Right-skewed labs enter as logarithms, as in the Mayo model.
LOGGED = frozenset({"bilirubin", "albumin", "prothrombin", "copper", "sgot"})
HORIZONS = (1, 2, 5, 10)
# The curve served per patient: every half year from 0 to 12 (follow-up reaches 13.1).
CURVE_YEARS = tuple(float(t) for t in np.arange(0.0, 12.01, 0.5))
RISK_GROUPS = ("low", "medium", "high")
# Where the baseline hazard is kept: the evaluation's times (every quarter year), the
# horizons and the curve's points all fall on it, so no value served or scored is
# interpolated.
GRID_YEARS = np.arange(0.0, 13.01, 0.05)


class CoxSurvival(BaseEstimator):
    """Cox model on `columns` of the `FEATURES` matrix; `y` has fields (died, years)."""

    def __init__(self, columns: Sequence[str] = MAYO, alpha: float = 1.0) -> None:
        self.columns = columns
        self.alpha = alpha

    def fit(self, X: Any, y: np.ndarray) -> CoxSurvival:
        self.index_ = [FEATURES.index(name) for name in self.columns]
        self.logged_ = [i for i, name in enumerate(self.columns) if name in LOGGED]
        selected = self._selected(X)
        # Medians, means and scales kept as arrays: serving one row is then plain NumPy,
        # without a scikit-learn transformer's checks on every call.
        self.medians_ = np.nanmedian(selected, axis=0)
        filled = np.where(np.isnan(selected), self.medians_, selected)
        self.means_ = filled.mean(axis=0)
        self.scales_ = np.where(filled.std(axis=0) > 0, filled.std(axis=0), 1.0)
        inputs = (filled - self.means_) / self.scales_
        cox = CoxPHSurvivalAnalysis(alpha=self.alpha).fit(inputs, y)
        self.coef_ = np.asarray(cox.coef_, dtype=float)
        hazard = cox.cum_baseline_hazard_
        self.grid_ = np.unique(np.concatenate([GRID_YEARS, CURVE_YEARS, HORIZONS]))
        # A step function: zero before the first death, flat after the last follow-up
        # (later times extrapolate nothing, the curve keeps its last known value).
        steps = np.searchsorted(hazard.x, self.grid_, side="right") - 1
        self.baseline_hazard_ = np.where(steps >= 0, hazard.y[np.maximum(steps, 0)], 0.0)
        self.risk_cuts_ = np.quantile(inputs @ self.coef_, [1 / 3, 2 / 3])
        self.n_features_in_ = len(FEATURES)
        return self

    def _selected(self, X: Any) -> np.ndarray:
        chosen = np.array(np.asarray(X, dtype=float)[:, self.index_], copy=True)
        chosen[:, self.logged_] = np.log(chosen[:, self.logged_])
        return chosen

    def predict(self, X: Any) -> np.ndarray:
        """Risk scores: the linear predictor (log hazard ratio against the average patient)."""
        selected = self._selected(X)
        filled = np.where(np.isnan(selected), self.medians_, selected)
        return ((filled - self.means_) / self.scales_) @ self.coef_

    def survival_at(
        self, X: Any, years: Sequence[float], scores: np.ndarray | None = None
    ) -> np.ndarray:
        """Survival probabilities, one row per patient, one column per time in `years`
        (`scores`, when given, are `predict(X)` already computed)."""
        scores = self.predict(X) if scores is None else scores
        hazard = np.interp(years, self.grid_, self.baseline_hazard_)
        return np.exp(-np.outer(np.exp(scores), hazard))

    def risk_group(self, scores: np.ndarray) -> list[str]:
        return [RISK_GROUPS[i] for i in np.searchsorted(self.risk_cuts_, scores)]

    def feature_names(self) -> list[str]:
        return list(self.columns)


def survival_result(model: CoxSurvival, X: np.ndarray) -> list[dict[str, Any]]:
    """One result per patient: risk group and score, survival at the horizons, the curve."""
    scores = model.predict(X)
    at_horizons = model.survival_at(X, HORIZONS, scores)
    curves = model.survival_at(X, CURVE_YEARS, scores)
    return [
        {
            "label": group,
            "risk_group": group,
            "risk_score": round(float(score), 4),
            "survival_at": {
                f"{years}y": round(float(p), 4) for years, p in zip(HORIZONS, row, strict=True)
            },
            "survival_curve": [
                {"years": years, "survival": round(float(p), 4)}
                for years, p in zip(CURVE_YEARS, curve, strict=True)
            ],
        }
        for score, group, row, curve in zip(
            scores, model.risk_group(scores), at_horizons, curves, strict=True
        )
    ]
