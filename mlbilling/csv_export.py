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

import pyarrow as pa
import pyarrow.compute as pc
from django.http import StreamingHttpResponse

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# ASCII digits ([0-9], not \d): Python's `re` and Arrow's RE2 then read it alike, and a
# cell of other digits after a sign is simply escaped.
_NUMBER_PATTERN = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
_NUMBER = re.compile(_NUMBER_PATTERN)


def escape_cell(value: Any) -> Any:
    """The value, or the text with an apostrophe before it if a spreadsheet would run it."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def escape_column(column: pa.StringArray) -> pa.StringArray:
    """`escape_cell` on a whole column of text, in Arrow's C kernels (a property test
    holds the two equal)."""
    risky = pc.and_not(
        pc.match_substring_regex(column, r"^[=+\-@\t\r]"),
        pc.match_substring_regex(column, f"^{_NUMBER_PATTERN}$"),
    )
    if not pc.any(risky).as_py():
        return column
    return pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)


def quote_column(column: pa.StringArray) -> pa.StringArray:
    """Cells as `csv.writer` writes them (QUOTE_MINIMAL): quoted, with quotes doubled,
    when they hold a comma, a quote or a line break; as they are otherwise."""
    needs = pc.match_substring_regex(column, '[",\r\n]')
    if not pc.any(needs).as_py():
        return column
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(column, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, column)


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
