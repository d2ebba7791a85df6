"""The column-wise rounding is exactly Python's `round(p, 6)` and `f"{p:.3f}"`."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from predictions.ml.rounding import round_column, three_decimals

probabilities = st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=50)


@given(probabilities)
def test_round_column_is_pythons_round(values: list[float]) -> None:
    assert round_column(np.array(values), 6).tolist() == [round(v, 6) for v in values]


@given(probabilities)
def test_three_decimals_is_pythons_format(values: list[float]) -> None:
    assert three_decimals(np.array(values)).to_pylist() == [f"{v:.3f}" for v in values]


def test_values_at_and_next_to_a_half_round_as_python_rounds_them() -> None:
    # Half-way points at 6 decimals (a random 20,000 of them) and at 3 (all), and the
    # doubles either side of each.
    sixth = np.random.default_rng(0).choice(1_000_000, size=20_000, replace=False)
    halves = np.concatenate([(sixth + 0.5) / 1e6, (np.arange(1000) + 0.5) / 1e3])
    values = np.concatenate([halves, np.nextafter(halves, 0), np.nextafter(halves, 1), [0, 1]])

    assert round_column(values, 6).tolist() == [round(v, 6) for v in values.tolist()]
    rounded = round_column(values, 6)
    assert three_decimals(rounded).to_pylist() == [f"{v:.3f}" for v in rounded.tolist()]
    assert three_decimals(values).to_pylist() == [f"{v:.3f}" for v in values.tolist()]
