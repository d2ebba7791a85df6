"""Judging a survival model: 5x5-fold CV, discrimination, Brier score and calibration.

Folds are stratified by death, every model is fitted on the training part only. Per fold:
Harrell's C (concordance of risk scores with the order of deaths), Uno's C (the same,
weighted by the inverse probability of censoring, up to 10 years, less sensitive to the
censoring pattern), and the integrated Brier score from 1 to 10 years (mean squared error
of the predicted survival probability, censoring-weighted), with the Kaplan-Meier curve of
the training part scored the same way as the no-information reference. Each figure gets
the Nadeau-Bengio 95 % interval.

Calibration uses the first repeat, where every patient is predicted once by a model that
never saw them: at each horizon the patients are split into quarters of their predicted
survival, and the mean prediction of a quarter is set against its Kaplan-Meier estimate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.model_selection import RepeatedStratifiedKFold
from sksurv.metrics import (
    concordance_index_censored,
    concordance_index_ipcw,
    integrated_brier_score,
)
from sksurv.nonparametric import kaplan_meier_estimator

from predictions.ml.cases.cirrhosis_survival.model import CURVE_YEARS, HORIZONS, RISK_GROUPS
from predictions.ml.evaluation import fold_summary

BRIER_YEARS = np.arange(1.0, 10.01, 0.25)
UNO_TAU_YEARS = 10.0
CALIBRATION_GROUPS = 4


def kaplan_meier_at(target: np.ndarray, years: Any) -> np.ndarray:
    """The Kaplan-Meier survival of `target` at `years`; NaN past its last follow-up."""
    times, survival = kaplan_meier_estimator(target["died"], target["years"])
    steps = np.searchsorted(times, years, side="right") - 1
    values = np.where(steps >= 0, survival[np.maximum(steps, 0)], 1.0)
    return np.where(np.asarray(years) > times[-1], np.nan, values)


def _fold_scores(model: Any, train: np.ndarray, test: np.ndarray, X_test: Any) -> dict:
    scores = model.predict(X_test)
    follow = test["years"]
    # The Brier score is defined only within the test part's follow-up.
    inside = (follow.min() <= BRIER_YEARS) & (follow.max() > BRIER_YEARS)
    years = BRIER_YEARS[inside]
    reference = np.tile(kaplan_meier_at(train, years), (len(test), 1))
    return {
        "harrell_c": concordance_index_censored(test["died"], follow, scores)[0],
        "uno_c": concordance_index_ipcw(train, test, scores, tau=UNO_TAU_YEARS)[0],
        "integrated_brier": integrated_brier_score(
            train, test, model.survival_at(X_test, years), years
        ),
        "integrated_brier_km": integrated_brier_score(train, test, reference, years),
    }


def cross_validate_survival(
    build: Callable[[], Any],
    X: np.ndarray,
    y: np.ndarray,
    *,
    repeats: int = 5,
    risk_groups: bool = True,
) -> dict[str, Any]:
    """Metrics of `build()` over repeated stratified 5-fold CV, with out-of-fold views
    (calibration, and with `risk_groups` the survival of each risk group the model puts
    patients in)."""
    folds: dict[str, list[float]] = {}
    held_out: list[tuple[np.ndarray, Any]] = []
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=repeats, random_state=0)
    for number, (train, test) in enumerate(cv.split(X, y["died"])):
        model = build().fit(X[train], y[train])
        for name, value in _fold_scores(model, y[train], y[test], X[test]).items():
            folds.setdefault(name, []).append(float(value))
        if number < 5:  # the first repeat: every patient once
            held_out.append((test, model))
    # Concordance and Brier scores all lie in [0, 1].
    metrics: dict[str, Any] = {
        name: fold_summary(values, within=(0.0, 1.0)) for name, values in folds.items()
    }
    index = np.concatenate([test for test, _ in held_out])
    at_horizons = np.vstack([model.survival_at(X[test], HORIZONS) for test, model in held_out])
    metrics["calibration"] = [
        _calibration_at(horizon, at_horizons[:, column], y[index])
        for column, horizon in enumerate(HORIZONS)
    ]
    if risk_groups:
        metrics.update(_risk_group_views(X, y[index], held_out))
    return metrics


def _risk_group_views(
    X: np.ndarray, target: np.ndarray, held_out: list[tuple[np.ndarray, Any]]
) -> dict[str, Any]:
    curves = np.vstack([model.survival_at(X[test], CURVE_YEARS) for test, model in held_out])
    groups = np.concatenate([model.risk_group(model.predict(X[test])) for test, model in held_out])
    return {
        "risk_groups": [
            {
                "group": group,
                "patients": int((groups == group).sum()),
                "predicted": _rounded(curves[groups == group].mean(axis=0)),
                "observed": _rounded(kaplan_meier_at(target[groups == group], CURVE_YEARS)),
            }
            for group in RISK_GROUPS
        ],
        "curve_years": list(CURVE_YEARS),
    }


def _calibration_at(horizon: int, predicted: np.ndarray, target: np.ndarray) -> dict[str, Any]:
    quarters = np.array_split(np.argsort(predicted), CALIBRATION_GROUPS)
    return {
        "years": horizon,
        "predicted": _rounded([predicted[part].mean() for part in quarters]),
        "observed": _rounded([kaplan_meier_at(target[part], [horizon])[0] for part in quarters]),
        "patients": [len(part) for part in quarters],
    }


def _rounded(values: Any) -> list[float | None]:
    return [None if np.isnan(v) else round(float(v), 4) for v in np.asarray(values, float)]
