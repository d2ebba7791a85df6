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
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.utils.translation import gettext as _

from predictions.schema import Field, Schema, SchemaError

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


def _physical_lines(binary: IO[bytes], *, max_line_bytes: int, digest: Any) -> Iterator[str]:
    """Yield the file's lines decoded, refusing a line longer than `max_line_bytes`.

    Lines are split on bytes: in UTF-8 a newline byte is never part of another
    character, so splitting before decoding is safe, and the decoder still sees every
    byte (an incremental decoder would accept nothing more).
    """
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    number = 0
    while True:
        line = binary.readline(max_line_bytes + 1)
        if not line:
            break
        number += 1
        digest.update(line)
        if len(line) > max_line_bytes and not line.endswith(b"\n"):
            raise BatchFileError(
                [
                    _("Line %(line)d is longer than %(limit)d bytes: is this a CSV file?")
                    % {"line": number, "limit": max_line_bytes}
                ]
            )
        if b"\x00" in line:
            raise BatchFileError(
                [_("Line %(line)d contains a NUL byte: is this a CSV file?") % {"line": number}]
            )
        try:
            text = decoder.decode(line)
        except UnicodeDecodeError:
            raise BatchFileError(
                [
                    _("Line %(line)d is not valid UTF-8: save the file as UTF-8 CSV.")
                    % {"line": number}
                ]
            ) from None
        if number == 1:
            text = text.removeprefix("\ufeff")  # the byte order mark spreadsheet apps write
        yield text


def header_problems(columns: Sequence[str], schema: Schema) -> list[str]:
    """The header's problems by column name: missing required, unknown, repeated."""
    problems: list[str] = []
    seen: set[str] = set()
    repeated = sorted({c for c in columns if c in seen or seen.add(c)})  # type: ignore[func-returns-value]
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
    """Check an uploaded CSV in one streaming pass and count its data rows.

    Raises `BatchFileError` naming every header problem, or the first problem with the
    file itself (not UTF-8, empty, a line too long, too many rows, broken quoting).
    Ragged rows are not refused here: the worker reports each in the result file.
    """
    digest = hashlib.sha256()
    reader = csv.reader(_physical_lines(binary, max_line_bytes=max_line_bytes, digest=digest))
    size = 0
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
            if not row:
                continue  # blank lines carry no row
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
    if rows == 0:
        raise BatchFileError([_("The file has a header but no rows.")])
    size = binary.tell()
    return Inspection(columns=columns, rows=rows, size=size, sha256=digest.hexdigest())


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


class RowConverter:
    """Turns CSV rows (lists of strings) into clean schema rows, one header at a time.

    An empty cell is a missing value: null for a nullable field, absent otherwise (the
    schema then says "required", or fills in None for an optional field).
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


class RowError(ValueError):
    """One row cannot be predicted; the message goes to the result's `error` column."""


# --- Result file -----------------------------------------------------------------------
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def escape_cell(value: Any) -> Any:
    """Neutralise a cell a spreadsheet would run as a formula (CSV injection).

    A leading apostrophe makes Excel, LibreOffice and Google Sheets show the text as
    text. Plain numbers such as -1.5 are left alone: they are not formulas.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class ResultWriter:
    """Writes result rows: the input cells, the case's output columns, then `error`."""

    def __init__(self, text: IO[str], *, header: Sequence[str], output_columns: Sequence[str]):
        self.output_columns = list(output_columns)
        self.width = len(header)
        self._writer = csv.writer(text)
        self._writer.writerow([escape_cell(c) for c in (*header, *self.output_columns, "error")])
        self._blank_outputs = [""] * len(self.output_columns)

    def _inputs(self, cells: Sequence[str]) -> list[Any]:
        padded = list(cells[: self.width]) + [""] * (self.width - len(cells))
        return [escape_cell(c) for c in padded]

    def write_result(self, cells: Sequence[str], outputs: dict[str, Any]) -> None:
        values = [escape_cell(outputs.get(c, "")) for c in self.output_columns]
        self._writer.writerow([*self._inputs(cells), *values, ""])

    def write_error(self, cells: Sequence[str], message: str) -> None:
        self._writer.writerow([*self._inputs(cells), *self._blank_outputs, escape_cell(message)])
