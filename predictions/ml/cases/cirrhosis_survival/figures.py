"""Case 5's model-card figures: the data (follow-up, outcomes, labs) and the evaluation
(calibration at the horizons, observed vs predicted survival by risk group).

The evaluation figures are drawn from the stored metrics (`evaluation.py`'s out-of-fold
views), so the card shows exactly what was measured.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext, gettext_noop
from matplotlib.figure import Figure

from predictions.ml.cases.cirrhosis_survival.evaluation import kaplan_meier_at
from predictions.ml.cases.cirrhosis_survival.model import CURVE_YEARS
from predictions.ml.figures import COLOURS, by_class_figure, class_balance_figure, figure_save


def eda(
    frame: pd.DataFrame, target: np.ndarray, status: np.ndarray, out_dir: Path
) -> list[dict[str, str]]:
    """Kaplan-Meier of the cohort first; the C / CL / D view second."""
    frame = frame.assign(status=status)
    return [
        _cohort_survival(target, out_dir),
        class_balance_figure(
            status,
            out_dir=out_dir,
            title=gettext_noop("Status at the end of follow-up (secondary view)"),
            caption=gettext_noop(
                "C: alive at the end of follow-up; D: died; CL: alive after a liver "
                "transplant. These depend on how long each patient was followed, which is "
                "why the model predicts survival over time instead."
            ),
            order=("C", "CL", "D"),
        ),
        by_class_figure(
            frame,
            columns=("bilirubin", "albumin", "prothrombin", "copper", "age_years", "stage"),
            target="status",
            out_dir=out_dir,
            name="labs_by_outcome",
            title=gettext_noop("Key values by status (secondary view)"),
            caption=gettext_noop(
                "Patients who died had higher bilirubin, copper and prothrombin time, lower "
                "albumin and a later stage (the Mayo risk score's ingredients); transplanted "
                "patients were younger."
            ),
            log_scale=("bilirubin", "copper"),
        ),
    ]


def _cohort_survival(target: np.ndarray, out_dir: Path) -> dict[str, str]:
    years = np.linspace(0, 12, 145)
    fig = Figure(figsize=(5, 3.2))
    ax = fig.subplots()
    ax.step(years, kaplan_meier_at(target, years), where="post", color=COLOURS[0])
    _survival_axes(ax)
    return figure_save(
        fig,
        out_dir=out_dir,
        name="cohort_survival",
        title=gettext_noop("Survival of the cohort (Kaplan-Meier)"),
        caption=gettext_noop(
            "418 patients, 161 deaths; transplants and the end of follow-up censor. About "
            "half of the patients are alive 9 years after registration."
        ),
    )


def _survival_axes(ax: Any) -> None:
    ax.set_xlabel(gettext("years since registration"))
    ax.set_ylabel(gettext("alive"))
    ax.set_ylim(0, 1.02)


def evaluation(
    production: dict[str, Any], baseline: dict[str, Any], out_dir: Path
) -> list[dict[str, str]]:
    drawn = []
    if production.get("calibration"):
        drawn.append(_calibration(production["calibration"], baseline.get("calibration"), out_dir))
    if production.get("risk_groups"):
        drawn.append(_risk_groups(production["risk_groups"], out_dir))
    return [{**entry, "kind": "evaluation"} for entry in drawn]


def _calibration(
    calibration: list[dict[str, Any]],
    baseline: list[dict[str, Any]] | None,
    out_dir: Path,
) -> dict[str, str]:
    fig = Figure(figsize=(3 * len(calibration), 3.2))
    axes = np.atleast_1d(fig.subplots(1, len(calibration)))
    # The baseline's points in grey beside production's, judged on the same folds.
    others = baseline or [None] * len(calibration)
    for ax, horizon, reference in zip(axes, calibration, others, strict=True):
        ax.plot([0, 1], [0, 1], color="#999999", linestyle="dashed", linewidth=1)
        if reference is not None:
            ax.plot(
                reference["predicted"],
                np.array(reference["observed"], dtype=float),
                marker="s",
                color="#9aa5b8",
                label=gettext("baseline"),
            )
        # None (no follow-up at the horizon) -> NaN, a gap in the line.
        observed = np.array(horizon["observed"], dtype=float)
        ax.plot(
            horizon["predicted"],
            observed,
            marker="o",
            color=COLOURS[0],
            label=gettext("production"),
        )
        ax.set_title(gettext("%(years)s y") % {"years": horizon["years"]}, fontsize=10)
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(gettext("predicted survival"))
    fig.axes[0].set_ylabel(gettext("observed (Kaplan-Meier)"))
    fig.axes[0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return figure_save(
        fig,
        out_dir=out_dir,
        name="calibration",
        title=gettext_noop("Calibration at 1, 2, 5 and 10 years"),
        caption=gettext_noop(
            "Out of fold: patients in quarters of their predicted survival at each horizon; "
            "each point sets a quarter's mean prediction against its Kaplan-Meier survival. "
            "On the dashed line the predictions are calibrated."
        ),
    )


def _risk_groups(groups: list[dict[str, Any]], out_dir: Path) -> dict[str, str]:
    fig = Figure(figsize=(5.5, 3.6))
    ax = fig.subplots()
    for colour, group in zip(COLOURS, groups, strict=False):
        label = f"{gettext(group['group'])} ({group['patients']})"
        observed = np.array(group["observed"], dtype=float)
        ax.step(CURVE_YEARS, observed, where="post", color=colour, label=label)
        ax.plot(CURVE_YEARS, group["predicted"], color=colour, linestyle="dashed")
    _survival_axes(ax)
    ax.legend(fontsize=8, title=gettext("risk group"), title_fontsize=8)
    return figure_save(
        fig,
        out_dir=out_dir,
        name="risk_groups",
        title=gettext_noop("Survival by risk group: observed and predicted"),
        caption=gettext_noop(
            "Out of fold: solid, the Kaplan-Meier survival of the patients each model put "
            "in a group; dashed, the mean survival curve the model predicted for them."
        ),
    )
