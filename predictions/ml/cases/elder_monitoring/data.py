"""The hourly table built from the two sensor files and its time split (see the package
docstring)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from predictions.ml.cases.base import dataset_file
from predictions.ml.cases.elder_monitoring.model import (
    ENVIRONMENT,
    FEATURES,
    ROOMS,
)

DATASET_FILES = ("case_3/database_pos.csv", "case_3/gas_hourly_means.csv")
ROOM_COLUMNS = ("Living room", "Bedroom", "Bathroom", "Kitchen", "Hallway")
DAYTIME_HOURS = frozenset(range(8, 21))
OCCUPIED_UNTIL = pd.Timestamp("2020-01-25", tz="UTC")
EMPTY_FROM = pd.Timestamp("2020-01-27", tz="UTC")  # 01-25 and 01-26 still have evening use
TRAIN_FRACTION = 0.7


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
