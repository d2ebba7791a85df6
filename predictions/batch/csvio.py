"""Reading uploaded CSV files and writing result CSV files, as streams.

Nothing here holds a whole file in memory: the upload check reads the file once in
bounded physical lines, the worker reads it in chunks of rows, and results are written
row by row. CSV cells are strings; `RowConverter` turns them into the values a case's
schema validates (numbers, booleans, lists...) in one place.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
from django.utils.translation import gettext as _

from mlbilling.csv_export import escape_cell, escape_rows, escape_text_rows
from predictions.ml.schema import Field, Schema, SchemaError

# Cells of a multichoice field list the chosen names separated by this character
# (a comma would clash with the CSV delimiter).
LIST_SEPARATOR = ";"
_READ_BLOCK = 1 << 20


class BatchFileError(ValueError):
    """The uploaded file cannot be processed; `messages` say why, for the user."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__(" ".join(self.messages))


@dataclass(frozen=True)
class Inspection:
    """What the upload check learnt about a file that passed it."""

    columns: tuple[str, ...]
    rows: int
    size: int
    sha256: str


def _line_error(message: str, line: int) -> BatchFileError:
    return BatchFileError([message % {"line": line}])


def _scan_bytes(binary: IO[bytes], *, max_line_bytes: int) -> tuple[int, str]:
    """Check the raw bytes block by block: valid UTF-8, no NUL byte, no line longer than
    `max_line_bytes`. Returns (size, sha256). Every test runs in C over a whole block, so
    this costs about as much as reading the file."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    line = 1  # the line number at the start of the block
    carried = 0  # bytes of that line seen in earlier blocks
    size = 0
    while block := binary.read(_READ_BLOCK):
        size += len(block)
        digest.update(block)
        if b"\x00" in block:
            at = line + block.count(b"\n", 0, block.index(b"\x00"))
            raise _line_error(_("Line %(line)d contains a NUL byte: is this a CSV file?"), at)
        try:
            decoder.decode(block)
        except UnicodeDecodeError as exc:
            at = line + block.count(b"\n", 0, max(exc.start, 0))
            raise _line_error(
                _("Line %(line)d is not valid UTF-8: save the file as UTF-8 CSV."), at
            ) from None
        lengths = list(map(len, block.split(b"\n")))
        lengths[0] += carried
        if max(lengths) > max_line_bytes:
            at = line + next(i for i, n in enumerate(lengths) if n > max_line_bytes)
            raise BatchFileError(
                [
                    _("Line %(line)d is longer than %(limit)d bytes: is this a CSV file?")
                    % {"line": at, "limit": max_line_bytes}
                ]
            )
        line += len(lengths) - 1
        carried = lengths[-1]
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _line_error(
            _("Line %(line)d is not valid UTF-8: save the file as UTF-8 CSV."), line
        ) from None
    return size, digest.hexdigest()


def header_problems(columns: Sequence[str], schema: Schema) -> list[str]:
    """The header's problems by column name: missing required, unknown, repeated."""
    problems: list[str] = []
    seen: set[str] = set()
    repeated = sorted({c for c in columns if c in seen or seen.add(c)})
    if repeated:
        problems.append(_("Repeated columns: %(names)s.") % {"names": ", ".join(repeated)})
    known = set(schema.names)
    unknown = [c for c in dict.fromkeys(columns) if c not in known]
    if unknown:
        problems.append(_("Unknown columns: %(names)s.") % {"names": ", ".join(unknown)})
    missing = [f.name for f in schema.fields if f.required and f.name not in seen]
    if missing:
        problems.append(_("Missing columns: %(names)s.") % {"names": ", ".join(missing)})
    return problems


def inspect_upload(
    binary: IO[bytes], *, schema: Schema, max_rows: int, max_line_bytes: int
) -> Inspection:
    """Check an uploaded CSV and count its data rows, streaming (two fast passes).

    Raises `BatchFileError` naming every header problem, or the first problem with the
    file itself (not UTF-8, empty, a line too long, too many rows, broken quoting).
    Ragged rows are not refused here: the worker reports each in the result file.
    The first pass bounds every line, so the CSV parser of the second never meets a
    line that could exhaust memory.
    """
    binary.seek(0)
    size, sha256 = _scan_bytes(binary, max_line_bytes=max_line_bytes)
    binary.seek(0)
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise BatchFileError([_("The file is empty: the first line must name the columns.")])
        columns = tuple(cell.strip() for cell in header)
        problems = header_problems(columns, schema)
        if problems:
            raise BatchFileError(problems)
        rows = 0
        for row in reader:
            if row:  # blank lines carry no row
                rows += 1
                if rows > max_rows:
                    raise BatchFileError(
                        [_("The file has more than %(limit)d rows.") % {"limit": max_rows}]
                    )
    except csv.Error as exc:
        raise BatchFileError(
            [
                _("Line %(line)d is not valid CSV (%(error)s).")
                % {"line": reader.line_num, "error": exc}
            ]
        ) from None
    finally:
        text.detach()  # the caller keeps the file open (it is stored next)
    if rows == 0:
        raise BatchFileError([_("The file has a header but no rows.")])
    return Inspection(columns=columns, rows=rows, size=size, sha256=sha256)


def read_rows(binary: IO[bytes], *, chunk_rows: int) -> tuple[list[str], Iterator[list[list[str]]]]:
    """The header and an iterator over chunks of at most `chunk_rows` data rows."""
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    header = [cell.strip() for cell in next(reader)]

    def chunks() -> Iterator[list[list[str]]]:
        chunk: list[list[str]] = []
        for row in reader:
            if not row:
                continue
            chunk.append(row)
            if len(chunk) >= chunk_rows:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    return header, chunks()


