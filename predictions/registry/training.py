"""Training a case end to end: data -> honest evaluation -> fitted artifact -> registry.

`case_train` is what `manage.py train_models` runs for each case. A new version is
promoted when it meets every bar of its case. When it misses one it stays a candidate,
unless the model has no production version at all: then it is promoted anyway and its card
says the bar was not met, because a service that serves an honestly labelled model beats
one that serves nothing, and `train_models --check-bars` (CI) still fails on it.
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
from sklearn.model_selection import train_test_split

from predictions.ml.cases.base import Case, DatasetMissing, TrainingData
from predictions.ml.figures import drawn_in_every_language
from predictions.models import ModelVersion
from predictions.registry.cards import evaluation_figures
from predictions.registry.services import model_version_promote, model_version_register

# Cases may draw with pyplot; there is no display on a server or in CI.
matplotlib.use("Agg")


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
    """Train, evaluate and register one case; promote it by the rule in the module doc.

    Raises `DatasetMissing` when a dataset file is absent.
    """
    step = _StepTimer(progress)
    timings = step.timings
    for name in case.dataset_files:
        if not (datasets_dir / name).is_file():
            raise DatasetMissing(datasets_dir / name)
    with step("loading data"):
        data = case.load_training_data(datasets_dir)
        if sample:
            data = training_data_sample(data, sample)
    with step("evaluating baseline and production"):
        metrics = case.evaluate(data)
    with step("fitting production on all the data"):
        model = case.fit_production(data)
    bars = bars_report(case, metrics.get("production", {}))
    bars_met = all(b["met"] for b in bars)
    promote = bars_met or not _has_production(case)
    fingerprint, files = dataset_fingerprint(case, datasets_dir, data)
    with tempfile.TemporaryDirectory() as tmp, step("drawing figures and registering"):
        out_dir = Path(tmp)
        figures = drawn_in_every_language(
            lambda: (
                [{**f, "kind": "eda"} for f in case.eda_figures(data, out_dir)]
                + evaluation_figures(case, metrics, out_dir)
            )
        )
        version = model_version_register(
            case=case,
            model=model,
            metrics=_jsonable(metrics),
            figures_dir=out_dir,
            figures=figures,
            data_fingerprint=fingerprint,
            card={
                "bars": bars,
                "bars_met": bars_met,
                "promoted_below_bar": promote and not bars_met,
                "sample": sample,
                "rows": len(data.y),
                "dataset_files": files,
                "notes": _jsonable(data.notes),
                "timings": timings,
            },
        )
    if promote:
        version = model_version_promote(version_id=version.pk)
    return TrainingOutcome(version=version, promoted=promote, bars_met=bars_met, timings=timings)


class _StepTimer:
    """Times the named steps of a training run and reports each through `progress`."""

    def __init__(self, progress: Callable[[str], None]) -> None:
        self.progress = progress
        self.timings: dict[str, float] = {}

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
