"""The CSV injection escaper and the streamed CSV download every export of the site uses."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlbilling.csv_export import (
    FORMULA_START,
    escape_cell,
    escape_rows,
    escape_text_rows,
    streaming_csv_response,
)


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+cmd", "'+cmd"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-1.5", "-1.5"),
        ("+3e2", "+3e2"),
        ("plain", "plain"),
        (0.25, 0.25),
    ],
)
def test_cells_a_spreadsheet_would_run_are_escaped(cell: object, written: object) -> None:
    assert escape_cell(cell) == written


cells = st.text(alphabet=st.sampled_from([*FORMULA_START, "a", "1", ".", "e"]), max_size=4)


@given(st.lists(st.lists(cells, min_size=1, max_size=3), min_size=1, max_size=5))
def test_the_batch_escapers_agree_with_escape_cell(rows: list[list[str]]) -> None:
    expected = [[escape_cell(cell) for cell in row] for row in rows]

    assert escape_text_rows(rows) == expected
    assert escape_rows([[*row, 1.5, None] for row in rows]) == [
        [*row, 1.5, None] for row in expected
    ]


def test_a_streamed_csv_is_an_attachment_with_every_cell_escaped() -> None:
    response = streaming_csv_response(
        iter([["name", "amount"], ["=cmd", "-2.50"], ["@x", 3]]), filename="out.csv"
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="out.csv"'
    text = b"".join(response.streaming_content).decode()
    assert list(csv.reader(io.StringIO(text))) == [
        ["name", "amount"],
        ["'=cmd", "-2.50"],
        ["'@x", "3"],
    ]
