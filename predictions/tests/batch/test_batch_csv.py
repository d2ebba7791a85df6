"""The streaming CSV check, the cell conversion and the result writer, without a database."""

from __future__ import annotations

import csv
import io

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlbilling.csv_export import FORMULA_START, escape_cell
from predictions.batch.csv_results import Outcomes, ResultWriter
from predictions.batch.csv_rows import RowConverter, RowError
from predictions.batch.csv_upload import BatchFileError, inspect_upload
from predictions.ml.schema import Field, Schema

SCHEMA = Schema(
    fields=(
        Field("age", "integer", minimum=0, maximum=120),
        Field("bmi", "number", minimum=10, maximum=80, required=False, nullable=True),
        Field("smoker", "boolean", required=False),
        Field("sex", "choice", choices=("female", "male")),
        Field("tags", "multichoice", choices=("a", "b", "c"), required=False),
    )
)


def inspect(content: bytes, *, max_rows: int = 100, max_line_bytes: int = 200):
    return inspect_upload(
        io.BytesIO(content), schema=SCHEMA, max_rows=max_rows, max_line_bytes=max_line_bytes
    )


def test_it_counts_rows_including_quoted_line_breaks_and_skips_blank_lines() -> None:
    content = b'age,sex,tags\n40,female,"a;\nb"\n\n50,male,\n'

    result = inspect(content)

    assert result.rows == 2
    assert result.columns == ("age", "sex", "tags")
    assert result.size == len(content)


def test_it_accepts_a_byte_order_mark_before_the_header() -> None:
    assert inspect("\ufeffage,sex\n1,male\n".encode()).columns == ("age", "sex")


def test_it_names_missing_unknown_and_repeated_columns() -> None:
    with pytest.raises(BatchFileError) as caught:
        inspect(b"age,colour,weight,age\n1,2,3,4\n")

    assert caught.value.messages == [
        "Repeated columns: age.",
        "Unknown columns: colour, weight.",
        "Missing columns: sex.",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"\n\n", "The file is empty"),
        (b"age,sex\n", "a header but no rows"),
        (b"age,sex\n1,f\xe9male\n", "Line 2 is not valid UTF-8"),
        (b"age,sex\n" + b"1," * 200 + b"\n", "Line 2 is longer than 200 bytes"),
        (b"age,sex\n" + b"9" * 5000, "Line 2 is longer than 200 bytes"),
        (b"age,sex\n1,\x00male\n", "Line 2 contains a NUL byte"),
    ],
    ids=["empty", "blank-lines", "no-rows", "not-utf8", "huge-line", "one-line-no-newline", "nul"],
)
def test_it_refuses_a_bad_file_with_a_clear_message(content: bytes, message: str) -> None:
    with pytest.raises(BatchFileError) as caught:
        inspect(content)

    assert message in str(caught.value)


def test_it_refuses_a_quoted_cell_that_never_ends() -> None:
    content = b'age,sex\n1,"' + b"x\n" * 70_000

    with pytest.raises(BatchFileError, match="Line 2 opens a quote that is never closed"):
        inspect(content)


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (b'age,sex\n1,male\n2,"female\n3,male\n', 3),
        (b'age,sex\n1,"ma\nle"\n2,female\n"3,male', 5),
        (b'age,sex\n1,"male', 2),  # the unterminated row has the right number of cells
    ],
)
def test_an_unterminated_quote_is_refused_naming_its_line(content: bytes, line: int) -> None:
    with pytest.raises(BatchFileError, match=f"Line {line} opens a quote that is never closed"):
        inspect(content)


def test_quoted_cells_may_hold_commas_quotes_and_line_breaks() -> None:
    content = b'age,sex\n"1",male\n"4""2","fe,\nmale"\n5\n\n6,male,x\n'

    assert inspect(content).rows == 4  # the blank line is no row; ragged rows are


def test_it_refuses_more_rows_than_the_limit() -> None:
    content = b"age,sex\n" + b"1,male\n" * 11

    with pytest.raises(BatchFileError, match="more than 10 rows"):
        inspect(content, max_rows=10)


