"""Model-card figures every case gets, drawn from its evaluation metrics.

The case draws its own EDA figures (`Case.eda_figures`); these are the generic ones:
the out-of-fold confusion matrix and baseline vs production metrics with their spread.
Their titles and captions are stored in English and translated when the card is shown;
their axis labels and legends are drawn in each language (predictions.ml.figures).
Figures are drawn on `matplotlib.figure.Figure` objects with the Agg canvas: no pyplot
state, no display, safe in a server process.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_noop

from predictions.ml.cases.base import Case

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_DPI = 110


def evaluation_figures(
    case: Case, metrics: dict[str, dict[str, Any]], out_dir: Path
) -> list[dict[str, str]]:
    """Write the generic evaluation figures into out_dir; return their card entries."""
    figures = []
    for which in ("production", "baseline"):
        judged = metrics.get(which, {})
        if judged.get("confusion_matrix") and judged.get("labels"):
            figures.append(_confusion_matrix(which, judged, out_dir))
    if _both_sides(metrics):
        figures.append(_metric_bars(case, metrics, out_dir))
    return figures + case.evaluation_figures(metrics, out_dir)


def _confusion_matrix(which: str, judged: dict[str, Any], out_dir: Path) -> dict[str, str]:
    matrix = np.asarray(judged["confusion_matrix"], dtype=float)
    labels = judged["labels"]
    size = max(3.2, 0.6 * len(labels) + 2)
    fig = _figure(figsize=(size, size))
    ax = fig.add_subplot()
    # Row-normalised colours show recall per class; the numbers stay raw counts.
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (row, col), count in np.ndenumerate(matrix):
        ax.text(
            col,
            row,
            f"{int(count)}",
            ha="center",
            va="center",
            color="white" if shares[row, col] > 0.5 else "black",
            fontsize=8,
        )
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel(gettext("predicted"))
    ax.set_ylabel(gettext("true"))
    # The baseline's matrix too: it was judged by the same protocol and stored with it.
    titles = {
        "production": gettext_noop("Confusion matrix (production, out of fold)"),
        "baseline": gettext_noop("Confusion matrix (baseline, out of fold)"),
    }
    name = "confusion_matrix" if which == "production" else "confusion_matrix_baseline"
    return _save(
        fig,
        out_dir,
        name,
        title=titles[which],
        caption=gettext_noop(
            "Every row was predicted by a model that never saw it during training; "
            "numbers are counts, the shade is the share of the true class."
        ),
    )


def _comparable(metrics: dict[str, dict[str, Any]]) -> list[str]:
    """Names of the figures judged across folds (a mean), production's first; a metric
    only one side recorded is listed too, with a dash on the other side."""
    baseline, production = metrics.get("baseline", {}), metrics.get("production", {})
    names = [name for name, value in production.items() if _has_mean(value)]
    return names + [n for n, v in baseline.items() if _has_mean(v) and n not in names]


def _both_sides(metrics: dict[str, dict[str, Any]]) -> list[str]:
    baseline = metrics.get("baseline", {})
    return [name for name in _comparable(metrics) if _has_mean(baseline.get(name))]


def _has_mean(value: Any) -> bool:
    return isinstance(value, dict) and "mean" in value


def _metric_bars(case: Case, metrics: dict[str, dict[str, Any]], out_dir: Path) -> dict[str, str]:
    names = _both_sides(metrics)
    fig = _figure(figsize=(max(4.5, 1.4 * len(names) + 1.5), 3.6))
    ax = fig.add_subplot()
    x = np.arange(len(names))
    width = 0.38
    for offset, which, colour in (
        (-width / 2, "baseline", "#9aa5b8"),
        (width / 2, "production", "#2450d8"),
    ):
        means = [metrics[which][n]["mean"] for n in names]
        ax.bar(
            x + offset,
            means,
            width,
            yerr=np.array([_error_bar(metrics[which][n]) for n in names]).T,
            capsize=3,
            label=gettext(which),
            color=colour,
        )
    for bar in case.bars:
        if bar.metric in names:
            i = names.index(bar.metric)
            ax.hlines(bar.value, i - 0.45, i + 0.45, colors="#b3261e", linestyles="dashed")
    # Long metric names (elder-monitoring's detection_boundary_*) would overlap level.
    ax.set_xticks(x, names, fontsize=9, rotation=25, ha="right")
    ax.legend(fontsize=8)
    ax.set_title(gettext("mean and 95 % interval (± std where none); dashed: the bar"), fontsize=9)
    return _save(
        fig,
        out_dir,
        "metrics",
        title=gettext_noop("Baseline vs production"),
        caption=gettext_noop(
            "Both judged by the same protocol; error bars are the 95 % interval of the mean "
            "(Nadeau-Bengio corrected for repeated cross-validation)."
        ),
    )


def _error_bar(value: dict[str, Any]) -> tuple[float, float]:
    """(below, above) the mean: the 95 % interval, or ± std for a metric without one."""
    if value.get("ci_low") is None or value.get("ci_high") is None:
        return value.get("std") or 0.0, value.get("std") or 0.0
    return value["mean"] - value["ci_low"], value["ci_high"] - value["mean"]


def _figure(figsize: tuple[float, float]) -> Figure:
    # Imported here: the model card's pages read this module's tables, and matplotlib is
    # a fifth of a web process's start-up, needed only where training draws.
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, dpi=_DPI)


def _save(fig: Figure, out_dir: Path, name: str, *, title: str, caption: str) -> dict[str, Any]:
    from predictions.ml.figures import figure_save  # matplotlib: see `_figure`

    fig.tight_layout()
    return figure_save(
        fig, out_dir=out_dir, name=name, title=title, caption=caption, kind="evaluation"
    )


def metrics_table(metrics: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of the card's metrics table: each metric with baseline and production mean, std
    and 95 % interval (None where the version recorded none, or that side did not record
    the metric)."""
    rows = []
    for name in _comparable(metrics):
        row: dict[str, Any] = {"metric": name}
        for which in ("baseline", "production"):
            value = metrics.get(which, {}).get(name)
            row[which] = (
                {
                    "mean": value["mean"],
                    "std": value.get("std") or 0.0,
                    "ci_low": value.get("ci_low"),
                    "ci_high": value.get("ci_high"),
                }
                if _has_mean(value)
                else None
            )
        rows.append(row)
    return rows


