"""Case 6: glioma grade (LGG or GBM) from age, sex, race and 20 gene mutations (TCGA).

EDA (TCGA_GBM_LGG_Mutations_all.csv, UTF-8 with a BOM, 862 patients, no duplicates):
- `Grade` is LGG 499 / GBM 363 (58 / 42 %). `Project` (TCGA-LGG / TCGA-GBM) equals the
  grade and `Primary_Diagnosis` is "Glioblastoma" exactly when the grade is GBM: both are
  leaks. `Case_ID` is an id.
- `--` means not reported: 4 patients have no gender, age or race and one more has no
  age. The 5 rows are dropped (age is the strongest single input; imputing it for 0.6 %
  of the rows would only blur it). Race stays with its own "not reported" (18 rows).
- `Age_at_diagnosis` is text, "51 years 108 days" (two rows say only "87 years"); it is
  parsed to years. GBM patients are older (median ~60 vs ~40).
- IDH1 is the key mutation: 389 of 412 IDH1-mutated tumours are LGG, while IDH-wildtype
  tumours are mostly GBM (335 of 422) and there age separates the grades further. ATRX,
  CIC, FUBP1, NOTCH1 and IDH2 point to LGG; PTEN, EGFR, RB1, NF1, PDGFRA to GBM.
- The reference figure (logistic regression, ROC AUC 0.925 / accuracy 0.871) is not
  reproduced: single shuffled 5-fold splits give 0.914-0.919 / 0.868-0.874 here.

Production: a soft blend (1:1) of logistic regression with a piecewise-linear age term
(knots at 30, 45 and 60 years, C=0.3) and shallow XGBoost (depth 2, 300 trees), values
fixed after one search under the same repeated stratified CV. A cubic age spline,
interactions with IDH status, a mutation-count feature and deeper trees were tried and did
not help. Over 10x5-fold CV: ROC AUC 0.922 [0.902, 0.943], accuracy 0.871: the bars
(0.92 / 0.865) are that honest ceiling; the published 0.93 / 0.88 come from single splits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext, gettext_noop
from matplotlib.figure import Figure
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from predictions.ml.blend import SoftBlend, shallow_xgboost
from predictions.ml.cases.base import Bar, TrainingData
from predictions.ml.cases.tabular import TabularCase
from predictions.ml.figures import class_balance_figure, figure_save
from predictions.ml.schema import Field, FieldError, Schema

DATASET_FILES = ("case_6/TCGA_GBM_LGG_Mutations_all.csv",)
GENES = (
    "IDH1",
    "TP53",
    "ATRX",
    "PTEN",
    "EGFR",
    "CIC",
    "MUC16",
    "PIK3CA",
    "NF1",
    "PIK3R1",
    "FUBP1",
    "RB1",
    "NOTCH1",
    "BCOR",
    "CSMD3",
    "SMARCA4",
    "GRIN2A",
    "IDH2",
    "FAT4",
    "PDGFRA",
)
# White (88 % of the patients) is the reference level of the race one-hot columns.
RACES = {
    "black or african american": "race_black",
    "asian": "race_asian",
    "american indian or alaska native": "race_american_indian",
    "not reported": "race_not_reported",
}
FEATURES = ("age_years", "female", *RACES.values(), *GENES)
AGE_RANGE = (1.0, 100.0)
# Knots of the piecewise-linear age term (years): as good as a cubic spline here, and a
# stateless transform costs ~1 ms less per call than SplineTransformer in a ColumnTransformer.
AGE_KNOTS = np.array([[30.0, 45.0, 60.0]])
_AGE_TEXT = re.compile(r"(\d{1,3}) years?(?: (\d{1,3}) days?)?", re.IGNORECASE)
_AGE_FORMS = gettext_noop(
    'Give the age in years as a number (e.g. 51.3) or as text like "51 years 108 days".'
)
_MUTATION_TEXT = {"MUTATED": True, "NOT_MUTATED": False}


def _with_age_forms(problem: str) -> str:
    return f"{problem} {gettext(_AGE_FORMS)}"


def parse_age(value: Any) -> float:
    """Years as a number, or the dataset's "51 years 108 days" text -> years (float)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        years = float(value)
        if not math.isfinite(years):
            raise FieldError(_with_age_forms(gettext("NaN and infinity are not allowed.")))
    elif isinstance(value, str) and (match := _AGE_TEXT.fullmatch(" ".join(value.split()))):
        days = int(match[2] or 0)
        if days >= 366:
            raise FieldError(_with_age_forms(gettext("The days part must be below 366.")))
        years = int(match[1]) + days / 365.25
    else:
        raise FieldError(gettext(_AGE_FORMS))
    low, high = AGE_RANGE
    if not low <= years <= high:
        raise FieldError(
            gettext("Must be between %(low)g and %(high)g years.") % {"low": low, "high": high}
        )
    return years


