"""The first generation of the elder-monitoring model (before issue 16), kept so that its
versions still serve after a rollback.

Its artifacts unpickle as `model.HomeRoutineModel` with the state it had then: the same
motion profile, but every environment channel scored as a robust z-score on both sides
(`env_center_`, `env_scale_`), each component divided by its training 99th percentile
(`component_scale_`) and one threshold (`threshold_`, about 1.4) on the largest. Judged
by stated scenarios it alerted on gas readings inside the normal range and caught 18 % of
gas at 1.0-1.1x the training maximum (docs/elder-monitoring.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def is_first_generation(model: Any) -> bool:
    return hasattr(model, "component_scale_")


def component_scores(model: Any, motion: np.ndarray, environment: np.ndarray) -> np.ndarray:
    """The first generation's components: motion (stillness, activity) and the z-score of
    each environment channel, each divided by its training scale (NaN -> 0)."""
    z = np.abs(environment - model.env_center_) / model.env_scale_
    return np.nan_to_num(np.column_stack([motion, z]) / model.component_scale_, nan=0.0)
