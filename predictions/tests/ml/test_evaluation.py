from __future__ import annotations

import numpy as np
from scipy import stats

from predictions.ml.evaluation import fold_summary


def test_the_interval_is_nadeau_bengio_corrected_around_the_mean() -> None:
    scores = [0.80, 0.84, 0.78, 0.86, 0.82]

    summary = fold_summary(scores)

    half = stats.t.ppf(0.975, 4) * np.sqrt((1 / 5 + 0.25) * np.var(scores, ddof=1))
    assert np.isclose(summary["ci_high"] - summary["mean"], half)
    assert np.isclose(summary["mean"] - summary["ci_low"], half)


def test_the_interval_stops_at_the_metrics_own_range() -> None:
    scores = [0.999, 0.97, 1.0, 0.995, 0.98]

    open_ended = fold_summary(scores)
    bounded = fold_summary(scores, within=(0.0, 1.0))

    assert open_ended["ci_high"] > 1.0
    assert bounded["ci_high"] == 1.0
    assert bounded["ci_low"] == open_ended["ci_low"]
    assert bounded["mean"] == open_ended["mean"]
