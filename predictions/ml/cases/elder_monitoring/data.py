"""The hourly table built from the two sensor files, the time split and the injected
anomalous hours of the labelled set (see the package docstring)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from predictions.ml.cases.base import dataset_file
from predictions.ml.cases.elder_monitoring.model import (
    ENVIRONMENT,
    FEATURES,
    GAS,
    NIGHT_HOURS,
    ROOMS,
)

DATASET_FILES = ("case_3/database_pos.csv", "case_3/gas_hourly_means.csv")
ROOM_COLUMNS = ("Living room", "Bedroom", "Bathroom", "Kitchen", "Hallway")
DAYTIME_HOURS = frozenset(range(8, 21))
OCCUPIED_UNTIL = pd.Timestamp("2020-01-25", tz="UTC")
EMPTY_FROM = pd.Timestamp("2020-01-27", tz="UTC")  # 01-25 and 01-26 still have evening use
TRAIN_FRACTION = 0.7
INJECTED_PER_KIND = 40


def hourly_table(datasets_dir: Path) -> pd.DataFrame:
    """One row per hour of the gas file: activations per room, quiet run, gas and period."""
    motion_file, gas_file = (dataset_file(datasets_dir, name) for name in DATASET_FILES)
    events = pd.read_csv(motion_file)
    events["datetime"] = pd.to_datetime(events["datetime"], utc=True, format="ISO8601")
    long = events.melt(id_vars="datetime", value_vars=list(ROOM_COLUMNS), var_name="room")
    starts = long[long["value"] == 1.0]
    counts = (
        starts.assign(hour=starts["datetime"].dt.floor("h"))
        .groupby(["hour", "room"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=list(ROOM_COLUMNS), fill_value=0)
    )
    gas = pd.read_csv(gas_file)
    gas["timestamp"] = pd.to_datetime(gas["timestamp"], utc=True)
    gas = gas.set_index("timestamp")
    start = min(counts.index.min().floor("D"), gas.index.min())
    index = pd.date_range(start, gas.index.max(), freq="h", tz="UTC")
    frame = counts.reindex(index, fill_value=0)
    frame.columns = list(ROOMS)
    frame = frame.join(gas[list(ENVIRONMENT)])
    frame["outage"] = frame[list(ENVIRONMENT)].isna().all(axis=1) & (frame.index >= gas.index.min())
    quiet = frame[list(ROOMS)].sum(axis=1) == 0
    run = (~quiet).cumsum()
    frame["hours_without_motion"] = quiet.astype(int).groupby(run).cumsum()
    # A quiet run that crosses an outage is of unknown length.
    frame["outage"] = (
        frame["outage"].astype(int).groupby(run).cummax().astype(bool) & quiet | frame["outage"]
    )
    frame["hour"] = frame.index.hour
    frame["period"] = np.select(
        [frame.index < OCCUPIED_UNTIL, frame.index < EMPTY_FROM],
        ["occupied", "moving_out"],
        "empty",
    )
    frame = frame.loc[gas.index.min() :]
    frame.index.name = "timestamp"
    return frame.reset_index()


def hours_matrix(frame: pd.DataFrame) -> np.ndarray:
    """The `FEATURES` matrix of hourly rows (training and evaluation; serving builds its own)."""
    return frame[list(FEATURES)].to_numpy(dtype=float)


def _busy(frame: pd.DataFrame, minimum: float) -> pd.DataFrame:
    totals = frame[list(ROOMS)].sum(axis=1)
    return frame[frame["hour"].isin(DAYTIME_HOURS) & (totals >= minimum)]


def injected_hours(
    test: pd.DataFrame,
    train: pd.DataFrame,
    *,
    seed: int,
    per_kind: int = INJECTED_PER_KIND,
    night_minimum: float | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Anomalous hours made from held-out normal hours; returns the rows and their kinds.

    `night_minimum` is the smallest total of the daytime hour whose motion is moved into
    the night; by default the 95th percentile of the training daytime totals.
    """
    rng = np.random.default_rng(seed)
    rooms = list(ROOMS)

    def pick(pool: pd.DataFrame) -> pd.DataFrame:
        return pool.iloc[rng.choice(len(pool), size=per_kind)].copy()

    # A fall or collapse in the day: the hour is still and so were the ones before it.
    still = pick(_busy(test, 1))
    still[rooms] = 0
    still["hours_without_motion"] = rng.integers(3, 9, size=per_kind)
    # Wandering at night: a night hour with the motion of one of the busiest daytime hours.
    if night_minimum is None:
        night_minimum = float(_busy(train, 0)[rooms].sum(axis=1).quantile(0.95))
    night = pick(test[test["hour"].isin(NIGHT_HOURS)])
    night[rooms] = pick(_busy(test, night_minimum))[rooms].to_numpy()
    night["hours_without_motion"] = 0
    # A leak or a combustion problem: one gas channel beyond anything seen while training.
    gas = pick(test)
    channels = rng.choice(len(GAS), size=per_kind)
    values = gas[list(GAS)].to_numpy(copy=True)
    highs = train[list(GAS)].max().to_numpy()[channels]
    values[np.arange(per_kind), channels] = highs * rng.uniform(1.1, 2.0, size=per_kind)
    gas[list(GAS)] = values
    # Heating failure or a window left open in winter.
    cold = pick(test)
    cold["temperature"] = train["temperature"].min() - rng.uniform(3, 8, size=per_kind)
    kinds = np.repeat(["no_movement", "night", "gas", "cold"], per_kind)
    return pd.concat([still, night, gas, cold]), kinds


def time_split(hours: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first `TRAIN_FRACTION` of the hours (in time order) and the rest."""
    cut = hours["timestamp"].iloc[int(len(hours) * TRAIN_FRACTION)]
    return hours[hours["timestamp"] < cut], hours[hours["timestamp"] >= cut]


def split_hours(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Training hours, held-out normal hours, and still daytime hours of the empty house."""
    usable = frame[~frame["outage"]]
    train, normal = time_split(usable[usable["period"] == "occupied"])
    empty = usable[usable["period"] == "empty"]
    still_days = empty[empty["hour"].isin(DAYTIME_HOURS) & (empty["hours_without_motion"] >= 3)]
    return train, normal, still_days
