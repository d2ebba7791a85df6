"""The shape every ML case has.

A case is one module under `predictions/ml/cases/` (or a package, whose `case.py` holds
the case) defining a subclass of `Case` and one line in `predictions/ml/cases/__init__.py`'s
registry. Every case module names the same things: `DATASET_FILES` (its files under
DATASETS_DIR), `SCHEMA` (its input), the case class (training, evaluation, serving) and
`CASE`, the one instance the registry serves. The case knows its data, its input
schema, its pipelines and how raw model output becomes a response; it knows nothing of
the database, billing or HTTP.

Life of a case:
- training (`manage.py train_models`): `load_training_data` -> `evaluate` (baseline and
  production judged by the same protocol) -> `fit_production` -> the fitted object is
  the artifact (pickled with joblib) -> `eda_figures` for the model card;
- serving: `schema.validate_rows` -> `predict(model, clean_rows)` -> one result dict a row.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from predictions.ml.schema import Schema


class DatasetMissing(FileNotFoundError):
    """A dataset file is not where DATASETS_DIR says it is."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"Dataset file not found: {path}. Set DATASETS_DIR to the folder holding the "
            f"case folders (case_1 ... case_6)."
        )
        self.path = path


def dataset_file(datasets_dir: Path | str, relative: Path | str) -> Path:
    """A case's dataset file under DATASETS_DIR; raises `DatasetMissing` when it is absent."""
    path = Path(datasets_dir) / relative
    if not path.is_file():
        raise DatasetMissing(path)
    return path


@dataclass
class TrainingData:
    """What a case's dataset becomes before modelling.

    `X` holds the feature columns only (never the target, ids or leaks) in the order the
    pipelines expect; `groups` is set when rows repeat and folds must be grouped;
    `frame` is the cleaned full table, for EDA figures.
    """

    X: pd.DataFrame | np.ndarray
    y: np.ndarray
    groups: np.ndarray | None = None
    frame: pd.DataFrame | None = None
    notes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Bar:
    """A quality bar: `metric` compared with `value` (">=" or "<=")."""

    metric: str
    op: str
    value: float

    def met_by(self, metrics: dict[str, Any]) -> bool:
        figure = metrics.get(self.metric)
        if isinstance(figure, dict):
            figure = figure.get("mean")
        if figure is None:
            return False
        return figure >= self.value if self.op == ">=" else figure <= self.value

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


