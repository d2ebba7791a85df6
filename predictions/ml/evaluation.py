"""Honest evaluation shared by the classification cases.

Every fold fits a fresh estimator on the training part only, so any preprocessing inside
the pipeline (scaling, imputation, TF-IDF vocabularies, tuned thresholds) never sees the
held-out rows. Metrics keep scikit-learn's names and report mean, spread and a 95 %
interval across folds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import stats
from sklearn.base import clone
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold


def fold_summary(
    values: list[float],
    *,
    test_to_train: float = 0.25,
    within: tuple[float, float] | None = None,
) -> dict[str, float]:
    """Mean, spread and a 95 % interval of a metric across the folds of repeated k-fold CV.

    The interval uses Nadeau and Bengio's corrected variance (Machine Learning 52, 2003):
    fold scores share most of their training rows, so their plain variance understates the
    uncertainty; it is inflated by `test_to_train` (n_test / n_train, 1/4 for 5-fold) and
    the mean gets a t interval with folds - 1 degrees of freedom. The t interval is
    symmetric; `within` (the metric's own range, e.g. (0, 1) for ROC AUC) cuts its ends
    there, so a card never reads an AUC above 1.
    """
    scores = np.asarray(values, dtype=float)
    mean = float(np.mean(scores))
    half = 0.0
    if len(scores) > 1:
        corrected = (1 / len(scores) + test_to_train) * np.var(scores, ddof=1)
        half = float(stats.t.ppf(0.975, len(scores) - 1) * np.sqrt(corrected))
    return {
        "mean": mean,
        "std": float(np.std(scores)),
        "folds": len(scores),
        "ci_low": mean - half if within is None else max(mean - half, within[0]),
        "ci_high": mean + half if within is None else min(mean + half, within[1]),
    }


class RepeatedStratifiedGroupKFold:
    """Stratified group k-fold repeated with `n_repeats` shuffles (scikit-learn has the
    repeated form of the ungrouped splitter only): every repeat keeps each group on one
    side of every split."""

    def __init__(self, *, n_splits: int = 5, n_repeats: int = 5, random_state: int = 0) -> None:
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.random_state = random_state

    def split(self, X: Any, y: Any, groups: Any) -> Any:
        for repeat in range(self.n_repeats):
            folds = StratifiedGroupKFold(
                n_splits=self.n_splits, shuffle=True, random_state=self.random_state + repeat
            )
            yield from folds.split(X, y, groups)


def cross_validate_classifier(
    estimator: Any,
    X: Any,
    y: np.ndarray,
    *,
    cv: Any,
    groups: np.ndarray | None = None,
    predict_labels: Callable[[Any, Any], np.ndarray] | None = None,
    per_distinct_group: bool = False,
) -> dict[str, Any]:
    """Cross-validate a probabilistic classifier.

    `predict_labels(fitted, X_test)` overrides `fitted.predict` (e.g. a tuned threshold).
    Returns accuracy, f1_macro, roc_auc (binary, or one-vs-rest macro), log_loss, each
    {"mean", "std", "folds", "ci_low", "ci_high"}, plus the out-of-fold confusion matrix
    and its labels. With `per_distinct_group`, f1_macro and roc_auc are also scored on one
    row per (group, label) of each test fold, as `*_per_distinct` (rows copied many times
    otherwise weigh as many times).
    """
    labels = np.unique(y)
    scores: dict[str, list[float]] = {}
    y_true_all: list[np.ndarray] = []
    y_pred_all: list[np.ndarray] = []
    index = np.arange(len(y))
    for train_idx, test_idx in cv.split(index, y, groups):
        fitted = clone(estimator)
        X_train, X_test = _take(X, train_idx), _take(X, test_idx)
        fitted.fit(X_train, y[train_idx])
        proba = fitted.predict_proba(X_test)
        pred = (
            predict_labels(fitted, X_test)
            if predict_labels
            else fitted.classes_[np.argmax(proba, axis=1)]
        )
        y_test = y[test_idx]
        fold = _fold_scores(y_test, proba, pred, labels, fitted.classes_)
        if per_distinct_group:
            fold.update(_per_distinct_scores(groups[test_idx], y_test, proba, pred, labels, fitted))
        for name, value in fold.items():
            scores.setdefault(name, []).append(value)
        y_true_all.append(y_test)
        y_pred_all.append(pred)
    metrics: dict[str, Any] = {
        name: fold_summary(values, within=_RANGES.get(name, (0.0, 1.0)))
        for name, values in scores.items()
    }
    y_true = np.concatenate(y_true_all)
    y_pred = np.concatenate(y_pred_all)
    metrics["labels"] = [str(label) for label in labels]
    metrics["confusion_matrix"] = confusion_matrix(y_true, y_pred, labels=labels).tolist()
    return metrics


def _per_distinct_scores(
    groups: np.ndarray,
    y_test: np.ndarray,
    proba: np.ndarray,
    pred: np.ndarray,
    labels: np.ndarray,
    fitted: Any,
) -> dict[str, float]:
    """f1_macro and roc_auc of a test fold on its first row per (group, label)."""
    _, first = np.unique(np.column_stack([groups, y_test]), axis=0, return_index=True)
    distinct = _fold_scores(y_test[first], proba[first], pred[first], labels, fitted.classes_)
    return {
        f"{name}_per_distinct": distinct[name]
        for name in ("f1_macro", "roc_auc")
        if name in distinct
    }


# Every score here lies in [0, 1] but log loss, which has no upper end.
_RANGES = {"log_loss": (0.0, np.inf)}


def _fold_scores(
    y_test: np.ndarray, proba: np.ndarray, pred: np.ndarray, labels: np.ndarray, classes: Any
) -> dict[str, float]:
    scores = {
        "accuracy": accuracy_score(y_test, pred),
        "f1_macro": f1_score(y_test, pred, average="macro", labels=labels),
        "log_loss": log_loss(y_test, proba, labels=classes),
    }
    # ROC AUC needs every class among the held-out rows.
    if len(np.unique(y_test)) == len(labels):
        if len(labels) == 2:
            scores["roc_auc"] = roc_auc_score(y_test, proba[:, 1])
        else:
            scores["roc_auc"] = roc_auc_score(y_test, proba, multi_class="ovr", labels=classes)
    return {name: float(value) for name, value in scores.items()}


def _take(X: Any, idx: np.ndarray) -> Any:
    return X.iloc[idx] if hasattr(X, "iloc") else X[idx]