def test_cells_become_schema_values_by_field_kind() -> None:
    converter = RowConverter(SCHEMA, ["age", "bmi", "smoker", "sex", "tags"])

    row = converter.clean(["42", "23.5", "Yes", "female", "a; c"])

    assert row == {"age": 42, "bmi": 23.5, "smoker": True, "sex": "female", "tags": ("a", "c")}


def test_an_empty_cell_is_a_missing_value() -> None:
    converter = RowConverter(SCHEMA, ["age", "bmi", "smoker", "sex", "tags"])

    row = converter.clean(["42", " ", "", "male", ""])

    assert row == {"age": 42, "bmi": None, "smoker": None, "sex": "male", "tags": None}


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (["", "male"], "age: This field is required."),
        (["abc", "male"], "age: A number is required."),
        (["4.5", "male"], "age: A whole number is required."),
        # One number rule (mlbilling/numbers.py): what float() would take is not enough.
        (["nan", "male"], "age: A number is required."),
        (["2_7", "male"], "age: A number is required."),
        (["\uff12\uff17", "male"], "age: A number is required."),
        (["130", "male"], "age: Must be at most 120."),
        # Past any float: out of range, never an OverflowError.
        (["1" + "0" * 400, "male"], "age: Must be at most 120."),
        (["-1" + "0" * 400, "female"], "age: Must be at least 0."),
        (
            ["1" + "0" * 400, "other"],
            "age: Must be at most 120.; sex: Must be one of: female, male.",
        ),
        (["40", "other"], "sex: Must be one of: female, male."),
        (["40"], "Expected 2 cells, found 1."),
    ],
)
def test_a_bad_row_gets_a_message_naming_the_field(cells: list[str], message: str) -> None:
    converter = RowConverter(SCHEMA, ["age", "sex"])

    with pytest.raises(RowError) as caught:
        converter.clean(cells)

    assert str(caught.value) == message


def test_a_boolean_cell_must_say_yes_or_no() -> None:
    converter = RowConverter(SCHEMA, ["age", "sex", "smoker"])

    with pytest.raises(RowError, match=r"smoker: true or false is required\."):
        converter.clean(["1", "male", "maybe"])


def test_the_result_has_the_inputs_then_the_outputs_then_the_error_escaped() -> None:
    out = io.BytesIO()
    writer = ResultWriter(out, header=["name", "x"], output_columns=["prediction", "probability"])

    writer.write_chunk(
        [pa.array(["=1+1", "1"]), pa.array(["2", "2"])],
        Outcomes(
            {"prediction": ["@yes", "no"], "probability": [0.9, None]},
            ["", ""],
            bad=[(1, ["short"], "x: This field is required.")],
        ),
    )

    rows = list(csv.reader(io.StringIO(out.getvalue().decode())))
    assert rows == [
        ["name", "x", "prediction", "probability", "error"],
        ["'=1+1", "2", "'@yes", "0.9", ""],
        ["short", "", "", "", "x: This field is required."],
        ["1", "2", "no", "", ""],
    ]


CELLS = st.text(alphabet=st.sampled_from([*FORMULA_START, "a", "1", ".", "e", ",", '"', "\n"]))
VALUES = st.one_of(CELLS, st.none(), st.booleans(), st.integers(), st.floats())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(CELLS, CELLS, VALUES, VALUES, CELLS), min_size=1, max_size=8))
def test_the_column_wise_writer_writes_the_bytes_csv_writer_writes(rows) -> None:
    """The result's format is csv.writer's with every cell through escape_cell; written
    column by column in Arrow it must stay byte for byte the same."""
    expected = io.StringIO()
    csv.writer(expected).writerows(
        [[escape_cell(c) for c in ("a", "b", "out", "more", "error")]]
        + [[escape_cell("" if c is None else c) for c in row] for row in rows]
    )
    out = io.BytesIO()
    writer = ResultWriter(out, header=["a", "b"], output_columns=["out", "more"])
    columns = list(zip(*rows, strict=True))

    writer.write_chunk(
        [pa.array(columns[0]), pa.array(columns[1])],
        Outcomes({"out": list(columns[2]), "more": list(columns[3])}, list(columns[4])),
    )

    assert out.getvalue() == expected.getvalue().encode()


