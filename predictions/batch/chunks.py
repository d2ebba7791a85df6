"""One chunk's outcomes: its checked rows predicted, as the result's output columns and
each row's error. A row's own failure (its check, the model on it, its output) is that
row's error; nothing about one row stops the chunk."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
from django.utils.translation import gettext as _

from predictions.ml.cases.base import Case

logger = logging.getLogger(__name__)

# Each output column's values: a list, or an Arrow text column a case built column-wise.
Columns = dict[str, list[Any] | pa.StringArray]


def chunk_outcomes(
    checked: Sequence[dict[str, Any] | str], *, case: Case, model: Any, names: Sequence[str]
) -> tuple[Columns, list[str]]:
    """Checked rows (clean values, or a message) -> each output column's values (None for a
    failed row) and each row's error ("" for a row that succeeded), in order."""
    valid = [position for position, row in enumerate(checked) if row.__class__ is not str]
    outputs, errors = _predict_columns(case, model, [checked[p] for p in valid], names)
    if len(valid) == len(checked):
        return outputs, errors
    spread: Columns = {name: [None] * len(checked) for name in names}
    every_error = [row if row.__class__ is str else "" for row in checked]
    for name in names:
        column = spread[name]
        values = outputs[name]
        if isinstance(values, pa.Array):
            values = values.to_pylist()
        for position, value in zip(valid, values, strict=True):
            column[position] = value
    for position, error in zip(valid, errors, strict=True):
        every_error[position] = error
    return spread, every_error  # type: ignore[return-value]


def _predict_columns(
    case: Case, model: Any, rows: Sequence[dict[str, Any]], names: Sequence[str]
) -> tuple[Columns, list[str]]:
    """Predict rows in one vectorised call; if it fails, row by row to find the culprits."""
    if not rows:
        return {name: [] for name in names}, []
    try:
        columns = case.predict_columns(model, rows)
        return {name: columns[name] for name in names}, [""] * len(rows)
    except Exception:
        logger.warning("Batch chunk prediction failed; retrying row by row.", exc_info=True)
    outcomes = [_row_outcome(case, model, row) for row in rows]
    outputs = {
        name: [None if o.__class__ is str else o.get(name) for o in outcomes]  # type: ignore[union-attr]
        for name in names
    }
    return outputs, [o if o.__class__ is str else "" for o in outcomes]  # type: ignore[misc]


def _row_outcome(case: Case, model: Any, row: dict[str, Any]) -> dict[str, Any] | str:
    """One row's output columns, or the message of a row the model could not predict."""
    try:
        return case.result_to_columns(case.predict(model, [row])[0])
    except Exception:
        logger.warning("Batch row prediction failed.", exc_info=True)
        return _("The model could not predict this row.")
