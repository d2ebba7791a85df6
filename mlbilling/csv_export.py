"""Every CSV file the site writes: cells a spreadsheet would run are made inert (CSV
injection), and downloads are streamed.

A user controls much of what lands in a CSV (batch inputs, references, descriptions, their
email address), and Excel, LibreOffice and Google Sheets run a cell starting with `=`, `+`,
`-` or `@` (or a tab or carriage return before one) as a formula. A leading apostrophe makes
them show it as text. Plain numbers such as -1.5 are left alone: they are not formulas, and
amounts must stay numbers in the spreadsheet.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def escape_cell(value: Any) -> Any:
    """The value, or the text with an apostrophe before it if a spreadsheet would run it."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


_CELL_SEP = "\x1f"  # a control character no CSV cell of ours is expected to hold
_RISKY_STARTS = tuple(_CELL_SEP + start for start in FORMULA_START)


def escape_text_rows(rows: list[list[str]]) -> list[list[str]]:
    """`escape_cell` on rows of strings, for large files: one joined string and a few
    substring searches per batch of rows (all in C) tell whether any cell starts riskily;
    only then is each cell looked at. Returns `rows` itself when nothing needed escaping."""
    joined = _CELL_SEP + _CELL_SEP.join(map(_CELL_SEP.join, rows))
    if not any(risky in joined for risky in _RISKY_STARTS):
        return rows
    return [[escape_cell(cell) for cell in row] for row in rows]


def escape_rows(rows: list[list[Any]]) -> list[list[Any]]:
    """`escape_cell` on rows of mixed values (strings, numbers, None), for large files: the
    set of first characters decides whether any cell needs a look. Returns `rows` itself when
    nothing needed escaping."""
    firsts = {cell[:1] for row in rows for cell in row if cell.__class__ is str}
    if firsts.isdisjoint(FORMULA_START):
        return rows
    return [[escape_cell(cell) for cell in row] for row in rows]


class _Echo:
    """A file for `csv.writer` whose `write` hands the formatted line back."""

    def write(self, value: str) -> str:
        return value


def streaming_csv_response(
    rows: Iterable[Sequence[Any]], *, filename: str
) -> StreamingHttpResponse:
    """A CSV download written row by row as `rows` produces them, so a long export never
    sits whole in memory; every cell goes through `escape_cell`."""
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow([escape_cell(cell) for cell in row]) for row in rows),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
