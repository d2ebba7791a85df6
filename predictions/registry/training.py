"""Training a case end to end: data -> fitted artifact -> registry -> honest evaluation.

`case_train` is what `manage.py train_models` runs for each case, in two parts that the
background training (`training_queue`) runs as two tasks: `case_fit` fits production on
all the data and registers the version; `version_evaluate` judges it by the case's
protocol (baseline and production, repeated cross-validation: most of the time) and
completes its card. A new version is promoted when it meets every bar of its case. When it
misses one it stays a candidate, unless the model has no production version at all: then
it is promoted as soon as it is fitted, its card saying "evaluation running" until the
evaluation is attached and then whether the bar was met, because a service that serves an
honestly labelled model beats one that serves nothing; `train_models --check-bars` (CI)
still evaluates every version and fails on one below its bar.
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd

from predictions.ml.cases.base import Case, DatasetMissing, TrainingData
from predictions.ml.figures import drawn_in_every_language
from predictions.models import ModelVersion
from predictions.registry.cards import evaluation_figures
from predictions.registry.services import (
    model_version_card_update,
    model_version_evaluated,
    model_version_promote,
    model_version_register,
)

# Cases may draw with pyplot; there is no display on a server or in CI.
matplotlib.use("Agg")

# A version's card["evaluation"]: registered and (for a first version) serving, its
# evaluation still to come; judged; or the evaluation raised (the card keeps the error).
# A card without the entry predates the split of fit and evaluation: it was judged first.
EVALUATION_PENDING = "pending"
EVALUATION_DONE = "done"
EVALUATION_FAILED = "failed"


@dataclass
class TrainingOutcome:
    version: ModelVersion
    promoted: bool
    bars_met: bool
    timings: dict[str, float] = field(default_factory=dict)


def bars_report(case: Case, production_metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Each bar of the case with the production figure and whether it is met."""
    report = []
    for bar in case.bars:
        figure = production_metrics.get(bar.metric)
        report.append(
            {
                "bar": str(bar),
                "metric": bar.metric,
                "value": figure.get("mean") if isinstance(figure, dict) else figure,
                "met": bar.met_by(production_metrics),
            }
        )
    return report


def version_meets_bars(case: Case, version: ModelVersion) -> bool:
    return all(bar.met_by(version.metrics.get("production", {})) for bar in case.bars)


def version_meets_ci_floor(case: Case, version: ModelVersion) -> bool:
    """The CI guard: the case's recorded floors where its bars are out of reach, else its bars."""
    floors = case.recorded_floors or case.bars
    return all(bar.met_by(version.metrics.get("production", {})) for bar in floors)


def training_data_sample(data: TrainingData, size: int, *, seed: int = 0) -> TrainingData:
    """A smaller training set for quick runs: stratified by the target when possible."""
    total = len(data.y)
    if size >= total:
        return data
    # Imported here: queueing (bin/run, before its site answers) imports this module.
    from sklearn.model_selection import train_test_split

    index = np.arange(total)
    try:
        chosen, _ = train_test_split(index, train_size=size, stratify=data.y, random_state=seed)
    except ValueError:  # a class too rare to stratify: fall back to a plain random sample
        chosen = np.random.default_rng(seed).choice(index, size, replace=False)
    # Sorted, so that time-ordered data stays in order.
    chosen = np.sort(chosen)
    frame = data.frame
    if frame is not None and len(frame) == total:
        frame = frame.iloc[chosen]
    return TrainingData(
        X=_take(data.X, chosen),
        y=_take(data.y, chosen),
        groups=None if data.groups is None else _take(data.groups, chosen),
        frame=frame,
        notes={**data.notes, "sample": size},
    )


def _take(values: Any, index: np.ndarray) -> Any:
    return values.iloc[index] if hasattr(values, "iloc") else values[index]


