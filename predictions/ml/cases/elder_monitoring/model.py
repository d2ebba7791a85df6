"""The model of one home's normal hours (`HomeRoutineModel`) and the columns it reads."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

ROOMS = ("living_room", "bedroom", "bathroom", "kitchen", "hallway")
ROOM_COLUMNS = ("Living room", "Bedroom", "Bathroom", "Kitchen", "Hallway")
GAS = ("co2cosirvalue", "co2mg811value", "mox1", "mox2", "mox3", "mox4", "covalue")
CLIMATE = ("temperature", "humidity")
ENVIRONMENT = (*GAS, *CLIMATE)
FEATURES = ("hour", *ROOMS, "hours_without_motion", *ENVIRONMENT)
COMPONENTS = ("no_movement", "activity", *ENVIRONMENT)

# UTC hours; from the hour-of-day profile of activations (see the package docstring).
NIGHT_HOURS = frozenset({23, 0, 1, 2, 3, 4, 5})
MAX_QUIET_HOURS = 720
TARGET_FALSE_ALARMS = 0.01
_COMPONENT_QUANTILE = 0.99
_MIN_SCALE = 0.25
_MIN_MOTION_SCALE = 0.5
_PROBABILITY_SLOPE = 4.0


class HomeRoutineModel(BaseEstimator):
    """A model of one home's normal hours; high scores are unusual hours.

    Reads the `FEATURES` matrix (NaN for a missing gas or climate value). With
    `by_hour_of_day=False` every hour shares one profile: the baseline. `window` pools the
    neighbouring hours of day into each hour's profile; `motion_quantile` sets how far
    above the median "usual" motion reaches (None: the MAD).
    """

    def __init__(
        self,
        *,
        by_hour_of_day: bool = True,
        window: int = 1,
        motion_quantile: float | None = 0.9,
        false_alarm_rate: float = TARGET_FALSE_ALARMS,
    ) -> None:
        self.by_hour_of_day = by_hour_of_day
        self.window = window
        self.motion_quantile = motion_quantile
        self.false_alarm_rate = false_alarm_rate

    def fit(self, X: np.ndarray, y: Any = None) -> HomeRoutineModel:
        X = np.asarray(X, dtype=float)
        self.feature_names_in_ = np.array(FEATURES, dtype=object)
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
        env = _environment_features(X)
        self.env_center_, self.env_scale_ = _robust(env)
        raw = self._components(X)
        self.component_scale_ = np.maximum(
            np.nanquantile(raw, _COMPONENT_QUANTILE, axis=0), _MIN_SCALE
        )
        combined = self._normalised(raw).max(axis=1)
        self.threshold_ = float(np.quantile(combined, 1 - self.false_alarm_rate))
        # The normal range of each environment channel, in its own units, for the reasons.
        reach = self.threshold_ * self.component_scale_[2:] * self.env_scale_
        low, high = self.env_center_ - reach, self.env_center_ + reach
        n_gas = len(GAS)
        low[:n_gas], high[:n_gas] = np.expm1(low[:n_gas]), np.expm1(high[:n_gas])
        self.env_low_, self.env_high_ = low, high
        return self

    def component_scores(self, X: np.ndarray) -> np.ndarray:
        """Each component divided by its training scale (NaN -> 0: a missing reading)."""
        return self._normalised(self._components(np.asarray(X, dtype=float)))

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """The anomaly score: the largest normalised component."""
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

    def _components(self, X: np.ndarray) -> np.ndarray:
        hours = X[:, 0].astype(int) % 24
        quiet_hours = np.minimum(X[:, 6], MAX_QUIET_HOURS).astype(int)
        # hours_without_motion counts this hour too: the run is hours h-k+1 .. h.
        days, rest = np.divmod(quiet_hours, 24)
        end = hours + 24
        partial = self.quiet_cumsum_[end + 1] - self.quiet_cumsum_[end + 1 - rest]
        stillness = days * self.quiet_cost_.sum() + partial
        z = (_motion_features(X) - self.motion_center_[hours]) / self.motion_scale_[hours]
        activity = np.clip(z, 0, None).max(axis=1)
        env = np.abs(_environment_features(X) - self.env_center_) / self.env_scale_
        return np.column_stack([stillness, activity, env])

    def _normalised(self, raw: np.ndarray) -> np.ndarray:
        return np.nan_to_num(raw / self.component_scale_, nan=0.0)


def alert_probability(score: np.ndarray, threshold: float) -> np.ndarray:
    """Monotonic map of the score to (0, 1): s^a / (s^a + t^a), 0.5 at the threshold."""
    ratio = np.power(np.maximum(score, 0) / threshold, _PROBABILITY_SLOPE)
    return ratio / (1 + ratio)


def _motion_features(X: np.ndarray) -> np.ndarray:
    rooms = X[:, 1:6]
    return np.log1p(np.column_stack([rooms, rooms.sum(axis=1)]))


def _environment_features(X: np.ndarray) -> np.ndarray:
    env = X[:, 7:].copy()
    # Gas readings have long right tails (cooking); on a log scale they are near-symmetric.
    env[:, : len(GAS)] = np.log1p(np.clip(env[:, : len(GAS)], 0, None))
    return env


def _robust_motion(values: np.ndarray, quantile: float | None) -> tuple[np.ndarray, np.ndarray]:
    if quantile is None:
        center, scale = _robust(values)
        return center, np.maximum(scale, _MIN_MOTION_SCALE)
    # Counts are zero-inflated (a quiet night has MAD 0): the spread up to an upper
    # quantile of the hour says what "more than usual" means at that hour.
    center = np.median(values, axis=0)
    upper = np.quantile(values, quantile, axis=0) - center
    return center, np.maximum(upper, _MIN_MOTION_SCALE)


def _near(hours: np.ndarray, hour: int, window: int) -> np.ndarray:
    distance = np.abs(hours - hour)
    return np.minimum(distance, 24 - distance) <= window


def _robust(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    center = np.nanmedian(values, axis=0)
    scale = 1.4826 * np.nanmedian(np.abs(values - center), axis=0)
    # A channel that hardly moves (MAD near 0) would make any change look infinitely
    # unusual: the floor bounds the z-score.
    return center, np.maximum(scale, _MIN_SCALE)
