"""The model of one home's normal hours (`HomeRoutineModel`) and the columns it reads."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from predictions.ml.cases.elder_monitoring import legacy

ROOMS = ("living_room", "bedroom", "bathroom", "kitchen", "hallway")
GAS = ("co2cosirvalue", "co2mg811value", "mox1", "mox2", "mox3", "mox4", "covalue")
CLIMATE = ("temperature", "humidity")
ENVIRONMENT = (*GAS, *CLIMATE)
FEATURES = ("hour", *ROOMS, "hours_without_motion", *ENVIRONMENT)
# The environment channels that alert, and on which side of their range: a leak or a
# combustion problem raises a gas reading, a heating failure (or overheating) moves the
# temperature. A gas reading below its range and humidity signal no hazard to the
# resident: they are read, never alerted on (humidity left the training range on a
# shower day of the held-out weeks: each such alert would be false).
ALERT_SIDES = {**dict.fromkeys(GAS, (False, True)), "temperature": (True, True)}
ALERTING = tuple(ALERT_SIDES)
COMPONENTS = ("no_movement", "activity", *ALERTING)

# UTC hours; from the hour-of-day profile of activations (see the package docstring).
NIGHT_HOURS = frozenset({23, 0, 1, 2, 3, 4, 5})
MAX_QUIET_HOURS = 720
TARGET_FALSE_ALARMS = 0.01
_COMPONENT_QUANTILE = 0.99
_MIN_SCALE = 0.25
# A channel whose median sits at the edge of its range still gets a finite score.
_MIN_REACH = 1e-6
_MIN_MOTION_SCALE = 0.5
_PROBABILITY_SLOPE = 4.0
_ALERTING_COLUMNS = np.array([ENVIRONMENT.index(name) for name in ALERTING])


class HomeRoutineModel(BaseEstimator):
    """A model of one home's normal hours; a score above 1 (`threshold_`) is an alert.

    Reads the `FEATURES` matrix (NaN for a missing gas or climate value). Motion (the
    stillness surprise and activity per hour of day) gets the false-alarm budget: its
    threshold is the `1 - false_alarm_rate` quantile on the training hours. Each alerting
    environment channel alerts beyond the range it had in the training hours, widened by
    its entry in `margins` (log1p units for gas, degrees for temperature; see
    `evaluation.calibrated_margins`). With `by_hour_of_day=False` every hour shares one
    motion profile: the baseline. `window` pools the neighbouring hours of day into each
    hour's profile; `motion_quantile` sets how far above the median "usual" motion
    reaches (None: the MAD).
    """

    def __init__(
        self,
        *,
        by_hour_of_day: bool = True,
        window: int = 1,
        motion_quantile: float | None = 0.9,
        false_alarm_rate: float = TARGET_FALSE_ALARMS,
        margins: dict[str, float] | None = None,
    ) -> None:
        self.by_hour_of_day = by_hour_of_day
        self.window = window
        self.motion_quantile = motion_quantile
        self.false_alarm_rate = false_alarm_rate
        self.margins = margins

    def fit(self, X: np.ndarray, y: Any = None) -> HomeRoutineModel:
        X = np.asarray(X, dtype=float)
        self.feature_names_in_ = np.array(FEATURES, dtype=object)
        self.threshold_ = 1.0
        hours = X[:, 0].astype(int) % 24
        motion = _motion_features(X)
        quiet = motion[:, -1] == 0
        self.motion_center_ = np.empty((24, motion.shape[1]))
        self.motion_scale_ = np.empty((24, motion.shape[1]))
        self.quiet_cost_ = np.empty(24)
        all_rows = np.ones(len(X), dtype=bool)
        for hour in range(24):
            rows = _near(hours, hour, self.window) if self.by_hour_of_day else all_rows
            center, scale = _robust_motion(motion[rows], self.motion_quantile)
            self.motion_center_[hour], self.motion_scale_[hour] = center, scale
            # Laplace smoothing keeps an hour never seen quiet from costing infinity.
            self.quiet_cost_[hour] = -math.log((quiet[rows].sum() + 1) / (rows.sum() + 2))
        # Two days of cumulative costs make the sum over any run of hours a subtraction.
        self.quiet_cumsum_ = np.concatenate([[0.0], np.cumsum(np.tile(self.quiet_cost_, 2))])
        raw = self._motion_components(X)
        scale = np.maximum(np.quantile(raw, _COMPONENT_QUANTILE, axis=0), _MIN_SCALE)
        # Each motion component in units of its own 99th percentile, then one threshold on
        # the larger: the budget goes where the training hours' rare events are.
        combined = (raw / scale).max(axis=1)
        self.motion_threshold_ = scale * np.quantile(combined, 1 - self.false_alarm_rate)
        self._fit_environment(environment_features(X))
        return self

    def _fit_environment(self, env: np.ndarray) -> None:
        margins = self.margins or {}
        margin = np.array([margins.get(name, 0.0) for name in ENVIRONMENT])
        self.env_center_ = np.nanmedian(env, axis=0)
        # The range seen in training, widened by the calibrated margin.
        self.env_low_bound_ = np.nanmin(env, axis=0) - margin
        self.env_high_bound_ = np.nanmax(env, axis=0) + margin
        # In the channel's own units, for the reasons and the model card.
        self.env_low_, self.env_high_ = self.env_low_bound_.copy(), self.env_high_bound_.copy()
        n_gas = len(GAS)
        self.env_low_[:n_gas] = np.expm1(self.env_low_[:n_gas])
        self.env_high_[:n_gas] = np.expm1(self.env_high_[:n_gas])

    def thresholds(self) -> dict[str, float]:
        """Where each component alerts: the motion thresholds (stillness surprise in nats,
        activity in units of the hour's spread) and each alerting channel's bounds."""
        found = {
            "no_movement": float(self.motion_threshold_[0]),
            "activity": float(self.motion_threshold_[1]),
        }
        for name, (low_side, high_side) in ALERT_SIDES.items():
            j = ENVIRONMENT.index(name)
            if low_side:
                found[f"{name}_below"] = float(self.env_low_[j])
            if high_side:
                found[f"{name}_above"] = float(self.env_high_[j])
        return found

    def __setstate__(self, state: dict[str, Any]) -> None:
        # A first-generation version (before `margins` existed), rolled back to.
        super().__setstate__({"margins": None, **state})

    def alert_sides(self) -> dict[str, tuple[bool, bool]]:
        """The environment channels among `components()`, with the sides they alert on."""
        if legacy.is_first_generation(self):
            return dict.fromkeys(ENVIRONMENT, (True, True))
        return ALERT_SIDES

    def components(self) -> tuple[str, ...]:
        """The names of the columns of `component_scores`."""
        return ("no_movement", "activity", *self.alert_sides())

    def component_scores(self, X: np.ndarray) -> np.ndarray:
        """The `components()`, each at `threshold_` where it starts to alert (NaN -> 0: a
        missing reading)."""
        X = np.asarray(X, dtype=float)
        if legacy.is_first_generation(self):
            motion = self._motion_components(X)
            return legacy.component_scores(self, motion, environment_features(X))
        motion = self._motion_components(X) / self.motion_threshold_
        env = environment_features(X)[:, _ALERTING_COLUMNS]
        center = self.env_center_[_ALERTING_COLUMNS]
        up = np.maximum(self.env_high_bound_[_ALERTING_COLUMNS] - center, _MIN_REACH)
        down = np.maximum(center - self.env_low_bound_[_ALERTING_COLUMNS], _MIN_REACH)
        high, low = (env - center) / up, (center - env) / down
        low_side = np.array([ALERT_SIDES[name][0] for name in ALERTING])
        # Distance from the median as a share of the way to the bound: 1 at the bound.
        beyond = np.where(low_side, np.fmax(high, low), high)
        return np.nan_to_num(np.column_stack([motion, np.clip(beyond, 0, None)]), nan=0.0)

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """The anomaly score: the largest component."""
        return self.component_scores(X).max(axis=1)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Columns ("alert", "normal"); the alert probability is 0.5 at the threshold."""
        alert = alert_probability(self.score_samples(X), self.threshold_)
        return np.column_stack([alert, 1 - alert])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """ "alert" where the score passes the threshold, else "normal"."""
        return np.where(self.score_samples(X) > self.threshold_, "alert", "normal")

    @property
    def classes_(self) -> np.ndarray:
        return np.array(["alert", "normal"])

    def _motion_components(self, X: np.ndarray) -> np.ndarray:
        hours = X[:, 0].astype(int) % 24
        quiet_hours = np.minimum(X[:, 6], MAX_QUIET_HOURS).astype(int)
        # hours_without_motion counts this hour too: the run is hours h-k+1 .. h.
        days, rest = np.divmod(quiet_hours, 24)
        end = hours + 24
        partial = self.quiet_cumsum_[end + 1] - self.quiet_cumsum_[end + 1 - rest]
        stillness = days * self.quiet_cost_.sum() + partial
        z = (_motion_features(X) - self.motion_center_[hours]) / self.motion_scale_[hours]
        activity = np.clip(z, 0, None).max(axis=1)
        return np.column_stack([stillness, activity])


def alert_probability(score: np.ndarray, threshold: float) -> np.ndarray:
    """Monotonic map of the score to (0, 1): s^a / (s^a + t^a), 0.5 at the threshold."""
    ratio = np.power(np.maximum(score, 0) / threshold, _PROBABILITY_SLOPE)
    return ratio / (1 + ratio)


def _motion_features(X: np.ndarray) -> np.ndarray:
    rooms = X[:, 1:6]
    return np.log1p(np.column_stack([rooms, rooms.sum(axis=1)]))


def environment_features(X: np.ndarray) -> np.ndarray:
    """The environment columns on the model's scale (log1p for gas, as read for climate)."""
    env = np.asarray(X, dtype=float)[:, 7:].copy()
    # Gas readings have long right tails (cooking); on a log scale they are near-symmetric.
    env[:, : len(GAS)] = np.log1p(np.clip(env[:, : len(GAS)], 0, None))
    return env


def _robust_motion(values: np.ndarray, quantile: float | None) -> tuple[np.ndarray, np.ndarray]:
    center = np.median(values, axis=0)
    if quantile is None:
        scale = 1.4826 * np.median(np.abs(values - center), axis=0)
        return center, np.maximum(scale, _MIN_MOTION_SCALE)
    # Counts are zero-inflated (a quiet night has MAD 0): the spread up to an upper
    # quantile of the hour says what "more than usual" means at that hour.
    upper = np.quantile(values, quantile, axis=0) - center
    return center, np.maximum(upper, _MIN_MOTION_SCALE)


def _near(hours: np.ndarray, hour: int, window: int) -> np.ndarray:
    distance = np.abs(hours - hour)
    return np.minimum(distance, 24 - distance) <= window
