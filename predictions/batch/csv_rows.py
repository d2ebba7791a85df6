"""CSV cells -> the values a case's schema validates, in one place.

CSV cells are strings; `RowConverter` turns them into numbers, booleans, lists... and
checks them, a whole chunk column by column with NumPy where the fields allow.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.utils.translation import gettext as _

from mlbilling.numbers import NumberError, parse_number, parse_number_column
from predictions.ml.schema import Field, Schema, SchemaError

logger = logging.getLogger(__name__)

# Cells of a multichoice field list the chosen names separated by this character
# (a comma would clash with the CSV delimiter).
LIST_SEPARATOR = ";"
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


def _to_boolean(text: str) -> Any:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return text


def _to_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]


def _as_is(text: str) -> str:
    return text


def _to_number(f: Field) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return parse_number(text, minimum=f.minimum, maximum=f.maximum)
        except NumberError as exc:
            if exc.reason == "syntax":
                return text  # the schema names the problem ("A number is required.")
            raise  # past the field's range, or past any float's: the row's error

    return convert


_CONVERTERS: dict[str, Callable[[Field], Callable[[str], Any]]] = {
    "number": _to_number,
    "integer": _to_number,
    "boolean": lambda f: _to_boolean,
    "multichoice": lambda f: _to_list,
    "choice": lambda f: _as_is,
    "text": lambda f: _as_is,
    "datetime": lambda f: _as_is,
}


def _converter(f: Field) -> Any:
    convert = _CONVERTERS[f.kind](f)
    if f.parser is None or convert is _as_is:
        return convert

    # A field with its own parser accepts convenient text (e.g. "51 years 108 days") as
    # well as its kind's values: give it the converted value when the cell has that form.
    def convert_or_text(text: str) -> Any:
        value = convert(text)
        return text if isinstance(value, str) else value

    return convert_or_text


def _numbers_checker(f: Field) -> ColumnCheck:
    def check(column: pa.Array) -> tuple[list[Any], np.ndarray]:
        numbers, ok = parse_number_column(column, minimum=f.minimum, maximum=f.maximum)
        if f.kind == "integer":
            with np.errstate(invalid="ignore"):
                ok &= numbers == np.floor(numbers)
            return [
                int(n) if good else None for n, good in zip(numbers.tolist(), ok, strict=True)
            ], ok
        return numbers.tolist(), ok

    return check


def _mask(array: pa.Array) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=bool)


def _choice_checker(f: Field) -> ColumnCheck:
    allowed = pa.array(list(f.choices), type=pa.string())
    return lambda column: (column.to_pylist(), _mask(pc.is_in(column, value_set=allowed)))


_TRUE_ARRAY = pa.array(sorted(_TRUE))
_FALSE_ARRAY = pa.array(sorted(_FALSE))


def _boolean_checker(f: Field) -> ColumnCheck:
    def check(column: pa.Array) -> tuple[list[Any], np.ndarray]:
        lowered = pc.utf8_lower(column)
        true = _mask(pc.is_in(lowered, value_set=_TRUE_ARRAY))
        return true.tolist(), true | _mask(pc.is_in(lowered, value_set=_FALSE_ARRAY))

    return check


def _text_checker(f: Field) -> ColumnCheck:
    def check(column: pa.Array) -> tuple[list[Any], np.ndarray]:
        lengths = pc.utf8_length(column).to_numpy()
        ok = lengths > 0 if f.max_length is None else (lengths > 0) & (lengths <= f.max_length)
        return column.to_pylist(), ok

    return check


# A column of a chunk (Arrow text, trimmed) -> its values and which of them the field takes.
ColumnCheck = Callable[[pa.Array], tuple[list[Any], np.ndarray]]
_COLUMN_CHECKERS: dict[str, Callable[[Field], ColumnCheck]] = {
    "number": _numbers_checker,
    "integer": _numbers_checker,
    "choice": _choice_checker,
    "boolean": _boolean_checker,
    "text": _text_checker,
}


def _rows_at(columns: Sequence[pa.Array], positions: Sequence[int]) -> list[list[str]]:
    """The cells of the rows at `positions`, as lists of strings."""
    indices = pa.array(positions, type=pa.int64())
    taken = [column.take(indices).to_pylist() for column in columns]
    return [list(cells) for cells in zip(*taken, strict=True)] if taken else []


class RowConverter:
    """Turns CSV rows (lists of strings) into clean schema rows, one header at a time.

    An empty cell is a missing value: null for a nullable field, absent otherwise (the
    schema then says "required", or fills in None for an optional field).

    `clean` is the reference: the schema's own validation, row by row, with its messages.
    `clean_chunk` gets the same values for a whole chunk column by column (NumPy), and
    hands every row it does not accept to `clean`, so messages always come from the
    schema; fields it cannot check by column (lists, dates, own parsers) make the whole
    chunk go row by row.
    """

    def __init__(self, schema: Schema, header: Sequence[str]) -> None:
        fields = schema.by_name()
        self.schema = schema
        self.width = len(header)
        self.columns = [
            (index, name, _converter(fields[name]), fields[name].nullable)
            for index, name in enumerate(header)
            if name in fields
        ]
        present = set(header)
        self.absent = [f.name for f in schema.fields if f.name not in present]
        self.checks: list[tuple[int, str, ColumnCheck, bool]] | None = []
        for index, name, _convert, _nullable in self.columns:
            f = fields[name]
            if f.parser is not None or f.kind not in _COLUMN_CHECKERS:
                self.checks = None
                break
            empty_ok = f.nullable or not f.required
            self.checks.append((index, name, _COLUMN_CHECKERS[f.kind](f), empty_ok))

    def to_input(self, cells: Sequence[str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """The row's values for the schema, and the cells that cannot be values at all
        (a number past its field's range or any float's) with their messages."""
        row: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for index, name, convert, nullable in self.columns:
            text = cells[index].strip()
            if text:
                try:
                    row[name] = convert(text)
                except NumberError as exc:
                    errors[name] = [str(exc)]
            elif nullable:
                row[name] = None
        return row, errors

    def clean(self, cells: Sequence[str]) -> dict[str, Any]:
        """One CSV row -> a clean row, or `RowError` with a message for the result file."""
        if len(cells) != self.width:
            raise RowError(
                _("Expected %(expected)d cells, found %(found)d.")
                % {"expected": self.width, "found": len(cells)}
            )
        row, cell_errors = self.to_input(cells)
        try:
            clean = self.schema.validate_row(row)
        except SchemaError as exc:
            errors = exc.errors[0]
        else:
            if not cell_errors:
                return clean
            errors = {}
        # A cell's own error stands where the schema would say "required" for it.
        order = [*self.schema.names, *errors]
        merged = {**errors, **cell_errors}
        names = [name for name in dict.fromkeys(order) if name in merged]
        raise RowError("; ".join(f"{name}: {' '.join(merged[name])}" for name in names))

    def clean_or_message(self, cells: Sequence[str]) -> dict[str, Any] | str:
        """`clean`, with any failure as the row's message: one row never stops a job."""
        try:
            return self.clean(cells)
        except RowError as exc:
            return str(exc)
        except Exception:
            logger.exception("Batch row check failed unexpectedly.")
            return _("This row could not be checked.")

    def clean_chunk(self, rows: Sequence[Sequence[str]]) -> list[dict[str, Any] | str]:
        """`clean_columns` for rows given as lists of strings (any number of cells)."""
        results: list[dict[str, Any] | str] = [""] * len(rows)
        fitting = [p for p, cells in enumerate(rows) if len(cells) == self.width]
        for position in set(range(len(rows))) - set(fitting):
            results[position] = self.clean_or_message(rows[position])
        if fitting:
            columns = [
                pa.array([rows[p][index] for p in fitting], type=pa.string())
                for index in range(self.width)
            ]
            for position, result in zip(fitting, self.clean_columns(columns), strict=True):
                results[position] = result
        return results

    def clean_columns(self, columns: Sequence[pa.Array]) -> list[dict[str, Any] | str]:
        """Each row's clean values, or the message saying why it cannot be predicted, for
        rows given column by column (Arrow text, as many columns as the header)."""
        rows = len(columns[0]) if columns else 0
        results: list[dict[str, Any] | str | None] = [None] * rows
        if self.checks is not None and rows:
            self._clean_by_column(columns, results)
        left = [position for position, result in enumerate(results) if result is None]
        for position, cells in zip(left, _rows_at(columns, left), strict=True):
            results[position] = self.clean_or_message(cells)
        return results  # type: ignore[return-value]  # no None is left

    def _clean_by_column(
        self, columns: Sequence[pa.Array], results: list[dict[str, Any] | str | None]
    ) -> None:
        accepted = np.ones(len(results), dtype=bool)
        names: list[str] = []
        values: list[list[Any]] = []
        for index, name, check, empty_ok in self.checks or ():
            column = pc.utf8_trim_whitespace(columns[index])
            column_values, ok = check(column)
            empty = _mask(pc.equal(column, ""))
            if empty.any():
                ok = np.where(empty, empty_ok, ok)
                column_values = [
                    None if e else v for v, e in zip(column_values, empty.tolist(), strict=True)
                ]
            accepted &= ok
            names.append(name)
            values.append(column_values)
        names.extend(self.absent)
        values.extend([None] * len(results) for _name in self.absent)
        row_checks = self.schema.checks
        for position, row_values, ok in zip(
            range(len(results)), zip(*values, strict=True), accepted.tolist(), strict=True
        ):
            if ok:
                row = dict(zip(names, row_values, strict=True))
                # A row failing a cross-field check is left for `clean` to explain.
                if not any(check(row) for check in row_checks):
                    results[position] = row


class RowError(ValueError):
    """One row cannot be predicted; the message goes to the result's `error` column."""
