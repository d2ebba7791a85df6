"""The result file: each input row's cells, the case's outputs, then `error`, written a
chunk at a time, with the cells a spreadsheet would run made inert."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import IO, Any

from mlbilling.csv_export import escape_cell, escape_rows, escape_text_rows


class ResultWriter:
    """Writes result rows: the input cells, the case's output columns, then `error`."""

    def __init__(self, text: IO[str], *, header: Sequence[str], output_columns: Sequence[str]):
        self.output_columns = list(output_columns)
        self.width = len(header)
        self._writer = csv.writer(text)
        self._writer.writerow([escape_cell(c) for c in (*header, *self.output_columns, "error")])
        self._blank_outputs = [""] * len(self.output_columns)

    def write_chunk(
        self, rows: Sequence[list[str]], outcomes: Sequence[dict[str, Any] | str]
    ) -> None:
        """One line per input row: its cells, then its outputs (a dict of the case's output
        columns) or, for a row that failed, blank outputs and the message (a str)."""
        width = self.width
        inputs = escape_text_rows(
            [
                cells if len(cells) == width else [*cells[:width], *[""] * (width - len(cells))]
                for cells in rows
            ]
        )
        columns = self.output_columns
        tails = escape_rows(
            [
                [*self._blank_outputs, outcome]
                if isinstance(outcome, str)
                else [*map(outcome.get, columns), ""]
                for outcome in outcomes
            ]
        )
        self._writer.writerows(map(list.__add__, inputs, tails))
