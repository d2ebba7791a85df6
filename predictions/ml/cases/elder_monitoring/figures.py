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

from predictions.ml.cases.elder_monitoring.data import hours_matrix, split_hours
from predictions.ml.cases.elder_monitoring.evaluation import fit_calibrated
from predictions.ml.cases.elder_monitoring.model import ENVIRONMENT, ROOMS, HomeRoutineModel
from predictions.ml.cases.elder_monitoring.scenarios import SCENARIOS, scenario_hours
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
            # Translators: xgettext:no-python-format
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
    model = fit_calibrated(HomeRoutineModel(), train, normal)
    samples = {
        gettext("normal (held out)"): model.score_samples(hours_matrix(normal)),
        gettext("empty house, still day"): model.score_samples(hours_matrix(still_days)),
    }
    rng = np.random.default_rng(0)
    for scenario in SCENARIOS:
        rows, labels = scenario_hours(scenario, normal, train, rng)
        # The lowest range (inside the normal range) and the boundary one.
        for low, high in (scenario.ranges[0], scenario.boundary or scenario.ranges[3]):
            label = scenario.label(low, high)
            chosen = hours_matrix(rows[labels == label])
            samples[f"{scenario.kind} {label}"] = model.score_samples(chosen)
    fig = Figure(figsize=(9, 5.5))
    ax = fig.subplots()
    # A log axis shows both the crowd near 1 and the far tail; a score of 0 is drawn at 0.01.
    ax.boxplot([np.maximum(v, 0.01) for v in samples.values()], orientation="horizontal")
    ax.set_yticks(range(1, len(samples) + 1), list(samples))
    ax.axvline(model.threshold_, color="red", linestyle="--", label=gettext("threshold"))
    ax.set_xscale("log")
    ax.set_xlabel(gettext("anomaly score (1 = the threshold)"))
    ax.legend()
    return (
        fig,
        "scores",
        gettext_noop("Anomaly scores of normal and anomalous hours"),
        gettext_noop(
            # Translators: xgettext:no-python-format
            "The production model fitted on the first 70 % of occupied hours, its margins "
            "calibrated on the held-out hours: held-out normal hours, the still days of the "
            "empty house, and scenario hours at the lowest magnitude range of each scenario "
            "(inside the normal range) and at its boundary range (the busy-night scenario "
            "has no bar: shown at 15-19 activations). Above 1 an hour alerts."
        ),
        None,
    )


def detection_curves(metrics: dict[str, dict[str, Any]], out_dir: Path) -> dict[str, Any]:
    """Detection against magnitude per scenario, baseline and production, with the 95 %
    intervals the evaluation stored; the boundary range shaded."""
    fig = Figure(figsize=(10, 7))
    axes = fig.subplots(2, 2).ravel()
    for ax, scenario in zip(axes, SCENARIOS, strict=True):
        labels = [scenario.label(*bounds) for bounds in scenario.ranges]
        x = np.arange(len(labels))
        for which, colour, shift in (
            ("baseline", "#9aa5b8", -0.08),
            ("production", "#2450d8", 0.08),
        ):
            found = metrics.get(which, {}).get("detection_by_magnitude", {}).get(scenario.kind)
            if not found:
                continue
            mean = np.array([found[label]["mean"] for label in labels])
            error = np.array(
                [
                    [mean[i] - found[label]["ci_low"], found[label]["ci_high"] - mean[i]]
                    for i, label in enumerate(labels)
                ]
            ).T
            ax.errorbar(
                x + shift,
                mean,
                yerr=error,
                marker="o",
                capsize=3,
                color=colour,
                label=gettext(which),
            )
        if scenario.boundary is not None:
            i = labels.index(scenario.label(*scenario.boundary))
            ax.axvspan(i - 0.4, i + 0.4, color="#b3261e", alpha=0.12)
            ax.hlines(0.5, i - 0.4, i + 0.4, colors="#b3261e", linestyles="dashed")
        ax.set_xticks(x, labels, fontsize=8)
        ax.set_ylim(-0.05, 1.05)
        ax.set_title(scenario.kind, fontsize=10)
        ax.set_xlabel(scenario.unit, fontsize=8)
        ax.set_ylabel(gettext("share of hours alerting"), fontsize=8)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return figure_save(
        fig,
        out_dir=out_dir,
        name="detection",
        title=gettext_noop("Detection against magnitude, per scenario"),
        caption=gettext_noop(
            # Translators: xgettext:no-python-format
            "The share of scenario hours that alert at each magnitude range, with the 95 % "
            "interval of a bootstrap over the held-out days. Shaded: the boundary range, "
            "where the bar asks for at least half (dashed). Ranges inside the normal range "
            "(1-2 still hours, gas below its training maximum, temperature above its "
            "training minimum) should rarely alert."
        ),
        kind="evaluation",
    )


def _room(room: str) -> str:
    """A room's name as the card's text says it ("living_room" -> "Living room")."""
    words = room.replace("_", " ")
    return gettext(words[:1].upper() + words[1:])