class Case(ABC):
    slug: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    # Where the data comes from, for the model card (UCI page; licence CC BY 4.0).
    source_name: ClassVar[str]
    source_url: ClassVar[str]
    schema: ClassVar[Schema]
    example: ClassVar[dict[str, Any]]
    bars: ClassVar[tuple[Bar, ...]] = ()
    # Where a bar in `bars` is out of reach under an honest protocol: the figures the
    # production model does reach, less a margin for fold noise. CI (`train_models
    # --check-bars`) then guards these instead, so a regression still fails while the
    # shortfall stays stated on the model card.
    recorded_floors: ClassVar[tuple[Bar, ...]] = ()
    # The metric a person should read first on the card.
    primary_metric: ClassVar[str]
    # One sentence on how the evaluation was done (folds, grouping, split).
    evaluation_protocol: ClassVar[str]
    # Dataset columns that must never be features (ids, the target in disguise).
    leaky_columns: ClassVar[tuple[str, ...]] = ()
    # Price of one predicted row in hundredths of a credit, used when the model is first
    # registered; operators change it in the admin afterwards.
    default_price: ClassVar[int] = 10
    # The files `load_training_data` reads, relative to DATASETS_DIR: their sha256 is the
    # training data's fingerprint, and training checks they are all there before it starts.
    dataset_files: ClassVar[tuple[str, ...]] = ()

    # --- training -----------------------------------------------------------------------
    def dataset_path(self, datasets_dir: Path, relative: str | None = None) -> Path:
        """A declared dataset file (the first by default); raises `DatasetMissing`."""
        return dataset_file(datasets_dir, relative or self.dataset_files[0])

    @abstractmethod
    def load_training_data(self, datasets_dir: Path) -> TrainingData:
        """Read and clean the dataset; raise `DatasetMissing` when a file is absent."""

    @abstractmethod
    def build_baseline(self) -> Any:
        """An unfitted simple estimator, judged by the same protocol as production."""

    @abstractmethod
    def build_production(self) -> Any:
        """An unfitted production estimator (pipeline), `n_jobs=1` for serving."""

    @abstractmethod
    def evaluate(self, data: TrainingData) -> dict[str, dict[str, Any]]:
        """Judge baseline and production by the case's protocol.

        Returns {"baseline": metrics, "production": metrics}; metrics use scikit-learn's
        names ("accuracy", "f1_macro", "roc_auc", "log_loss", ...), each
        {"mean": float, "std": float} across folds, plus any extra figures
        (e.g. "confusion_matrix": [[...]], "labels": [...], "threshold": 0.3).
        """

    def fit_production(self, data: TrainingData) -> Any:
        """Fit the production model on all the data; the result is the artifact."""
        model = self.build_production()
        model.fit(data.X, data.y)
        return model

    def feature_names(self, model: Any) -> list[str]:
        """The columns the fitted model reads (tests check no leak is among them)."""
        names = getattr(model, "feature_names_in_", None)
        if names is None:
            raise NotImplementedError(f"{self.slug}: say which features the model reads.")
        return list(names)

    def eda_figures(self, data: TrainingData, out_dir: Path) -> list[dict[str, str]]:
        """Write EDA figures into out_dir (`predictions.ml.figures.figure_save`, which names
        each file for the active language: training draws them once per language); return
        their card entries [{"file", "title", "caption"}]."""
        return []

    def evaluation_figures(
        self, metrics: dict[str, dict[str, Any]], out_dir: Path
    ) -> list[dict[str, str]]:
        """The case's own evaluation figures, drawn from its stored metrics (card entries
        with "kind": "evaluation"); the generic ones come from `registry.cards`."""
        return []

    # --- serving ------------------------------------------------------------------------
    @abstractmethod
    def rows_to_matrix(self, rows: Sequence[dict[str, Any]]) -> np.ndarray:
        """Clean rows (from `schema.validate_rows`) -> the model's input, as NumPy."""

    def predict(self, model: Any, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Clean rows -> one result dict per row, in order.

        The default serves a probabilistic classifier: {"label", "probabilities"}.
        """
        proba = model.predict_proba(self.rows_to_matrix(rows))
        classes = [str(c) for c in model.classes_]
        return [self.format_result(p, classes) for p in proba]

    def format_result(self, proba: np.ndarray, classes: Sequence[str]) -> dict[str, Any]:
        best = int(np.argmax(proba))
        return {
            "label": classes[best],
            "probabilities": {c: round(float(p), 6) for c, p in zip(classes, proba, strict=True)},
        }

    def output_columns(self) -> list[str]:
        """Columns a batch result CSV adds for this case (after the input columns)."""
        return ["prediction", "probability"]

    def result_to_columns(self, result: dict[str, Any]) -> dict[str, Any]:
        """One result dict -> the values of `output_columns` for a batch result row."""
        return {
            "prediction": result["label"],
            "probability": result["probabilities"][result["label"]],
        }

    def predict_columns(self, model: Any, rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
        """Clean rows -> the values of each of `output_columns`, column by column (the batch
        path). By default each row's `predict` result through `result_to_columns`, so a
        case's outputs need nothing more here; a case may compute the same columns
        vectorised instead, a text column then possibly as an Arrow string array (the case
        contract test holds the two equal)."""
        results = [self.result_to_columns(result) for result in self.predict(model, rows)]
        return {name: [result[name] for result in results] for name in self.output_columns()}