FAST_SCHEMA = Schema(
    fields=(
        Field("age", "integer", minimum=0, maximum=120),
        Field("bmi", "number", minimum=10, maximum=80, required=False, nullable=True),
        Field("score", "number", required=False),
        Field("smoker", "boolean", required=False),
        Field("sex", "choice", choices=("female", "male")),
        Field("note", "text", max_length=5, required=False),
    )
)
ODD_CELLS = ["", " ", "nan", "inf", "abc", "1_0", "-1", "4.5", "121", "Male", "toolong"]
COLUMN_CELLS = [
    ["0", "1", "42", " 42 ", "1e2", "+7", "120"],  # age
    ["10", "9.99", "80", "23.5", "-0"],  # bmi
    ["0", "-3.25", "1e300"],  # score
    ["yes", "No", "true", "0", "1", "f"],  # smoker
    ["female", "male"],  # sex
    ["hello", "hi", "x"],  # note
]
ROWS = st.one_of(
    st.tuples(*(st.sampled_from(cells + ODD_CELLS[:2]) for cells in COLUMN_CELLS)).map(list),
    st.tuples(*(st.sampled_from(cells + ODD_CELLS) for cells in COLUMN_CELLS)).map(list),
    st.lists(st.sampled_from(ODD_CELLS + COLUMN_CELLS[0]), min_size=5, max_size=7),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(ROWS, min_size=1, max_size=12))
def test_checking_a_chunk_by_column_gives_exactly_what_checking_each_row_gives(rows) -> None:
    header = ["age", "bmi", "score", "smoker", "sex", "note"]
    converter = RowConverter(FAST_SCHEMA, header)

    by_row = []
    for cells in rows:
        try:
            by_row.append(converter.clean(cells))
        except RowError as exc:
            by_row.append(str(exc))

    by_column = converter.clean_chunk(rows)
    assert by_column == by_row
    assert [type(v) for row in by_column if isinstance(row, dict) for v in row.values()] == [
        type(v) for row in by_row if isinstance(row, dict) for v in row.values()
    ]


def test_a_chunk_without_the_optional_columns_fills_them_with_none() -> None:
    converter = RowConverter(FAST_SCHEMA, ["sex", "age"])

    assert converter.clean_chunk([["male", "40"], ["x", "1"]]) == [
        {"sex": "male", "age": 40, "bmi": None, "score": None, "smoker": None, "note": None},
        "sex: Must be one of: female, male.",
    ]


def test_valid_rows_are_checked_by_column_without_the_row_by_row_path(monkeypatch) -> None:
    converter = RowConverter(FAST_SCHEMA, ["age", "sex", "bmi"])
    checked_one_by_one = []
    real_clean = converter.clean
    monkeypatch.setattr(
        converter, "clean", lambda cells: checked_one_by_one.append(cells) or real_clean(cells)
    )

    result = converter.clean_chunk(
        [["40", "male", "22.5"], ["41", "female", ""], ["x", "male", "1"]]
    )

    assert checked_one_by_one == [["x", "male", "1"]]
    assert result[1] == {
        "age": 41,
        "sex": "female",
        "bmi": None,
        "score": None,
        "smoker": None,
        "note": None,
    }


def test_a_chunk_applies_the_schemas_cross_field_checks() -> None:
    def adults_only_smoke(row):
        return {"smoker": ["Only adults."]} if row["smoker"] and row["age"] < 18 else {}

    schema = Schema(fields=FAST_SCHEMA.fields, checks=(adults_only_smoke,))
    converter = RowConverter(schema, ["age", "sex", "smoker"])

    result = converter.clean_chunk([["16", "male", "yes"], ["40", "male", "yes"]])

    assert result[0] == "smoker: Only adults."
    assert result[1]["smoker"] is True
