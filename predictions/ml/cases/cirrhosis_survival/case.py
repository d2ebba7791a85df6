"""Case 5 as the registry serves it: a Cox survival model per patient (see `__init__.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext_noop

from predictions.ml.cases.base import Bar, TrainingData
from predictions.ml.cases.cirrhosis_survival import figures
from predictions.ml.cases.cirrhosis_survival.data import (
    DATASET_FILES,
    FEATURES,
    SCHEMA,
    read_patients,
    rows_to_matrix,
)
from predictions.ml.cases.cirrhosis_survival.evaluation import cross_validate_survival
from predictions.ml.cases.cirrhosis_survival.legacy import is_outcome_classifier
from predictions.ml.cases.cirrhosis_survival.model import (
    HORIZONS,
    MAYO,
    CoxSurvival,
    survival_result,
)
from predictions.ml.cases.tabular import TabularCase

PRODUCTION_COLUMNS = (*MAYO, "copper", "sgot", "stage")
OUTPUT_COLUMNS = ("risk_group", "risk_score", *(f"survival_{years}y" for years in HORIZONS))


class CirrhosisSurvivalCase(TabularCase):
    slug = "cirrhosis-survival"
    title = gettext_noop("Primary biliary cirrhosis survival")
    description = gettext_noop(
        "Estimates the survival of a patient with primary biliary cirrhosis from the "
        "clinical and lab values taken at registration: the probability of being alive "
        "1, 2, 5 and 10 years later, the survival curve up to 12 years, a risk score "
        "and a risk group (the low, middle or high third of the Mayo Clinic trial's "
        "patients, 1974-1984). Values the data itself often lacks (trial arm, physical "
        "signs, some labs, stage) may be null. Age is in years. Decision support only."
    )
    source_name = "UCI ML Repository #878: Cirrhosis Patient Survival Prediction (CC BY 4.0)"
    source_url = (
        "https://archive.ics.uci.edu/dataset/878/cirrhosis+patient+survival+prediction+dataset-1"
    )
    schema = SCHEMA
    example = {
        "drug": "D-penicillamine",
        "age_years": 52.4,
        "sex": "female",
        "ascites": False,
        "hepatomegaly": True,
        "spiders": False,
        "edema": "none",
        "bilirubin": 1.8,
        "cholesterol": 320.0,
        "albumin": 3.5,
        "copper": 70.0,
        "alk_phos": 1500.0,
        "sgot": 115.0,
        "triglycerides": 110.0,
        "platelets": 250.0,
        "prothrombin": 10.6,
        "stage": 3,
    }
    features = FEATURES
    leaky_columns = ("N_Days", "ID", "Status")
    dataset_files = DATASET_FILES
    default_price = 20
    bars = (
        Bar("harrell_c", ">=", 0.83),
        Bar("uno_c", ">=", 0.79),
        Bar("integrated_brier", "<=", 0.13),
    )
    primary_metric = "harrell_c"
    evaluation_protocol = gettext_noop(
        "Survival analysis (event: death; a transplant or the end of follow-up censors; "
        "follow-up time is the target's time, never an input). Stratified 5-fold "
        "cross-validation repeated 5 times (25 fits), every model fitted on the training "
        "part only; 95 % intervals with the Nadeau-Bengio correction. Baseline: the "
        "published Mayo model's Cox regression on its five variables, refitted per fold. "
        "Production's three added variables were chosen by comparing three variable sets "
        "under this same protocol (not nested); the small ridge penalty is fixed, not "
        "tuned."
    )

    # --- training -----------------------------------------------------------------------
    def load_training_data(self, datasets_dir: Path) -> TrainingData:
        X, target, frame = read_patients(self.dataset_path(datasets_dir))
        return TrainingData(
            X=X,
            y=target,
            frame=frame,
            notes={
                "not_in_trial": int((frame["ID"] > 312).sum()),
                "deaths": int(target["died"].sum()),
            },
        )

    def build_baseline(self) -> CoxSurvival:
        return CoxSurvival(columns=MAYO)

    def build_production(self) -> CoxSurvival:
        return CoxSurvival(columns=PRODUCTION_COLUMNS)

    def evaluate(self, data: TrainingData) -> dict[str, dict[str, Any]]:
        X = np.asarray(data.X, dtype=float)
        return {
            # Production's risk groups are what the service answers; the baseline's would
            # be drawn nowhere, so they are not computed.
            "baseline": cross_validate_survival(self.build_baseline, X, data.y, risk_groups=False),
            "production": cross_validate_survival(self.build_production, X, data.y),
        }

    def feature_names(self, model: Any) -> list[str]:
        if is_outcome_classifier(model):
            return super().feature_names(model)
        return model.feature_names()

    def eda_figures(self, data: TrainingData, out_dir: Path) -> list[dict[str, str]]:
        frame = pd.DataFrame(np.asarray(data.X, dtype=float), columns=list(FEATURES))
        return figures.eda(frame, data.y, data.frame["Status"].to_numpy(dtype=str), out_dir)

    def evaluation_figures(
        self, metrics: dict[str, dict[str, Any]], out_dir: Path
    ) -> list[dict[str, str]]:
        return figures.evaluation(
            metrics.get("production", {}), metrics.get("baseline", {}), out_dir
        )

    # --- serving ------------------------------------------------------------------------
    def rows_to_matrix(self, rows: Sequence[dict[str, Any]]) -> np.ndarray:
        return rows_to_matrix(rows)

    def predict(self, model: Any, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        if is_outcome_classifier(model):  # a first-generation version, rolled back to
            return super().predict(model, rows)
        return survival_result(model, rows_to_matrix(rows))

    def output_columns(self) -> list[str]:
        return list(OUTPUT_COLUMNS)

    def result_to_columns(self, result: dict[str, Any]) -> dict[str, Any]:
        """The survival columns; a first-generation result has none of them (left empty)."""
        survival = result.get("survival_at", {})
        return {
            "risk_group": result.get("risk_group"),
            "risk_score": result.get("risk_score"),
            **{f"survival_{years}y": survival.get(f"{years}y") for years in HORIZONS},
        }


CASE = CirrhosisSurvivalCase()
