"""Python's `round(p, digits)` and `f"{p:.3f}"` on whole columns of probabilities, exactly.

The batch path formats millions of probabilities the way the API formats one (Python's
correctly rounded `round` and format). NumPy's scaled `rint` agrees with them everywhere
except where the scaled value lies within rounding error of a half: those few (about one
in a thousand) go through Python itself, so every value is Python's.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

# Far above the error of `p * 10**digits` for p in [0, 1] (about 1e-10 at 6 digits), far
# below the distance to a half of any value not at a half.
_NEAR_HALF = 1e-6


def _scaled_rint(values: np.ndarray, digits: int) -> tuple[np.ndarray, np.ndarray]:
    """rint(values * 10**digits) and where that may differ from exact rounding."""
    scaled = values * 10.0**digits
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < _NEAR_HALF
    return np.rint(scaled), near_half


def round_column(values: np.ndarray, digits: int) -> np.ndarray:
    """`round(v, digits)` for each probability: the double nearest the correctly rounded
    decimal, which `k / 10**digits` is (IEEE division rounds correctly)."""
    whole, near_half = _scaled_rint(values, digits)
    rounded = whole / 10.0**digits
    for i in np.flatnonzero(near_half).tolist():
        rounded.flat[i] = round(float(values.flat[i]), digits)
    return rounded


# "0.000" ... "1.000": every probability's three-decimal text, indexed by thousandths.
_THOUSANDTHS = pa.array([f"{k // 1000}.{k % 1000:03d}" for k in range(1001)], type=pa.string())


def three_decimals(values: np.ndarray) -> pa.StringArray:
    """f"{v:.3f}" for each probability of a 1-D array, as an Arrow column of text."""
    whole, near_half = _scaled_rint(values, 3)
    thousandths = whole.astype(np.int64)
    for i in np.flatnonzero(near_half).tolist():
        thousandths[i] = int(f"{float(values[i]):.3f}".replace(".", ""))
    return _THOUSANDTHS.take(pa.array(thousandths))
