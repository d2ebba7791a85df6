"""Model-card figures: drawing them in every language of the site, saving one for the
card, and the small EDA figures the cases share (class balance, a feature by class).

A figure's words (axis labels, legends, the names of groups) come from the catalogue: the
figures are drawn once per language, each time with that language active, and the card
page shows the reader's. Its title and caption are stored as catalogue entries (with the
figures' numbers beside them) and translated when the page is shown. Figures are SVG with
their text kept as text: the browser draws it, and the page sweep reads it.

matplotlib's object API (a `Figure` renders with Agg) keeps pyplot's global state out of
the training process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from matplotlib.figure import Figure

COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52")


def drawn_in_every_language(draw: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Run `draw` (which saves figures and returns their card entries) once per language
    of the site with that language active: the default language's entries, each with its
    file per language under "files"."""
    drawn = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            drawn[language] = draw()
    return [
        {**entry, "files": {language: entries[i]["file"] for language, entries in drawn.items()}}
        for i, entry in enumerate(drawn[settings.LANGUAGE_CODE])
    ]


def figure_file_name(stem: str) -> str:
    """The file of figure `stem` in the active language: "metrics.svg", "metrics.ru.svg"."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if language == settings.LANGUAGE_CODE:
        return f"{stem}.svg"
    return f"{stem}.{language}.svg"


def figure_save(
    fig: Figure,
    *,
    out_dir: Path,
    name: str,
    title: str,
    caption: str,
    values: dict[str, Any] | None = None,
    **entry: str,
) -> dict[str, Any]:
    """Write `fig` into out_dir as figure `name` (a file stem) in the active language;
    return its card entry. `title` and `caption` are catalogue entries (gettext_noop), the
    caption with %(name)s placeholders filled from `values` when the page is shown."""
    out_dir.mkdir(parents=True, exist_ok=True)
    file = figure_file_name(name)
    # Text stays <text>, not glyph outlines (drawn in the reader's font, readable by tests);
    # the salt makes the ids inside the file the same on every run.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": name}):
        fig.savefig(out_dir / file, dpi=100, bbox_inches="tight")
    return {
        "file": file,
        "title": title,
        "caption": caption,
        **({"values": values} if values else {}),
        **entry,
    }


def class_balance_figure(
    y: np.ndarray,
    *,
    out_dir: Path,
    title: str,
    caption: str,
    order: Sequence[str] = (),
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A bar per class with its count and share."""
    counts = pd.Series(y).astype(str).value_counts()
    if order:
        counts = counts.reindex(list(order), fill_value=0)
    fig = Figure(figsize=(5, 3.2))
    ax = fig.subplots()
    names = [gettext(label) for label in counts.index]
    bars = ax.bar(names, counts.to_numpy(), color=COLOURS[: len(counts)])
    total = counts.sum()
    for bar, count in zip(bars, counts.to_numpy(), strict=True):
        ax.annotate(
            f"{count} ({count / total:.0%})",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
        )
    ax.set_ylabel(gettext("rows"))
    ax.margins(y=0.15)
    return figure_save(
        fig, out_dir=out_dir, name="class_balance", title=title, caption=caption, values=values
    )


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
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One panel per column: its distribution (step histogram, densities) for each class."""
    classes = sorted(frame[target].astype(str).unique())
    cols = min(len(columns), 3)
    rows = -(-len(columns) // cols)
    fig = Figure(figsize=(4 * cols, 2.8 * rows))
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, column in zip(axes, columns, strict=False):
        column_values = frame[column].astype(float)
        finite = column_values.dropna()
        bins = (
            np.geomspace(max(finite.min(), 1e-3), finite.max(), 30)
            if column in log_scale
            else np.linspace(finite.min(), finite.max(), 30)
        )
        for colour, label in zip(COLOURS, classes, strict=False):
            part = column_values[frame[target].astype(str) == label].dropna()
            ax.hist(
                part, bins=bins, density=True, histtype="step", color=colour, label=gettext(label)
            )
        if column in log_scale:
            ax.set_xscale("log")
        ax.set_title(column, fontsize=10)
        ax.set_yticks([])
    for ax in axes[len(columns) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return figure_save(fig, out_dir=out_dir, name=name, title=title, caption=caption, values=values)
