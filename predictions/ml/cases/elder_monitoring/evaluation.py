"""How alerts are judged: false alarms on held-out normal hours, detection of the stated
scenarios at each magnitude, precision at stated prevalences, each with a 95 % interval
from a bootstrap over the held-out days (see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from predictions.ml.cases.elder_monitoring.data import hours_matrix, split_hours
from predictions.ml.cases.elder_monitoring.model import (
    ALERT_SIDES,
    COMPONENTS,
    ENVIRONMENT,
    HomeRoutineModel,
    environment_features,
)
from predictions.ml.cases.elder_monitoring.scenarios import (
    PER_RANGE,
    SCENARIOS,
    scenario_hours,
)

# One anomalous hour a day, a week, a month.
PREVALENCES = {"day": 1 / 24, "week": 1 / (24 * 7), "month": 1 / (24 * 30)}
BOOTSTRAP_ROUNDS = 2000
SEED = 0


def fit_calibrated(
    estimator: HomeRoutineModel, train: pd.DataFrame, calibration: pd.DataFrame
) -> HomeRoutineModel:
    """`estimator` fitted on `train` with its environment margins calibrated on the
    `calibration` normal hours (`calibrated_margins`)."""
    margins = calibrated_margins(train, calibration)
    return clone(estimator).set_params(margins=margins).fit(hours_matrix(train))


def fit_served(estimator: HomeRoutineModel, frame: pd.DataFrame) -> HomeRoutineModel:
    """The model served: fitted on all the occupied hours, with the margins calibrated on
    the held-out hours against the hours before them (how far the later ones went)."""
    train, normal, _ = split_hours(frame)
    margins = calibrated_margins(train, normal)
    occupied = frame[(frame["period"] == "occupied") & ~frame["outage"]]
    return clone(estimator).set_params(margins=margins).fit(hours_matrix(occupied))


def calibrated_margins(train: pd.DataFrame, calibration: pd.DataFrame) -> dict[str, float]:
    """How far each alerting channel of the normal `calibration` hours went beyond the
    range it had in `train` (0 where it stayed inside), on the model's scale.

    With these margins no calibration hour raises an environment alert: the false-alarm
    budget is left to motion, where everyday life has rare hours; an environment alert
    should mean a hazard. Later hours that drift further than any calibration hour did
    (a colder spell) still alert, and the held-out figures count them.
    """
    seen = environment_features(hours_matrix(train))
    later = environment_features(hours_matrix(calibration))
    margins = {}
    for name, (low_side, high_side) in ALERT_SIDES.items():
        j = ENVIRONMENT.index(name)
        beyond = [0.0]
        if high_side:
            beyond.append(np.nanmax(later[:, j]) - np.nanmax(seen[:, j]))
        if low_side:
            beyond.append(np.nanmin(seen[:, j]) - np.nanmin(later[:, j]))
        margins[name] = float(np.nanmax(beyond))
    return margins


def evaluate_alerts(estimator: HomeRoutineModel, frame: pd.DataFrame) -> dict[str, Any]:
    """Fit on the first 70 % of the occupied hours, calibrate and judge on the rest.

    The held-out days are cross-fitted in two halves (alternate days): each half is judged
    by the model whose margins were calibrated on the other half, so no hour is judged by
    a model that saw it. Scenario hours are made from the judged half's hours.
    """
    train, normal, still_days = split_hours(frame)
    day = _day_codes(normal["timestamp"])
    rng = np.random.default_rng(SEED)
    judged = _cross_fitted(estimator, train, normal, day, rng)
    weights = _day_weights(int(day.max()) + 1, rng)
    false_alarm_rate = _rate(judged.false_alarm, day, weights)
    detection = {
        key: _rate(np.concatenate(alerts), np.concatenate(days), weights)
        for key, (alerts, days) in judged.caught.items()
    }
    metrics: dict[str, Any] = {"false_alarm_rate": _summary(*false_alarm_rate)}
    boundary = []
    for scenario in SCENARIOS:
        if scenario.boundary is not None:
            found = detection[(scenario.kind, scenario.label(*scenario.boundary))]
            metrics[f"detection_boundary_{scenario.kind}"] = _summary(*found)
            boundary.append(found)
    metrics.update(_precision_at_prevalences(boundary, false_alarm_rate))
    # The pessimistic reading: calibrated on the first half of the held-out days only and
    # judged on the second, where a colder spell than any calibration day came.
    later = day >= (int(day.max()) + 1) // 2
    forward = fit_calibrated(estimator, train, normal[~later])
    metrics["false_alarm_rate_calibrated_on_earlier_days"] = _judged(
        forward, normal[later], day[later] - day[later].min(), rng
    )
    final = fit_calibrated(estimator, train, normal)
    empty_day = _day_codes(still_days["timestamp"])
    metrics["detection_empty_house"] = _judged(final, still_days, empty_day, rng)
    metrics["detection_by_magnitude"] = {
        scenario.kind: {
            scenario.label(*bounds): _summary(*detection[(scenario.kind, scenario.label(*bounds))])
            for bounds in scenario.ranges
        }
        for scenario in SCENARIOS
    }
    metrics["false_alarms_by_component"] = judged.by_component
    served = fit_served(estimator, frame)
    metrics["threshold"] = served.threshold_
    # Where the served model alerts, in each component's own units.
    metrics["thresholds"] = served.thresholds()
    metrics["margins"] = served.margins
    metrics["labelled_set"] = {
        "train_hours": len(train),
        "normal_test_hours": len(normal),
        "test_days": int(day.max()) + 1,
        "test_from": normal["timestamp"].iloc[0].isoformat(),
        "empty_house_still_hours": len(still_days),
        "scenario_hours_per_range": 2 * PER_RANGE,
        "bootstrap_rounds": BOOTSTRAP_ROUNDS,
    }
    return metrics


def _precision_at_prevalences(
    boundary: list[tuple[float, np.ndarray]], false_alarm_rate: tuple[float, np.ndarray]
) -> dict[str, Any]:
    """Precision when one hour in a day / week / month is anomalous, at the boundary
    magnitudes (the three kinds equally likely): per bootstrap round, from that round's
    detection and false-alarm rate."""
    point = precision_at_prevalence(np.mean([found[0] for found in boundary]), false_alarm_rate[0])
    rounds = precision_at_prevalence(
        np.mean([found[1] for found in boundary], axis=0), false_alarm_rate[1]
    )
    return {f"precision_one_a_{name}": _summary(point[name], rounds[name]) for name in PREVALENCES}


@dataclass
class _Judged:
    """Alerts of the cross-fitted models: on each held-out normal hour, and per
    (scenario, magnitude range) the alerts and days of its hours."""

    false_alarm: np.ndarray
    by_component: dict[str, int]
    caught: dict[tuple[str, str], tuple[list[np.ndarray], list[np.ndarray]]]


def _cross_fitted(
    estimator: HomeRoutineModel,
    train: pd.DataFrame,
    normal: pd.DataFrame,
    day: np.ndarray,
    rng: np.random.Generator,
) -> _Judged:
    half = day % 2
    false_alarm = np.zeros(len(normal), dtype=bool)
    by_component = np.zeros(len(COMPONENTS), dtype=int)
    caught: dict[tuple[str, str], tuple[list[np.ndarray], list[np.ndarray]]] = {}
    for judged in (0, 1):
        model = fit_calibrated(estimator, train, normal[half != judged])
        scored = normal[half == judged]
        components = model.component_scores(hours_matrix(scored)) > model.threshold_
        false_alarm[half == judged] = components.any(axis=1)
        by_component += components.sum(axis=0)
        for scenario in SCENARIOS:
            rows, labels = scenario_hours(scenario, scored, train, rng)
            alerts = model.score_samples(hours_matrix(rows)) > model.threshold_
            days = _day_codes(rows["timestamp"], start=normal["timestamp"].iloc[0])
            for label in dict.fromkeys(labels):
                chosen = labels == label
                found = caught.setdefault((scenario.kind, label), ([], []))
                found[0].append(alerts[chosen])
                found[1].append(days[chosen])
    return _Judged(false_alarm, dict(zip(COMPONENTS, by_component.tolist(), strict=True)), caught)


def _judged(
    model: HomeRoutineModel, hours: pd.DataFrame, day: np.ndarray, rng: np.random.Generator
) -> dict[str, float]:
    """The share of `hours` that alert, with its own bootstrap over their days."""
    alerts = model.score_samples(hours_matrix(hours)) > model.threshold_
    return _summary(*_rate(alerts, day, _day_weights(int(day.max()) + 1, rng)))


def precision_at_prevalence(recall: Any, false_alarm_rate: Any) -> dict[str, Any]:
    """The share of alerts that are real when one hour in a day / week / month is anomalous:
    recall * p / (recall * p + false-alarm rate * (1 - p))."""
    return {
        name: recall * p / np.maximum(recall * p + false_alarm_rate * (1 - p), 1e-12)
        for name, p in PREVALENCES.items()
    }


def _day_codes(timestamps: pd.Series, start: pd.Timestamp | None = None) -> np.ndarray:
    """Days since the first day (of `timestamps`, or of `start`)."""
    days = timestamps.dt.floor("D")
    first = days.iloc[0] if start is None else start.floor("D")
    return ((days - first).dt.days).to_numpy()


def _day_weights(n_days: int, rng: np.random.Generator) -> np.ndarray:
    """How often each day is drawn in each bootstrap round: days, not hours, are resampled
    because the hours of one day (its weather, its routine) are not independent."""
    return rng.multinomial(n_days, np.full(n_days, 1 / n_days), size=BOOTSTRAP_ROUNDS)


def _rate(hits: np.ndarray, day: np.ndarray, weights: np.ndarray) -> tuple[float, np.ndarray]:
    """The share of `hits`, and its value in each bootstrap round of days."""
    n_days = weights.shape[1]
    per_day_hits = np.bincount(day, weights=hits.astype(float), minlength=n_days)
    per_day_total = np.bincount(day, minlength=n_days).astype(float)
    rounds = (weights @ per_day_hits) / np.maximum(weights @ per_day_total, 1)
    return float(hits.mean()), rounds


def _summary(point: float, rounds: np.ndarray) -> dict[str, float]:
    """The figure with the bootstrap's spread and 95 % percentile interval."""
    low, high = np.percentile(rounds, [2.5, 97.5])
    return {
        "mean": float(point),
        "std": float(np.std(rounds)),
        "ci_low": float(low),
        "ci_high": float(high),
    }
