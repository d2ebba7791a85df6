"""The elder-monitoring case: its input schema, training and the alerts it serves."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC
from pathlib import Path
from typing import Any

import numpy as np
from django.utils.translation import gettext_noop

from predictions.ml.cases.base import Bar, Case, TrainingData
from predictions.ml.cases.elder_monitoring.data import (
    DATASET_FILES,
    hourly_table,
)
from predictions.ml.cases.elder_monitoring.evaluation import evaluate_alerts, fit_served
from predictions.ml.cases.elder_monitoring.model import (
    ENVIRONMENT,
    FEATURES,
    GAS,
    MAX_QUIET_HOURS,
    NIGHT_HOURS,
    ROOMS,
    HomeRoutineModel,
    alert_probability,
)
from predictions.ml.schema import Field, Schema

MAX_ACTIVATIONS = 300

_ROOM_LABELS = dict(
    zip(ROOMS, ("Living room", "Bedroom", "Bathroom", "Kitchen", "Hallway"), strict=True)
)
_GAS_LABELS = {
    "co2cosirvalue": gettext_noop("CO2 (COZIR NDIR sensor)"),
    "co2mg811value": gettext_noop("CO2 (MG-811 sensor)"),
    "mox1": gettext_noop("Metal-oxide gas sensor 1"),
    "mox2": gettext_noop("Metal-oxide gas sensor 2"),
    "mox3": gettext_noop("Metal-oxide gas sensor 3"),
    "mox4": gettext_noop("Metal-oxide gas sensor 4"),
    "covalue": gettext_noop("Carbon monoxide sensor"),
}


def _room_field(name: str) -> Field:
    return Field(
        name,
        "integer",
        label=f"{_ROOM_LABELS[name]} activations",
        description=(
            f"How many times the {_ROOM_LABELS[name].lower()} motion sensor switched on in "
            "the hour (0 when nobody moved there)."
        ),
        unit="activations per hour",
        minimum=0,
        maximum=MAX_ACTIVATIONS,
    )


def _gas_field(name: str) -> Field:
    return Field(
        name,
        "number",
        label=_GAS_LABELS[name],
        description=(
            gettext_noop(
                "Hourly mean of the raw sensor reading, as the home's sensor board reports it. "
                "Optional: leave it out or send null when the reading is missing."
            )
        ),
        unit="raw sensor reading",
        required=False,
        nullable=True,
        minimum=0,
        maximum=10000,
    )


SCHEMA = Schema(
    (
        Field(
            "timestamp",
            "datetime",
            label=gettext_noop("Start of the hour"),
            description=(
                gettext_noop(
                    "ISO 8601, with a UTC offset (2020-01-08T10:00:00Z or "
                    "2020-01-08T11:00:00+01:00); a time without offset is taken as UTC."
                )
            ),
        ),
        *(_room_field(name) for name in ROOMS),
        Field(
            "hours_without_motion",
            "integer",
            label=gettext_noop("Hours without motion"),
            description=(
                gettext_noop(
                    "How many hours in a row, this one included, no room saw motion. "
                    "Optional: without it (or with 0 while every room is 0) only this hour "
                    "counts. Ignored when this hour has motion."
                )
            ),
            unit="hours",
            required=False,
            nullable=True,
            minimum=0,
            maximum=MAX_QUIET_HOURS,
        ),
        *(_gas_field(name) for name in GAS),
        Field(
            "temperature",
            "number",
            label=gettext_noop("Temperature"),
            description=gettext_noop("Hourly mean indoor temperature. Optional."),
            unit="°C",
            required=False,
            nullable=True,
            minimum=-20,
            maximum=60,
        ),
        Field(
            "humidity",
            "number",
            label=gettext_noop("Relative humidity"),
            description=gettext_noop("Hourly mean indoor relative humidity. Optional."),
            unit="%",
            required=False,
            nullable=True,
            minimum=0,
            maximum=100,
        ),
    )
)


class ElderMonitoringCase(Case):
    slug = "elder-monitoring"
    title = gettext_noop("Safety monitoring of an elderly person living alone")
    description = gettext_noop(
        # Translators: xgettext:no-python-format
        "Send one hour (or several) of a home's readings: motion per room, gas and climate. "
        "Get an anomaly score and an alert with its reasons: no movement for unusually long "
        "during the day, unusual activity at night, a gas level or the temperature outside "
        "the home's normal range. The model learned one person's routine from 11 weeks of "
        "sensor data; about 1 % of ordinary hours raise an alert."
    )
    source_name = (
        "UCI Machine Learning Repository #799: Single Elder Home Monitoring: "
        "Gas and Position (CC BY 4.0)"
    )
    source_url = (
        "https://archive.ics.uci.edu/dataset/799/single+elder+home+monitoring+gas+and+position"
    )
    schema = SCHEMA
    dataset_files = DATASET_FILES
    example = {
        "timestamp": "2020-01-08T10:00:00Z",
        "living_room": 3,
        "bedroom": 0,
        "bathroom": 2,
        "kitchen": 1,
        "hallway": 3,
        "hours_without_motion": 0,
        "co2cosirvalue": 110.5,
        "co2mg811value": 545.0,
        "mox1": 490.2,
        "mox2": 718.9,
        "mox3": 673.1,
        "mox4": 606.4,
        "covalue": 114.8,
        "temperature": 19.9,
        "humidity": 51.2,
    }
    # The date says which period an hour is in (occupied or the empty house), and the
    # period is where the natural labels come from: the model reads the hour of day only.
    leaky_columns = ("timestamp", "period", "outage")
    # Issue 16: false alarms within a caregiver's budget, and at least half of the
    # anomalies caught at each stated boundary magnitude (3 still daytime hours, gas at
    # 1.0-1.1x its training maximum, 1-3 degrees below the training minimum).
    bars = (
        Bar("false_alarm_rate", "<=", 0.01),
        Bar("detection_boundary_no_movement", ">=", 0.5),
        Bar("detection_boundary_gas", ">=", 0.5),
        Bar("detection_boundary_cold", ">=", 0.5),
    )
    primary_metric = "false_alarm_rate"
    evaluation_protocol = gettext_noop(
        # Translators: xgettext:no-python-format
        "Time-blocked: fit on the first 70 % of the occupied hours; the last 30 % (24 days "
        "in January) are held-out normal hours, split into alternate days, each half judged "
        "by the model whose environment margins were calibrated on the other half. Anomalies "
        "come from four scenarios fixed in advance, with magnitudes drawn across stated "
        "ranges, some inside the normal range: k still daytime hours, n activations in a "
        "night hour, one gas channel at m times its training maximum, the temperature d "
        "degrees below the training minimum. Shown: false alarms on the held-out normal "
        "hours, detection per magnitude, and precision if one hour a day, a week or a month "
        "is anomalous (at the boundary magnitudes), each with a 95 % interval from a "
        "bootstrap over the held-out days."
    )
    default_price = 5

    # --- training -----------------------------------------------------------------------
    def load_training_data(self, datasets_dir: Path) -> TrainingData:
        """Hourly rows of every usable hour; y is the period (occupied, moving_out, empty)."""
        frame = hourly_table(datasets_dir)
        usable = frame[~frame["outage"]].reset_index(drop=True)
        return TrainingData(
            X=usable[list(FEATURES)],
            y=usable["period"].to_numpy(dtype=str),
            frame=usable,
            notes={
                "hours": len(frame),
                "outage_hours": int(frame["outage"].sum()),
                "periods": usable["period"].value_counts().to_dict(),
            },
        )

    def build_baseline(self) -> HomeRoutineModel:
        return HomeRoutineModel(by_hour_of_day=False)

    def build_production(self) -> HomeRoutineModel:
        return HomeRoutineModel(by_hour_of_day=True)

    def evaluate(self, data: TrainingData) -> dict[str, dict[str, Any]]:
        return {
            "baseline": evaluate_alerts(self.build_baseline(), data.frame),
            "production": evaluate_alerts(self.build_production(), data.frame),
        }

    def evaluation_figures(
        self, metrics: dict[str, dict[str, Any]], out_dir: Path
    ) -> list[dict[str, str]]:
        from predictions.ml.cases.elder_monitoring import figures

        return [figures.detection_curves(metrics, Path(out_dir))]

    def fit_production(self, data: TrainingData) -> HomeRoutineModel:
        """All the occupied hours, margins calibrated as in the evaluation (`fit_served`)."""
        return fit_served(self.build_production(), data.frame)

    def feature_names(self, model: HomeRoutineModel) -> list[str]:
        return list(model.feature_names_in_)

    def eda_figures(self, data: TrainingData, out_dir: Path) -> list[dict[str, str]]:
        from predictions.ml.cases.elder_monitoring import figures

        return figures.draw(data.frame, Path(out_dir))

    # --- serving ------------------------------------------------------------------------
    def rows_to_matrix(self, rows: Sequence[dict[str, Any]]) -> np.ndarray:
        X = np.empty((len(rows), len(FEATURES)))
        for i, row in enumerate(rows):
            moment = row["timestamp"]
            if moment.tzinfo is not None:
                moment = moment.astimezone(UTC)
            counts = [row[name] for name in ROOMS]
            quiet = row.get("hours_without_motion")
            if any(counts):
                quiet = 0
            elif quiet is None or quiet < 1:
                quiet = 1
            X[i, 0] = moment.hour
            X[i, 1:6] = counts
            X[i, 6] = quiet
            X[i, 7:] = [math.nan if row.get(name) is None else row[name] for name in ENVIRONMENT]
        return X

    def predict(
        self, model: HomeRoutineModel, rows: Sequence[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        X = self.rows_to_matrix(rows)
        components = model.component_scores(X)
        scores = components.max(axis=1)
        probability = alert_probability(scores, model.threshold_)
        results = []
        for i, score in enumerate(scores):
            alert = bool(score > model.threshold_)
            reasons = _reasons(model, X[i], components[i]) if alert else []
            p = round(float(probability[i]), 6)
            results.append(
                {
                    "label": "alert" if alert else "normal",
                    "anomaly_score": round(float(score), 6),
                    "alert": alert,
                    "reasons": reasons,
                    "probabilities": {"alert": p, "normal": round(1 - p, 6)},
                }
            )
        return results

    def output_columns(self) -> list[str]:
        return ["prediction", "anomaly_score", "alert", "reasons"]

    def result_to_columns(self, result: dict[str, Any]) -> dict[str, Any]:
        return {
            "prediction": result["label"],
            "anomaly_score": result["anomaly_score"],
            "alert": result["alert"],
            "reasons": "; ".join(result["reasons"]),
        }


def _reasons(model: HomeRoutineModel, x: np.ndarray, components: np.ndarray) -> list[str]:
    """Why an hour alerts: every component beyond the threshold, in plain words."""
    hour = int(x[0])
    over = components > model.threshold_
    reasons = []
    if over[0]:
        reasons.append(
            f"no_movement: no motion for {int(x[6])} h up to {hour:02d}:00 UTC, "
            "unusually long for this time of day"
        )
    if over[1]:
        code = "unusual_night_activity" if hour in NIGHT_HOURS else "unusual_activity"
        reasons.append(
            f"{code}: {int(x[1:6].sum())} motion activations at {hour:02d}:00 UTC, "
            "far more than usual at this hour"
        )
    for k, (name, (low_side, _)) in enumerate(model.alert_sides().items()):
        if over[2 + k]:
            j = ENVIRONMENT.index(name)
            # A channel that alerts only above its range is normal anywhere from 0 up.
            low = model.env_low_[j] if low_side else 0.0
            code = "gas_out_of_range" if name in GAS else f"{name}_out_of_range"
            reasons.append(
                f"{code}: {name} {x[7 + j]:g} outside the normal {low:.1f}-{model.env_high_[j]:.1f}"
            )
    return reasons


CASE = ElderMonitoringCase()