# --- CSV cells -> schema input ---------------------------------------------------------
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


def _to_number(text: str) -> Any:
    try:
        return float(text) if not text.lstrip("+-").isdigit() else int(text)
    except ValueError:
        return text  # the schema names the problem ("A number is required.")


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


_CONVERTERS = {
    "number": _to_number,
    "integer": _to_number,
    "boolean": _to_boolean,
    "multichoice": _to_list,
    "choice": _as_is,
    "text": _as_is,
    "datetime": _as_is,
}


def _converter(f: Field) -> Any:
    convert = _CONVERTERS[f.kind]
    if f.parser is None or convert is _as_is:
        return convert

    # A field with its own parser accepts convenient text (e.g. "51 years 108 days") as
    # well as its kind's values: give it the converted value when the cell has that form.
    def convert_or_text(text: str) -> Any:
        value = convert(text)
        return text if isinstance(value, str) else value

    return convert_or_text


def _parse_float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def _numbers_checker(f: Field) -> ColumnCheck:
    def check(column: list[str]) -> tuple[list[Any], np.ndarray]:
        try:
            numbers = np.array(column, dtype=np.float64)  # one C loop when every cell parses
        except ValueError:
            numbers = np.array([_parse_float(text) for text in column], dtype=np.float64)
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(numbers)
            if f.minimum is not None:
                ok &= numbers >= f.minimum
            if f.maximum is not None:
                ok &= numbers <= f.maximum
            if f.kind == "integer":
                ok &= numbers == np.floor(numbers)
                return [
                    int(n) if good else None for n, good in zip(numbers.tolist(), ok, strict=True)
                ], ok
        return numbers.tolist(), ok

    return check


def _choice_checker(f: Field) -> ColumnCheck:
    allowed = frozenset(f.choices)
    return lambda column: (column, np.array([text in allowed for text in column], dtype=bool))


def _boolean_checker(f: Field) -> ColumnCheck:
    def check(column: list[str]) -> tuple[list[Any], np.ndarray]:
        values = [_to_boolean(text) for text in column]
        return values, np.array([isinstance(v, bool) for v in values], dtype=bool)

    return check


def _text_checker(f: Field) -> ColumnCheck:
    limit = f.max_length
    if limit is None:
        return lambda column: (column, np.array([bool(text) for text in column], dtype=bool))
    return lambda column: (
        column,
        np.array([bool(text) and len(text) <= limit for text in column], dtype=bool),
    )


ColumnCheck = Callable[[list[str]], tuple[list[Any], np.ndarray]]
_COLUMN_CHECKERS: dict[str, Callable[[Field], ColumnCheck]] = {
    "number": _numbers_checker,
    "integer": _numbers_checker,
    "choice": _choice_checker,
    "boolean": _boolean_checker,
    "text": _text_checker,
}


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

    def to_input(self, cells: Sequence[str]) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for index, name, convert, nullable in self.columns:
            text = cells[index].strip()
            if text:
                row[name] = convert(text)
            elif nullable:
                row[name] = None
        return row

    def clean(self, cells: Sequence[str]) -> dict[str, Any]:
        """One CSV row -> a clean row, or `RowError` with a message for the result file."""
        if len(cells) != self.width:
            raise RowError(
                _("Expected %(expected)d cells, found %(found)d.")
                % {"expected": self.width, "found": len(cells)}
            )
        try:
            return self.schema.validate_row(self.to_input(cells))
        except SchemaError as exc:
            raise RowError(
                "; ".join(
                    f"{name}: {' '.join(messages)}" for name, messages in exc.errors[0].items()
                )
            ) from None

    def clean_chunk(self, rows: Sequence[Sequence[str]]) -> list[dict[str, Any] | str]:
        """Each row's clean values, or the message saying why it cannot be predicted."""
        results: list[dict[str, Any] | str | None] = [None] * len(rows)
        if self.checks is not None:
            self._clean_by_column(rows, results)
        for position, result in enumerate(results):
            if result is None:
                try:
                    results[position] = self.clean(rows[position])
                except RowError as exc:
                    results[position] = str(exc)
        return results

    def _clean_by_column(
        self, rows: Sequence[Sequence[str]], results: list[dict[str, Any] | str | None]
    ) -> None:
        positions = [p for p, cells in enumerate(rows) if len(cells) == self.width]
        if not positions or self.checks is None:
            return
        columns = list(zip(*(rows[p] for p in positions), strict=True))
        accepted = np.ones(len(positions), dtype=bool)
        names: list[str] = []
        values: list[list[Any]] = []
        for index, name, check, empty_ok in self.checks:
            column = [text.strip() for text in columns[index]]
            column_values, ok = check(column)
            if "" in column:  # a C-level scan; the mask is built only when needed
                empty = np.array([not text for text in column], dtype=bool)
                ok = np.where(empty, empty_ok, ok)
                column_values = [
                    None if e else v for v, e in zip(column_values, empty, strict=True)
                ]
            accepted &= ok
            names.append(name)
            values.append(column_values)
        names.extend(self.absent)
        values.extend([None] * len(positions) for _name in self.absent)
        row_checks = self.schema.checks
        for position, row_values, ok in zip(
            positions, zip(*values, strict=True), accepted.tolist(), strict=True
        ):
            if ok:
                row = dict(zip(names, row_values, strict=True))
                # A row failing a cross-field check is left for `clean` to explain.
                if not any(check(row) for check in row_checks):
                    results[position] = row


class RowError(ValueError):
    """One row cannot be predicted; the message goes to the result's `error` column."""


# --- Result file -----------------------------------------------------------------------


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
