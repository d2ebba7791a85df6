"""Model-card figures of the elder-monitoring case.

matplotlib's object API (a `Figure` renders with Agg) keeps pyplot's global state out of
the training process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext, gettext_noop
from matplotlib.figure import Figure

from predictions.ml.cases.elder_monitoring.data import hours_matrix, injected_hours, split_hours
from predictions.ml.cases.elder_monitoring.evaluation import select_params
from predictions.ml.cases.elder_monitoring.model import ENVIRONMENT, ROOMS, HomeRoutineModel
from predictions.ml.figures import figure_save


def draw(frame: pd.DataFrame, out_dir: Path) -> list[dict[str, Any]]:
    """Write the four figures into out_dir; return their file names, titles and captions."""
    figures = [_rhythm(frame), _timeline(frame), _environment(frame), _scores(frame)]
    return [
        figure_save(fig, out_dir=out_dir, name=name, title=title, caption=caption, values=values)
        for fig, name, title, caption, values in figures
    ]


def _rhythm(frame: pd.DataFrame) -> tuple:
    occupied = frame[frame["period"] == "occupied"]
    profile = occupied.groupby("hour")[list(ROOMS)].mean()
    quiet = (occupied[list(ROOMS)].sum(axis=1) == 0).groupby(occupied["hour"]).mean()
    fig = Figure(figsize=(9, 6))
    top, bottom = fig.subplots(2, 1, sharex=True)
    image = top.imshow(
        profile.T.to_numpy(), aspect="auto", cmap="viridis", extent=(-0.5, 23.5, 4.5, -0.5)
    )
    top.set_yticks(range(len(ROOMS)), [_room(room) for room in ROOMS])
    fig.colorbar(image, ax=(top, bottom), label=gettext("activations per hour (mean)"))
    bottom.bar(quiet.index, quiet.to_numpy(), color="grey")
    bottom.set_ylabel(gettext("share of hours with no motion"))
    bottom.set_xlabel(gettext("hour of day (UTC)"))
    bottom.set_xticks(range(24))
    return (
        fig,
        "rhythm",
        gettext_noop("Daily rhythm while the home was occupied"),
        gettext_noop(
            "Mean motion activations per room and hour of day (top) and the share of hours "
            "with no motion at all (bottom). Up at 07 UTC (bathroom), active until 21-22, "
            "bedroom at night; 35-73 % of night hours (23-05) are still, 5-29 % of daytime hours."
        ),
        None,
    )


def _timeline(frame: pd.DataFrame) -> tuple:
    daily = frame.set_index("timestamp")[list(ROOMS)].resample("D").sum()
    daily.index = daily.index.tz_localize(None)
    fig = Figure(figsize=(10, 4))
    ax = fig.subplots()
    bottom = np.zeros(len(daily))
    for room in ROOMS:
        ax.bar(daily.index, daily[room], bottom=bottom, width=0.9, label=_room(room))
        bottom += daily[room].to_numpy()
    ax.axvspan(pd.Timestamp("2020-01-25"), daily.index.max(), color="red", alpha=0.08)
    ax.annotate(gettext("'empty house' (UCI)"), (pd.Timestamp("2020-01-26"), bottom.max() * 0.9))
    ax.set_ylabel(gettext("activations per day"))
    ax.legend(ncols=5, fontsize="small", loc="upper left")
    return (
        fig,
        "timeline",
        gettext_noop("Motion per day, and the 'empty house'"),
        gettext_noop(
            "Activations per day by room. In the period UCI calls empty (shaded) 13 of 20 days "
            "still have motion, walking from room to room at human hours, with CO2 as high as "
            "while occupied: visits, not sensor noise. Only its still daytime hours are used as "
            "natural 'no movement' examples."
        ),
        None,
    )


def _environment(frame: pd.DataFrame) -> tuple:
    moved = frame[list(ROOMS)].sum(axis=1) > 0
    occupied = frame["period"] == "occupied"
    groups = {
        gettext("occupied"): occupied,
        gettext("empty, motion"): (frame["period"] == "empty") & moved,
        gettext("empty, still"): (frame["period"] == "empty") & ~moved,
    }
    reference = frame.loc[occupied, list(ENVIRONMENT)]
    center = reference.median()
    spread = reference.quantile(0.75) - reference.quantile(0.25)
    fig = Figure(figsize=(10, 4))
    ax = fig.subplots()
    width = 0.27
    for k, (name, mask) in enumerate(groups.items()):
        values = ((frame.loc[mask, list(ENVIRONMENT)] - center) / spread).to_numpy()
        columns = [col[~np.isnan(col)] for col in values.T]
        positions = np.arange(len(ENVIRONMENT)) + (k - 1) * width
        parts = ax.boxplot(
            columns, positions=positions, widths=width * 0.9, showfliers=False, patch_artist=True
        )
        for box in parts["boxes"]:
            box.set_facecolor(f"C{k}")
        ax.plot([], [], color=f"C{k}", linewidth=8, label=name)
    ax.set_xticks(range(len(ENVIRONMENT)), ENVIRONMENT, rotation=30)
    ax.set_ylabel(gettext("(value - occupied median) / occupied IQR"))
    ax.legend(fontsize="small")
    return (
        fig,
        "environment",
        gettext_noop("Gas and climate channels"),
        gettext_noop(
            "Hourly means, scaled by the occupied period's median and interquartile range. "
            "CO2 (co2cosirvalue) falls when the house is still and comes back when someone "
            "moves in it; gas channels have long right tails (cooking), so they are modelled "
            "on a log scale."
        ),
        None,
    )


def _scores(frame: pd.DataFrame) -> tuple:
    train, normal, still_days = split_hours(frame)
    estimator = HomeRoutineModel()
    model = estimator.set_params(**select_params(estimator, train)).fit(hours_matrix(train))
    injected, kinds = injected_hours(normal, train, seed=0)
    samples = {
        gettext("normal (held out)"): model.score_samples(hours_matrix(normal)),
        gettext("empty house, still day"): model.score_samples(hours_matrix(still_days)),
    }
    for kind in ("no_movement", "night", "gas", "cold"):
        label = gettext("injected: %(kind)s") % {"kind": kind}
        samples[label] = model.score_samples(hours_matrix(injected[kinds == kind]))
    fig = Figure(figsize=(9, 4))
    ax = fig.subplots()
    # A log axis shows both the crowd near 1 and the far tail; a score of 0 is drawn at 0.1.
    ax.boxplot([np.maximum(v, 0.1) for v in samples.values()], vert=False)
    ax.set_yticks(range(1, len(samples) + 1), list(samples))
    ax.axvline(model.threshold_, color="red", linestyle="--", label=gettext("threshold"))
    ax.set_xscale("log")
    ax.set_xlabel(gettext("anomaly score"))
    ax.legend()
    return (
        fig,
        "scores",
        gettext_noop("Anomaly scores on the labelled test set"),
        gettext_noop(
            "Scores of the production model fitted on the first 70 %% of occupied hours: "
            "held-out normal hours against the still days of the empty house and injected "
            "anomalies (seed 0). The threshold (%(threshold)s) is the training hours' 99th "
            "percentile. Night wandering overlaps this resident's own busy nights."
        ),
        {"threshold": f"{model.threshold_:.2f}"},
    )


def _room(room: str) -> str:
    """A room's name as the card's text says it ("living_room" -> "Living room")."""
    words = room.replace("_", " ")
    return gettext(words[:1].upper() + words[1:])
