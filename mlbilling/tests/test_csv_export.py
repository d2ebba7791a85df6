"""The CSV injection escaper and the streamed CSV download every export of the site uses."""

from __future__ import annotations

import csv
import io

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlbilling.csv_export import (
    FORMULA_START,
    escape_cell,
    escape_column,
    quote_column,
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


@given(st.lists(cells, min_size=1, max_size=12))
def test_the_column_escaper_agrees_with_escape_cell(column: list[str]) -> None:
    assert escape_column(pa.array(column)).to_pylist() == [escape_cell(c) for c in column]


@given(st.lists(st.text(alphabet=st.sampled_from(["a", ",", '"', "\r", "\n", " "])), min_size=1))
def test_quoted_cells_read_back_as_csv_writer_would_write_them(column: list[str]) -> None:
    expected = io.StringIO()
    csv.writer(expected).writerows([[cell, "x"] for cell in column])

    lines = [f"{cell},x\r\n" for cell in quote_column(pa.array(column)).to_pylist()]

    assert "".join(lines) == expected.getvalue()


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
