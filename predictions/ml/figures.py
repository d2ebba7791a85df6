"""Small EDA figures shared by the cases: saving a figure for the card, class balance, a
feature by class.

matplotlib's object API (a `Figure` renders with Agg) keeps pyplot's global state out of
the training process.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52")


def figure_save(
    fig: Figure, *, out_dir: Path, name: str, title: str, caption: str
) -> dict[str, str]:
    """Write `fig` as PNG into out_dir; return its card entry."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_dir / name, dpi=100, bbox_inches="tight")
    return {"file": name, "title": title, "caption": caption}


def class_balance_figure(
    y: np.ndarray, *, out_dir: Path, title: str, caption: str, order: Sequence[str] = ()
) -> dict[str, str]:
    """A bar per class with its count and share."""
    counts = pd.Series(y).astype(str).value_counts()
    if order:
        counts = counts.reindex(list(order), fill_value=0)
    fig = Figure(figsize=(5, 3.2))
    ax = fig.subplots()
    bars = ax.bar(counts.index, counts.to_numpy(), color=COLOURS[: len(counts)])
    total = counts.sum()
    for bar, count in zip(bars, counts.to_numpy(), strict=True):
        ax.annotate(
            f"{count} ({count / total:.0%})",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
        )
    ax.set_ylabel("rows")
    ax.margins(y=0.15)
    return figure_save(fig, out_dir=out_dir, name="class_balance.png", title=title, caption=caption)


def by_class_figure(
    frame: pd.DataFrame,
    *,
    columns: Sequence[str],
    target: str,
    out_dir: Path,
    name: str,
    title: str,
    caption: str,
    log_scale: Sequence[str] = (),
) -> dict[str, str]:
    """One panel per column: its distribution (step histogram, densities) for each class."""
    classes = sorted(frame[target].astype(str).unique())
    cols = min(len(columns), 3)
    rows = -(-len(columns) // cols)
    fig = Figure(figsize=(4 * cols, 2.8 * rows))
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, column in zip(axes, columns, strict=False):
        values = frame[column].astype(float)
        finite = values.dropna()
        bins = (
            np.geomspace(max(finite.min(), 1e-3), finite.max(), 30)
            if column in log_scale
            else np.linspace(finite.min(), finite.max(), 30)
        )
        for colour, label in zip(COLOURS, classes, strict=False):
            part = values[frame[target].astype(str) == label].dropna()
            ax.hist(part, bins=bins, density=True, histtype="step", color=colour, label=label)
        if column in log_scale:
            ax.set_xscale("log")
        ax.set_title(column, fontsize=10)
        ax.set_yticks([])
    for ax in axes[len(columns) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return figure_save(fig, out_dir=out_dir, name=name, title=title, caption=caption)
