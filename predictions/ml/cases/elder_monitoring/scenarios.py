"""The anomalous hours the alerts are judged on: four scenarios fixed before the detector
was changed, each with its magnitude drawn across stated ranges, some of which lie inside
the normal range on purpose. None of them reads the detector's thresholds: magnitudes are
in the units a caregiver would state them (still hours, activations, times the training
maximum, degrees below the training minimum)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from predictions.ml.cases.elder_monitoring.data import DAYTIME_HOURS
from predictions.ml.cases.elder_monitoring.model import GAS, NIGHT_HOURS, ROOMS

# Hours drawn per magnitude range in each half of the held-out days.
PER_RANGE = 150


@dataclass(frozen=True)
class Scenario:
    """One kind of anomaly: what it stands for, its magnitude's unit and ranges, and the
    boundary range a bar holds it to (None: reported, no bar)."""

    kind: str
    stands_for: str
    unit: str
    ranges: tuple[tuple[float, float], ...]
    boundary: tuple[float, float] | None
    integer: bool = False

    def label(self, low: float, high: float) -> str:
        return f"{low:g}" if low == high else f"{low:g}-{high:g}"


SCENARIOS = (
    Scenario(
        "no_movement",
        "a fall or a collapse in the day: a daytime hour (08-20 UTC) with no motion, the "
        "last of k still hours in a row (1-2 are everyday life, 95 % of still daytime hours)",
        "still hours in a row",
        tuple((k, k) for k in range(1, 9)),
        boundary=(3, 3),
        integer=True,
    ),
    Scenario(
        "night_activity",
        "wandering at night: a night hour (23-05 UTC) with n activations spread over the "
        "rooms like a daytime hour's (this resident's own nights reach 15 in 1 % of hours)",
        "activations in the hour",
        ((1, 4), (5, 9), (10, 14), (15, 19), (20, 29), (30, 44)),
        boundary=None,
        integer=True,
    ),
    Scenario(
        "gas",
        "a leak or a combustion problem: one gas channel (any of the seven) at m times its "
        "training maximum (below 1: inside the range seen)",
        "times the training maximum",
        ((0.5, 0.75), (0.75, 1.0), (1.0, 1.1), (1.1, 1.25), (1.25, 1.5), (1.5, 2.0)),
        boundary=(1.0, 1.1),
    ),
    Scenario(
        "cold",
        "a heating failure: the temperature d degrees below the training minimum (negative: "
        "above it, inside the range seen)",
        "degrees C below the training minimum",
        ((-2, 0), (0, 1), (1, 3), (3, 5), (5, 8)),
        boundary=(1, 3),
    ),
)


def scenario_hours(
    scenario: Scenario,
    normal: pd.DataFrame,
    train: pd.DataFrame,
    rng: np.random.Generator,
    *,
    per_range: int = PER_RANGE,
) -> tuple[pd.DataFrame, np.ndarray]:
    """`per_range` anomalous hours for each magnitude range, made from `normal` hours;
    returns the rows (their timestamps stay those of the hours they were made from) and
    each row's range label."""
    frames, labels = [], []
    for low, high in scenario.ranges:
        if scenario.integer:
            magnitude = rng.integers(int(low), int(high) + 1, size=per_range)
        else:
            magnitude = rng.uniform(low, high, size=per_range)
        frames.append(_MAKERS[scenario.kind](normal, train, magnitude, rng))
        labels.append(np.full(per_range, scenario.label(low, high)))
    return pd.concat(frames), np.concatenate(labels)


def _pick(pool: pd.DataFrame, size: int, rng: np.random.Generator) -> pd.DataFrame:
    return pool.iloc[rng.choice(len(pool), size=size)].copy()


def _still_day(normal, train, still_hours, rng) -> pd.DataFrame:
    rows = _pick(normal[normal["hour"].isin(DAYTIME_HOURS)], len(still_hours), rng)
    rows[list(ROOMS)] = 0
    rows["hours_without_motion"] = still_hours
    return rows


def _busy_night(normal, train, activations, rng) -> pd.DataFrame:
    rows = _pick(normal[normal["hour"].isin(NIGHT_HOURS)], len(activations), rng)
    daytime = normal[normal["hour"].isin(DAYTIME_HOURS)][list(ROOMS)]
    moving = daytime[daytime.sum(axis=1) > 0].to_numpy(dtype=float)
    shares = moving[rng.choice(len(moving), size=len(activations))]
    shares /= shares.sum(axis=1, keepdims=True)
    rows[list(ROOMS)] = rng.multinomial(activations, shares)
    rows["hours_without_motion"] = 0
    return rows


def _gas_leak(normal, train, times_maximum, rng) -> pd.DataFrame:
    rows = _pick(normal, len(times_maximum), rng)
    channels = rng.choice(len(GAS), size=len(times_maximum))
    values = rows[list(GAS)].to_numpy(copy=True)
    highs = train[list(GAS)].max().to_numpy()[channels]
    values[np.arange(len(rows)), channels] = highs * times_maximum
    rows[list(GAS)] = values
    return rows


def _cold_house(normal, train, degrees_below, rng) -> pd.DataFrame:
    rows = _pick(normal, len(degrees_below), rng)
    rows["temperature"] = train["temperature"].min() - degrees_below
    return rows


_MAKERS = {
    "no_movement": _still_day,
    "night_activity": _busy_night,
    "gas": _gas_leak,
    "cold": _cold_house,
}
