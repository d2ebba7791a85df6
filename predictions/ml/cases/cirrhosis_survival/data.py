"""Case 5's input: the dataset read as patients with their follow-up, and the API schema.

The EDA behind these choices is in the package docstring (`__init__.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext_noop

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


def follow_up(event: Any, years: Any) -> np.ndarray:
    """The survival target: a structured array of (died, years followed), as scikit-survival
    takes it."""
    target = np.empty(len(years), dtype=[("died", bool), ("years", float)])
    target["died"] = np.asarray(event, dtype=bool)
    target["years"] = np.asarray(years, dtype=float)
    return target


def read_patients(path: Path) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """The features (columns `FEATURES`), the follow-up target and the cleaned file."""
    frame = pd.read_csv(path, na_values=["NA"])
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
    # Death is the event; a transplant (CL) or the end of follow-up (C) censors.
    target = follow_up(frame["Status"] == "D", frame["N_Days"] / DAYS_PER_YEAR)
    return X, target, frame


def rows_to_matrix(rows: Sequence[dict[str, Any]]) -> np.ndarray:
    """Clean API rows -> the float matrix of `FEATURES`, NaN where a value is missing."""
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