# Stored for the figures the card draws from them, not shown as numbers: the confusion
# matrices of both, the calibration of both (one figure), production's risk groups.
DRAWN = {
    "production": frozenset(
        {"confusion_matrix", "labels", "calibration", "risk_groups", "curve_years"}
    ),
    "baseline": frozenset({"confusion_matrix", "labels", "calibration"}),
}


def recorded_figures(metrics: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Every other figure a version stored (thresholds, false-alarm rate, recall per kind,
    chosen parameters...): one row per name, nested names dotted, values as text."""
    table = set(_comparable(metrics))
    flat = {
        which: _flatten(
            {
                k: v
                for k, v in metrics.get(which, {}).items()
                if k not in table and k not in DRAWN[which]
            }
        )
        for which in ("baseline", "production")
    }
    names = [*flat["production"], *(n for n in flat["baseline"] if n not in flat["production"])]
    return [
        {
            "metric": name,
            "baseline": flat["baseline"].get(name, "—"),
            "production": flat["production"].get(name, "—"),
        }
        for name in names
    ]


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in values.items():
        if isinstance(value, dict) and _has_interval(value):
            # A nested figure with its interval (detection per magnitude): one row, as the
            # metrics table shows its figures (the `spread` filter).
            flat[prefix + name] = (
                f"{_as_text(value['mean'])} [{_as_text(value['ci_low'])}; "
                f"{_as_text(value['ci_high'])}]"
            )
        elif isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{name}."))
        elif value is not None:
            flat[prefix + name] = _as_text(value)
    return flat


def _has_interval(value: dict[str, Any]) -> bool:
    return all(value.get(key) is not None for key in ("mean", "ci_low", "ci_high"))


def _as_text(value: Any) -> str:
    """A stored value as the card prints it: floats to four decimals in the reader's
    format, lists item by item (nothing a version stored is dropped for its shape)."""
    if isinstance(value, list):
        return "[" + "; ".join(_as_text(item) for item in value) + "]"
    if isinstance(value, float):
        return number_format(round(value, 4), decimal_pos=4)
    return str(value)


def bar_rows(version_card: dict[str, Any], metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """The card's quality bars, each with production's figure as its mean and 95 %
    interval: a bar is met by the mean, and the interval shows how firmly."""
    production = metrics.get("production", {})
    rows = []
    for bar in version_card.get("bars", []):
        figure = production.get(bar.get("metric"))
        rows.append({**bar, "figure": figure if _has_mean(figure) else None})
    return rows