def dataset_fingerprint(
    case: Case, datasets_dir: Path, data: TrainingData
) -> tuple[str, list[dict[str, str]]]:
    """sha256 of the case's declared dataset files, or of the loaded data when undeclared."""
    if case.dataset_files:
        files = [
            {"file": name, "sha256": _file_sha256(datasets_dir / name)}
            for name in case.dataset_files
        ]
        listing = "\n".join(f"{f['sha256']}  {f['file']}" for f in files)
        return "sha256:" + hashlib.sha256(listing.encode()).hexdigest(), files
    digest = hashlib.sha256()
    for part in (data.X, data.y):
        hashed = pd.util.hash_pandas_object(pd.DataFrame(part), index=False)
        digest.update(hashed.to_numpy().tobytes())
    return "data-sha256:" + digest.hexdigest(), []


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def case_train(
    *,
    case: Case,
    datasets_dir: Path,
    sample: int | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> TrainingOutcome:
    """Fit, register, evaluate one case; promote it by the rule in the module doc.

    Raises `DatasetMissing` when a dataset file is absent.
    """
    version, data = case_fit(case=case, datasets_dir=datasets_dir, sample=sample, progress=progress)
    return version_evaluate(case=case, version=version, data=data, progress=progress)


def case_fit(
    *,
    case: Case,
    datasets_dir: Path,
    sample: int | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> tuple[ModelVersion, TrainingData]:
    """Load the data, fit production on all of it and register the version, its card saying
    the evaluation is pending. When the model has no production version the new one is
    promoted at once: nothing else could serve, and its evaluation (the slow part: repeated
    cross-validation) follows while it serves. Returns the version and the data it was fitted on.
    """
    step = _StepTimer(progress)
    for name in case.dataset_files:
        if not (datasets_dir / name).is_file():
            raise DatasetMissing(datasets_dir / name)
    with step("loading data"):
        data = case.load_training_data(datasets_dir)
        if sample:
            data = training_data_sample(data, sample)
    with step("fitting production on all the data"):
        model = case.fit_production(data)
    fingerprint, files = dataset_fingerprint(case, datasets_dir, data)
    with step("registering"):
        version = model_version_register(
            case=case,
            model=model,
            metrics={},
            data_fingerprint=fingerprint,
            card={
                "evaluation": EVALUATION_PENDING,
                "sample": sample,
                "rows": len(data.y),
                "dataset_files": files,
                "notes": _jsonable(data.notes),
                "timings": step.timings,
            },
        )
        if not _has_production(case):
            version = model_version_promote(version_id=version.pk)
    return version, data


def version_evaluate(
    *,
    case: Case,
    version: ModelVersion,
    data: TrainingData,
    progress: Callable[[str], None] = lambda line: None,
) -> TrainingOutcome:
    """Judge a version `case_fit` registered by its case's protocol (baseline and production)
    and complete its card: metrics, bars, figures. A candidate that meets its bars is
    promoted now; a version that serves already (the first of its model) stays, its card
    saying whether it meets them. A failed evaluation is written on the card, then raised.
    """
    step = _StepTimer(progress, dict(version.card.get("timings", {})))
    try:
        with step("evaluating baseline and production"):
            metrics = case.evaluate(data)
        bars = bars_report(case, metrics.get("production", {}))
        bars_met = all(b["met"] for b in bars)
        # Promoted by `case_fit` (the first version of its model), before it was judged.
        served = version.status != ModelVersion.Status.CANDIDATE
        with tempfile.TemporaryDirectory() as tmp, step("drawing figures"):
            out_dir = Path(tmp)
            figures = drawn_in_every_language(
                lambda: (
                    [{**f, "kind": "eda"} for f in case.eda_figures(data, out_dir)]
                    + evaluation_figures(case, metrics, out_dir)
                )
            )
            version = model_version_evaluated(
                version_id=version.pk,
                metrics=_jsonable(metrics),
                figures_dir=out_dir,
                figures=figures,
                card={
                    "evaluation": EVALUATION_DONE,
                    "bars": bars,
                    "bars_met": bars_met,
                    "promoted_below_bar": served and not bars_met,
                    "timings": step.timings,
                },
            )
    except Exception as exc:
        model_version_card_update(
            version_id=version.pk, evaluation=EVALUATION_FAILED, evaluation_error=str(exc)[:500]
        )
        raise
    if bars_met and version.status == ModelVersion.Status.CANDIDATE:
        version = model_version_promote(version_id=version.pk)
    return TrainingOutcome(
        version=version,
        promoted=version.status == ModelVersion.Status.PRODUCTION,
        bars_met=bars_met,
        timings=step.timings,
    )


class _StepTimer:
    """Times the named steps of a training run and reports each through `progress`."""

    def __init__(
        self, progress: Callable[[str], None], timings: dict[str, float] | None = None
    ) -> None:
        self.progress = progress
        self.timings: dict[str, float] = {} if timings is None else timings

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        self.progress(f"  {name} ...")
        started = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - started, 2)
        self.progress(f"  {name} done in {self.timings[name]:.1f} s")


def _has_production(case: Case) -> bool:
    return ModelVersion.objects.filter(
        model__slug=case.slug, status=ModelVersion.Status.PRODUCTION
    ).exists()


def _jsonable(value: Any) -> Any:
    # Metrics and notes may hold NumPy scalars and NaN; PostgreSQL's JSON takes neither.
    return _finite(json.loads(json.dumps(value, default=_plain)))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
