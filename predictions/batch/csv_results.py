"""The result file: each input row's cells, the case's outputs, then `error`, written a
chunk at a time, with the cells a spreadsheet would run made inert.

A chunk is formatted column by column: the input columns are the Arrow arrays the
reader produced, each output column (named by the case's `output_columns`) is turned
into text once, escaped (CSV injection) and quoted as `csv.writer` would in Arrow's C
kernels, then the columns are joined into lines. The bytes are exactly what `csv.writer`
writes for the same rows (a test holds the two equal).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc

from mlbilling.csv_export import escape_cell, escape_column, quote_column

_LINE_END = "\r\n"  # csv.writer's, which the result has always used


def _text_column(values: Sequence[Any] | pa.StringArray) -> pa.StringArray:
    """Values as `csv.writer` writes them (None as an empty cell, numbers as str()),
    escaped where they were text (a number is never a formula), quoted as needed."""
    if isinstance(values, pa.Array):
        return quote_column(escape_column(values))
    kinds = set(map(type, values))
    if kinds <= {str}:
        return quote_column(escape_column(pa.array(values, type=pa.string())))
    texts = pa.array(
        ["" if v is None else v if v.__class__ is str else str(v) for v in values],
        type=pa.string(),
    )
    if str in kinds:
        was_text = pa.array([v.__class__ is str for v in values], type=pa.bool_())
        texts = pc.if_else(was_text, escape_column(texts), texts)
    return quote_column(texts)


def _lines(columns: Sequence[pa.Array]) -> pa.StringArray:
    """One CSV line (with its line end) per row of equally long text columns."""
    joined = pc.binary_join_element_wise(*columns, ",")
    return pc.binary_join_element_wise(joined, _LINE_END, "")


def _bytes(lines: pa.StringArray) -> bytes:
    if not len(lines):
        return b""
    whole = pc.binary_join(pa.ListArray.from_arrays([0, len(lines)], lines), "")
    return whole[0].as_py().encode()


@dataclass(frozen=True)
class Outcomes:
    """A chunk's outcomes: each output column's values (None where the row failed) and
    each row's error ("" where it succeeded), for its rows with the header's number of
    cells; `bad` rows (the wrong number of cells) as (place in the chunk, cells, message)."""

    outputs: dict[str, list[Any] | pa.StringArray]
    errors: list[str]
    bad: Sequence[tuple[int, Sequence[str], str]] = ()


class ResultWriter:
    """Writes result rows: the input cells, the case's output columns, then `error`."""

    def __init__(self, out: IO[bytes], *, header: Sequence[str], output_columns: Sequence[str]):
        self.out = out
        self.output_columns = list(output_columns)
        self.width = len(header)
        self.write_rows([[*header, *self.output_columns, "error"]])

    def write_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        """A few rows through `csv.writer` (the header, rows with the wrong cell count)."""
        text = io.StringIO()
        csv.writer(text).writerows([[escape_cell(cell) for cell in row] for row in rows])
        self.out.write(text.getvalue().encode())

    def write_bad_row(self, cells: Sequence[str], message: str) -> None:
        """A row with the wrong number of cells: as many as the header, then the message."""
        fitted = [*cells[: self.width], *[""] * (self.width - len(cells))]
        self.write_rows([[*fitted, *[None] * len(self.output_columns), message]])

    def write_chunk(self, inputs: Sequence[pa.Array], outcomes: Outcomes) -> None:
        """One chunk, in its order: the input cells of its rows with the header's number
        of cells (Arrow text, column by column), then their `outcomes`."""
        outputs, errors, bad = outcomes.outputs, outcomes.errors, outcomes.bad
        lines = pa.array([], type=pa.string())
        if errors:
            columns = [quote_column(escape_column(column)) for column in inputs]
            columns += [_text_column(outputs[name]) for name in self.output_columns]
            columns.append(_text_column(errors))
            lines = _lines(columns)
        written = 0
        for before, (place, cells, message) in enumerate(bad):
            self.out.write(_bytes(lines[written : place - before]))
            written = place - before
            self.write_bad_row(cells, message)
        self.out.write(_bytes(lines[written:]))
