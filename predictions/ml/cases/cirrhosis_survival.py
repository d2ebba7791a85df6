"""Case 5: outcome of primary biliary cirrhosis (Mayo Clinic trial, 1974-1984).

EDA (cirrhosis.csv, 418 patients, no duplicates):
- `Status` is C (censored: alive at the end of follow-up) 232, D (died) 161, CL (alive
  thanks to a liver transplant) 25. Judged by multi-class log loss: the class
  frequencies alone score 0.863.
- Missing values are literal `NA`. The 106 patients with `ID > 312` were not in the drug
  trial: they miss Drug, Ascites, Hepatomegaly, Spiders, Cholesterol, Copper, Alk_Phos,
  SGOT and Tryglicerides (a few more miss Platelets, Prothrombin, Stage). Their outcome
  mix is close to the trial's (D 34 % vs 40 %), so the model imputes the medians and adds
  a was-missing indicator; the API accepts null (or omission) for exactly these fields.
- `N_Days` is the follow-up time, which ends at death, transplant or the study's end: it
  is known only with the outcome (a short follow-up means death), so it is not an input.
  The reference figures RF 0.611 / GB 0.615 are reproduced here only with it (RF with
  N_Days 0.609, without it 0.660). `ID` is an id.
- `Age` is in days in the file; the API takes years (what a clinician has) and the
  training data is converted the same way (days / 365.25).
- Skewed labs (bilirubin, cholesterol, copper, alkaline phosphatase, SGOT,
  triglycerides, prothrombin) are log-transformed for the linear model. Edema (N, S, Y) is
  ordered 0, 0.5, 1.

Production: a soft blend (1:1) of a strongly regularised logistic regression (C=0.05) and
shallow XGBoost (depth 2, 200 trees), values fixed after one search under the same
repeated stratified CV. Each member is fitted inside the folds; no post-hoc calibration
(CalibratedClassifierCV did not lower the log loss on 418 rows). Without follow-up time the
honest log loss is about 0.64, above the 0.58 bar; the card says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext_noop
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from predictions.ml.blend import SoftBlend, shallow_xgboost
from predictions.ml.cases.base import Bar, TrainingData
from predictions.ml.cases.tabular import TabularCase
from predictions.ml.figures import by_class_figure, class_balance_figure
from predictions.ml.schema import Field, Schema

DATASET_FILES = ("case_5/cirrhosis.csv",)
DAYS_PER_YEAR = 365.25
EDEMA = {"none": 0.0, "untreated_or_resolved": 0.5, "despite_diuretics": 1.0}
DRUG = {"D-penicillamine": 1.0, "placebo": 0.0}
# (API field, dataset column, label, unit, minimum, maximum, description); all nullable
# except bilirubin and albumin, which every patient has.
LABS = (
    (
        "bilirubin",
        "Bilirubin",
        gettext_noop("Serum bilirubin"),
        "mg/dL",
        0.1,
        50,
        gettext_noop("Total serum bilirubin."),
    ),
    ("cholesterol", "Cholesterol", gettext_noop("Serum cholesterol"), "mg/dL", 50, 3000, ""),
    ("albumin", "Albumin", gettext_noop("Albumin"), "g/dL", 1, 6, ""),
    (
        "copper",
        "Copper",
        gettext_noop("Urine copper"),
        "µg/day",
        1,
        1500,
        gettext_noop("24-hour urine copper."),
    ),
    ("alk_phos", "Alk_Phos", gettext_noop("Alkaline phosphatase"), "U/L", 50, 25000, ""),
    (
        "sgot",
        "SGOT",
        gettext_noop("SGOT (AST)"),
        "U/mL",
        5,
        1000,
        gettext_noop("Aspartate aminotransferase."),
    ),
    ("triglycerides", "Tryglicerides", gettext_noop("Triglycerides"), "mg/dL", 10, 1500, ""),
    ("platelets", "Platelets", gettext_noop("Platelet count"), "10³/mm³", 10, 1200, ""),
    ("prothrombin", "Prothrombin", gettext_noop("Prothrombin time"), "s", 5, 30, ""),
)
ALWAYS_MEASURED = ("bilirubin", "albumin")
SIGNS = (
    ("ascites", "Ascites", gettext_noop("Ascites (fluid in the abdomen)")),
    ("hepatomegaly", "Hepatomegaly", gettext_noop("Hepatomegaly (enlarged liver)")),
    ("spiders", "Spiders", gettext_noop("Spider angiomas (spider naevi)")),
)
FEATURES = (
    "drug",
    "age_years",
    "male",
    *(name for name, *_ in SIGNS),
    "edema",
    *(name for name, *_ in LABS),
    "stage",
)
LOGGED = tuple(
    FEATURES.index(name)
    for name in (
        "bilirubin",
        "cholesterol",
        "copper",
        "alk_phos",
        "sgot",
        "triglycerides",
        "prothrombin",
    )
)


def log_labs(matrix: np.ndarray) -> np.ndarray:
    """Log of the right-skewed labs; NaN (missing) stays NaN for the imputer."""
    matrix = np.array(matrix, dtype=float, copy=True)
    matrix[:, LOGGED] = np.log(matrix[:, LOGGED])
    return matrix


def _yes_no(value: Any) -> float:
    return {"Y": 1.0, "N": 0.0}.get(value, np.nan)


def _flag(value: bool | None) -> float:
    return np.nan if value is None else float(value)


def _number(value: float | None) -> float:
    return np.nan if value is None else float(value)


SCHEMA = Schema(
    fields=(
        Field(
            "drug",
            "choice",
            label=gettext_noop("Trial treatment"),
            choices=tuple(DRUG),
            required=False,
            nullable=True,
            description=gettext_noop(
                "Treatment arm in the trial; null when the patient was not in it."
            ),
        ),
        Field(
            "age_years",
            "number",
            label=gettext_noop("Age"),
            unit="years",
            minimum=18,
            maximum=100,
            description=gettext_noop("Age at registration, in years (decimals allowed)."),
        ),
        Field("sex", "choice", label=gettext_noop("Sex"), choices=("female", "male")),
        *(
            Field(
                name,
                "boolean",
                label=label,
                required=False,
                nullable=True,
                description=gettext_noop("true if present, false if absent, null if not examined."),
            )
            for name, _, label in SIGNS
        ),
        Field(
            "edema",
            "choice",
            label=gettext_noop("Edema"),
            choices=tuple(EDEMA),
            description=(
                gettext_noop(
                    "none; untreated_or_resolved: edema without diuretics or resolved by them; "
                    "despite_diuretics: edema despite diuretic therapy."
                )
            ),
        ),
        *(
            Field(
                name,
                "number",
                label=label,
                unit=unit,
                minimum=low,
                maximum=high,
                description=description,
                required=name in ALWAYS_MEASURED,
                nullable=name not in ALWAYS_MEASURED,
            )
            for name, _, label, unit, low, high, description in LABS
        ),
        Field(
            "stage",
            "integer",
            label=gettext_noop("Histologic stage"),
            minimum=1,
            maximum=4,
            required=False,
            nullable=True,
            description=gettext_noop("Histologic stage of the disease, 1 to 4 (from a biopsy)."),
        ),
    )
)


class CirrhosisSurvivalCase(TabularCase):
    slug = "cirrhosis-survival"
    title = gettext_noop("Primary biliary cirrhosis outcome")
    description = gettext_noop(
        "Estimates the outcome of a patient with primary biliary cirrhosis from the "
        "clinical and lab values taken at registration: the probabilities of C (alive "
        "at the end of follow-up), CL (alive after a liver transplant) and D (died), "
        "as in the Mayo Clinic trial of 1974-1984 (follow-up of up to 13 years). Values "
        "the data itself often lacks (trial arm, physical signs, some labs, stage) may "
        "be null. Age is in years. Decision support only."
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
    bars = (Bar("log_loss", "<=", 0.58),)
    # Honest 5x2-fold figure without N_Days: 0.642 +- 0.035 (see the module docstring).
    recorded_floors = (Bar("log_loss", "<=", 0.66),)
    primary_metric = "log_loss"
    evaluation_protocol = gettext_noop(
        "Stratified 5-fold cross-validation repeated twice (10 fits), every model fitted "
        "on the training part only; follow-up time (N_Days) is not an input."
    )

    # --- training -----------------------------------------------------------------------
    def load_training_data(self, datasets_dir: Path) -> TrainingData:
        frame = pd.read_csv(self.dataset_path(datasets_dir), na_values=["NA"])
        X = pd.DataFrame(
            {
                "drug": frame["Drug"].map({"D-penicillamine": 1.0, "Placebo": 0.0}),
                "age_years": frame["Age"] / DAYS_PER_YEAR,
                "male": (frame["Sex"] == "M").astype(float),
                **{name: frame[column].map(_yes_no) for name, column, _ in SIGNS},
                "edema": frame["Edema"].map({"N": 0.0, "S": 0.5, "Y": 1.0}),
                **{name: frame[column] for name, column, *_ in LABS},
                "stage": frame["Stage"],
            },
            columns=list(FEATURES),
        ).astype(float)
        return TrainingData(
            X=X,
            y=frame["Status"].to_numpy(dtype=str),
            frame=frame,
            notes={"not_in_trial": int((frame["ID"] > 312).sum())},
        )

    def build_baseline(self) -> Any:
        return make_pipeline(
            SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(max_iter=2000)
        )

    def build_production(self) -> Any:
        logistic = make_pipeline(
            FunctionTransformer(log_labs),
            SimpleImputer(strategy="median", add_indicator=True),
            StandardScaler(),
            LogisticRegression(C=0.05, max_iter=5000),
        )
        boosting = shallow_xgboost(n_estimators=200, colsample_bytree=0.7, min_child_weight=3)
        return SoftBlend([("logistic", logistic), ("xgboost", boosting)])

    def eda_figures(self, data: TrainingData, out_dir: Path) -> list[dict[str, str]]:
        frame = pd.DataFrame(np.asarray(data.X, dtype=float), columns=list(FEATURES))
        frame["status"] = data.y
        return [
            class_balance_figure(
                data.y,
                out_dir=out_dir,
                title="Outcomes",
                caption=(
                    "C: alive at the end of follow-up; D: died; CL: alive after a liver "
                    "transplant (only 25 patients, the hardest class)."
                ),
                order=("C", "CL", "D"),
            ),
            by_class_figure(
                frame,
                columns=("bilirubin", "albumin", "prothrombin", "copper", "age_years", "stage"),
                target="status",
                out_dir=out_dir,
                name="labs_by_outcome.png",
                title="Key values by outcome",
                caption=(
                    "Patients who died had higher bilirubin, copper and prothrombin time, "
                    "lower albumin and a later stage (the Mayo risk score's ingredients); "
                    "transplanted patients were younger."
                ),
                log_scale=("bilirubin", "copper"),
            ),
        ]

    # --- serving ------------------------------------------------------------------------
    def rows_to_matrix(self, rows: Sequence[dict[str, Any]]) -> np.ndarray:
        return np.array(
            [
                [
                    np.nan if row["drug"] is None else DRUG[row["drug"]],
                    row["age_years"],
                    1.0 if row["sex"] == "male" else 0.0,
                    *(_flag(row[name]) for name, *_ in SIGNS),
                    EDEMA[row["edema"]],
                    *(_number(row[name]) for name, *_ in LABS),
                    _number(row["stage"]),
                ]
                for row in rows
            ],
            dtype=float,
        )


CASE = CirrhosisSurvivalCase()
