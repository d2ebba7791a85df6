"""How alerts are judged: the labelled set per seed, precision and recall of the alerts,
and the parameter grid chosen on a time split inside the training hours."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from predictions.ml.cases.elder_monitoring.data import (
    INJECTED_PER_KIND,
    hours_matrix,
    injected_hours,
    split_hours,
    time_split,
)
from predictions.ml.cases.elder_monitoring.model import (
    HomeRoutineModel,
)
from predictions.ml.evaluation import fold_summary

SEEDS = range(5)
# One anomalous hour a day, a week, a month: the labelled set's own share of anomalies
# (about a third) says nothing of how often an alert is right in a real home.
PREVALENCES = {"day": 1 / 24, "week": 1 / (24 * 7), "month": 1 / (24 * 30)}
PARAM_GRID = tuple(
    {"window": window, "motion_quantile": quantile}
    for window in (0, 1)
    for quantile in (None, 0.75, 0.9, 0.95)
)


@dataclass(frozen=True)
class LabelledHours:
    """The constructed labelled set as matrices: one set of positives per seed."""

    normal: np.ndarray
    positives: tuple[np.ndarray, ...]
    kinds: tuple[np.ndarray, ...]
    moderate_night: tuple[np.ndarray, ...]


def labelled_hours(
    *,
    train: pd.DataFrame,
    normal: pd.DataFrame,
    natural: pd.DataFrame,
    seeds: Sequence[int] = SEEDS,
) -> LabelledHours:
    """Negatives: the `normal` hours; positives: the `natural` anomalous hours plus the
    hours `injected_hours` makes from `normal` (40 of each kind per seed)."""
    positives, kinds, moderate = [], [], []
    for seed in seeds:
        injected, injected_kinds = injected_hours(normal, train, seed=seed)
        positives.append(hours_matrix(pd.concat([natural, injected])))
        kinds.append(np.concatenate([np.full(len(natural), "empty_house"), injected_kinds]))
        # The same night wandering at the level of an ordinary daytime hour (>= 8).
        weaker, weaker_kinds = injected_hours(normal, train, seed=seed, night_minimum=8)
        moderate.append(hours_matrix(weaker[weaker_kinds == "night"]))
    return LabelledHours(hours_matrix(normal), tuple(positives), tuple(kinds), tuple(moderate))


def judge_alerts(model: HomeRoutineModel, labelled: LabelledHours) -> dict[str, Any]:
    """Precision, recall, F1 and ROC AUC of a fitted model's alerts, across the seeds."""
    normal_score = model.score_samples(labelled.normal)
    scores: dict[str, list[float]] = {"precision": [], "recall": [], "f1": [], "roc_auc": []}
    by_kind: dict[str, list[float]] = {}
    # Rows: true alert / normal; columns: predicted alert / normal; summed over the seeds.
    confusion = np.zeros((2, 2), dtype=int)
    for positives, kinds, moderate in zip(
        labelled.positives, labelled.kinds, labelled.moderate_night, strict=True
    ):
        score = np.r_[normal_score, model.score_samples(positives)]
        y_true = np.r_[np.zeros(len(normal_score)), np.ones(len(positives))]
        y_pred = score > model.threshold_
        # Plain counts: sklearn's checks cost more than the scoring here.
        hits = float(y_pred[len(normal_score) :].sum())
        precision = hits / max(y_pred.sum(), 1)
        recall = hits / len(positives)
        scores["precision"].append(precision)
        scores["recall"].append(recall)
        scores["f1"].append(2 * precision * recall / max(precision + recall, 1e-12))
        scores["roc_auc"].append(roc_auc_score(y_true, score))
        false_alarms = int(y_pred[: len(normal_score)].sum())
        confusion += np.array(
            [[hits, len(positives) - hits], [false_alarms, len(normal_score) - false_alarms]],
            dtype=int,
        )
        caught = y_pred[len(normal_score) :]
        for kind in np.unique(kinds):
            by_kind.setdefault(str(kind), []).append(float(caught[kinds == kind].mean()))
        by_kind.setdefault("moderate_night", []).append(
            float((model.score_samples(moderate) > model.threshold_).mean())
        )
    metrics: dict[str, Any] = {name: fold_summary(values) for name, values in scores.items()}
    metrics["false_alarm_rate"] = float((normal_score > model.threshold_).mean())
    metrics["precision_at_prevalence"] = precision_at_prevalence(
        metrics["recall"]["mean"], metrics["false_alarm_rate"]
    )
    metrics["recall_by_kind"] = {kind: float(np.mean(v)) for kind, v in by_kind.items()}
    metrics["threshold"] = model.threshold_
    metrics["labels"] = ["alert", "normal"]
    metrics["confusion_matrix"] = confusion.tolist()
    return metrics


def precision_at_prevalence(recall: float, false_alarm_rate: float) -> dict[str, float]:
    """The share of alerts that are real when one hour in a day / week / month is anomalous:
    recall * p / (recall * p + false-alarm rate * (1 - p))."""
    return {
        name: recall * p / max(recall * p + false_alarm_rate * (1 - p), 1e-12)
        for name, p in PREVALENCES.items()
    }


def select_params(estimator: HomeRoutineModel, train: pd.DataFrame) -> dict[str, Any]:
    """The grid point with the best F1 on a time split inside `train` (injected anomalies)."""
    inner_train, inner_normal = time_split(train)
    labelled = labelled_hours(train=inner_train, normal=inner_normal, natural=inner_normal.iloc[:0])
    X_inner = hours_matrix(inner_train)

    def inner_f1(params: dict[str, Any]) -> float:
        model = clone(estimator).set_params(**params).fit(X_inner)
        return judge_alerts(model, labelled)["f1"]["mean"]

    return max(PARAM_GRID, key=inner_f1)


def evaluate_alerts(estimator: HomeRoutineModel, frame: pd.DataFrame) -> dict[str, Any]:
    """Select on the training hours, fit on them, judge on the constructed labelled set."""
    train, normal, still_days = split_hours(frame)
    params = select_params(estimator, train)
    model = clone(estimator).set_params(**params).fit(hours_matrix(train))
    metrics = judge_alerts(model, labelled_hours(train=train, normal=normal, natural=still_days))
    metrics["params"] = params
    metrics["labelled_set"] = {
        "train_hours": len(train),
        "normal_test_hours": len(normal),
        "empty_house_still_hours": len(still_days),
        "injected_per_kind": INJECTED_PER_KIND,
        "seeds": len(SEEDS),
        "test_from": normal["timestamp"].iloc[0].isoformat(),
    }
    return metrics