def age_hinges(matrix: np.ndarray) -> np.ndarray:
    """The inputs plus max(age - knot, 0) for each knot: a piecewise-linear age effect."""
    matrix = np.asarray(matrix, dtype=float)
    return np.hstack([matrix, np.maximum(matrix[:, :1] - AGE_KNOTS, 0.0)])


def parse_mutation(value: Any) -> bool:
    """true/false, or the dataset's MUTATED / NOT_MUTATED."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().upper() in _MUTATION_TEXT:
        return _MUTATION_TEXT[value.strip().upper()]
    raise FieldError(gettext("true or false is required (or the text MUTATED / NOT_MUTATED)."))


def _age_text_to_years(text: str) -> float:
    return parse_age(text) if text != "--" else np.nan


SCHEMA = Schema(
    fields=(
        Field("gender", "choice", label=gettext_noop("Gender"), choices=("male", "female")),
        Field(
            "age_at_diagnosis",
            "number",
            label=gettext_noop("Age at diagnosis"),
            unit="years",
            minimum=AGE_RANGE[0],
            maximum=AGE_RANGE[1],
            description=(
                gettext_noop(
                    "Years as a number (e.g. 51.3), or text in the dataset's form "
                    '"51 years 108 days" (or "51 years").'
                )
            ),
            parser=parse_age,
        ),
        Field(
            "race",
            "choice",
            label=gettext_noop("Race"),
            choices=("white", *RACES),
            description=gettext_noop('"not reported" when unknown.'),
        ),
        *(
            Field(
                gene,
                "boolean",
                label=f"{gene} mutated",
                description=(
                    f"true if the tumour carries a {gene} mutation (MUTATED / "
                    "NOT_MUTATED text is accepted too)."
                ),
                parser=parse_mutation,
            )
            for gene in GENES
        ),
    )
)


class GliomaGradeCase(TabularCase):
    slug = "glioma-grade"
    title = gettext_noop("Glioma grade from mutations (LGG or GBM)")
    description = gettext_noop(
        "Estimates whether a glioma is a lower-grade glioma (LGG) or a glioblastoma "
        "multiforme (GBM, grade IV) from the patient's gender, age at diagnosis, race and "
        "whether 20 genes are mutated in the tumour (TCGA panel). Returns LGG or GBM with "
        "the probability of each. Age may be sent as years (51.3) or as "
        '"51 years 108 days". Decision support only, not a diagnosis.'
    )
    source_name = (
        "UCI ML Repository #759: Glioma Grading Clinical and Mutation Features (CC BY 4.0)"
    )
    source_url = "https://archive.ics.uci.edu/dataset/759/glioma+grading+clinical+and+mutation+features+dataset"
    schema = SCHEMA
    # The example is what the OpenAPI schema publishes: the age as the number it declares
    # (the dataset's text form is accepted too, but a generated client would refuse it).
    example = {
        "gender": "male",
        "age_at_diagnosis": 51.3,
        "race": "white",
        **dict.fromkeys(GENES, False),
        "IDH1": True,
        "PIK3CA": True,
        "FUBP1": True,
    }
    features = FEATURES
    cv_repeats = 10
    leaky_columns = ("Project", "Primary_Diagnosis", "Case_ID", "Grade")
    dataset_files = DATASET_FILES
    default_price = 25
    # The honest ceiling over 10x5-fold CV; the published 0.93 / 0.88 are single splits.
    bars = (Bar("roc_auc", ">=", 0.92), Bar("accuracy", ">=", 0.865))
    primary_metric = "roc_auc"
    evaluation_protocol = gettext_noop(
        "Stratified 5-fold cross-validation repeated ten times (50 fits), every model "
        "fitted on the training part only, 95 % intervals with the Nadeau-Bengio "
        "correction; Project and Primary_Diagnosis (leaks) unused. The blend's settings "
        "were fixed after one search under an earlier 3x5-fold run of it (not nested). The "
        "published "
        "figures (ROC AUC 0.93, accuracy 0.88) come from single train/test splits, not "
        "from repeated cross-validation: about a third of single 20 % folds here reach "
        "0.93 too."
    )

    # --- training -----------------------------------------------------------------------
    def load_training_data(self, datasets_dir: Path) -> TrainingData:
        frame = pd.read_csv(self.dataset_path(datasets_dir), encoding="utf-8-sig")
        frame["age_years"] = frame["Age_at_diagnosis"].map(_age_text_to_years)
        unreported = frame["age_years"].isna() | (frame["Gender"] == "--")
        frame = frame[~unreported].reset_index(drop=True)
        X = pd.DataFrame(
            {
                "age_years": frame["age_years"],
                "female": (frame["Gender"] == "Female").astype(float),
                **{column: (frame["Race"] == race).astype(float) for race, column in RACES.items()},
                **{gene: (frame[gene] == "MUTATED").astype(float) for gene in GENES},
            },
            columns=list(FEATURES),
        ).astype(float)
        return TrainingData(
            X=X,
            y=frame["Grade"].to_numpy(dtype=str),
            frame=frame,
            notes={"dropped_rows": {"age or gender not reported (--)": int(unreported.sum())}},
        )

    def build_baseline(self) -> Any:
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))

    def build_production(self) -> Any:
        logistic = make_pipeline(
            FunctionTransformer(age_hinges),
            StandardScaler(),
            LogisticRegression(C=0.3, max_iter=5000),
        )
        boosting = shallow_xgboost(colsample_bytree=0.7, min_child_weight=3)
        return SoftBlend([("logistic", logistic), ("xgboost", boosting)])

    def eda_figures(self, data: TrainingData, out_dir: Path) -> list[dict[str, str]]:
        X = pd.DataFrame(np.asarray(data.X, dtype=float), columns=list(FEATURES))
        return [
            class_balance_figure(
                data.y,
                out_dir=out_dir,
                title=gettext_noop("Grades"),
                caption=gettext_noop("Lower-grade glioma (LGG) 58 %, glioblastoma (GBM) 42 %."),
                order=("LGG", "GBM"),
            ),
            _mutation_rates_figure(X, data.y, out_dir),
            _age_by_idh_figure(X, data.y, out_dir),
        ]

    # --- serving ------------------------------------------------------------------------
    def rows_to_matrix(self, rows: Sequence[dict[str, Any]]) -> np.ndarray:
        return np.array(
            [
                [
                    row["age_at_diagnosis"],
                    1.0 if row["gender"] == "female" else 0.0,
                    *(1.0 if row["race"] == race else 0.0 for race in RACES),
                    *(1.0 if row[gene] else 0.0 for gene in GENES),
                ]
                for row in rows
            ],
            dtype=float,
        )


def _mutation_rates_figure(X: pd.DataFrame, y: np.ndarray, out_dir: Path) -> dict[str, str]:
    rates = pd.DataFrame({grade: X.loc[y == grade, list(GENES)].mean() for grade in ("LGG", "GBM")})
    rates = rates.sort_values("LGG")
    fig = Figure(figsize=(6, 6))
    ax = fig.subplots()
    positions = np.arange(len(rates))
    ax.barh(positions - 0.2, rates["LGG"], height=0.4, label="LGG", color="#4c72b0")
    ax.barh(positions + 0.2, rates["GBM"], height=0.4, label="GBM", color="#dd8452")
    ax.set_yticks(positions, rates.index)
    ax.set_xlabel(gettext("share of tumours with the mutation"))
    ax.legend()
    return figure_save(
        fig,
        out_dir=out_dir,
        name="mutations_by_grade",
        title=gettext_noop("Mutation rates by grade"),
        caption=gettext_noop(
            "IDH1 (and ATRX, CIC, FUBP1, NOTCH1, IDH2) mark lower-grade gliomas; PTEN, EGFR, "
            "RB1, NF1 and PDGFRA are commoner in glioblastomas."
        ),
    )


def _age_by_idh_figure(X: pd.DataFrame, y: np.ndarray, out_dir: Path) -> dict[str, str]:
    fig = Figure(figsize=(8, 3.2))
    axes = fig.subplots(1, 2, sharey=True)
    mutant = (X["IDH1"] + X["IDH2"]) > 0
    bins = np.arange(10, 95, 5)
    for ax, part, name in (
        (axes[0], ~mutant, gettext("IDH wildtype")),
        (axes[1], mutant, gettext("IDH mutant")),
    ):
        for grade, colour in (("LGG", "#4c72b0"), ("GBM", "#dd8452")):
            ax.hist(
                X.loc[part & (y == grade), "age_years"],
                bins=bins,
                alpha=0.6,
                label=grade,
                color=colour,
            )
        ax.set_title(name, fontsize=10)
        ax.set_xlabel(gettext("age at diagnosis (years)"))
    axes[0].set_ylabel(gettext("patients"))
    axes[0].legend()
    return figure_save(
        fig,
        out_dir=out_dir,
        name="age_by_idh",
        title=gettext_noop("Age at diagnosis by IDH status and grade"),
        caption=gettext_noop(
            "IDH-mutant tumours are almost all LGG at any age; among IDH-wildtype tumours, "
            "GBM dominates and grows with age, which is where most errors remain."
        ),
    )


CASE = GliomaGradeCase()
