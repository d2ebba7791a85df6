"""The uploaded CSV file: checked once when it arrives, then read in chunks by the worker.

Nothing here holds a whole file in memory: the check reads the file once in bounded
physical lines before the CSV parser sees it, and the worker reads it in chunks of rows.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

import pyarrow as pa
from django.utils.translation import gettext as _

from mlbilling.errors import DomainError
from predictions.batch.csv_stream import BadRows, open_rows, read_header
from predictions.ml.schema import Schema

_READ_BLOCK = 1 << 20


class BatchFileError(ValueError, DomainError):
    """The uploaded file cannot be processed; `messages` say why, for the user."""

    code = "invalid_file"
    status_code = 400

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__(" ".join(self.messages))

    def detail(self) -> str:
        return _("The file cannot be processed.")

    def field_errors(self) -> dict[str, Any]:
        return {"file": self.messages}


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
    header = read_header(binary)
    if header is None or not any(header):
        raise BatchFileError([_("The file is empty: the first line must name the columns.")])
    columns = tuple(header)
    problems = header_problems(columns, schema)
    if problems:
        raise BatchFileError(problems)
    rows = _count_rows(binary, width=len(columns), max_rows=max_rows)
    if rows == 0:
        raise BatchFileError([_("The file has a header but no rows.")])
    return Inspection(columns=columns, rows=rows, size=size, sha256=sha256)


class _ThenSentinel(io.RawIOBase):
    """The file, then one more row of its own: if that row comes out of the CSV reader as a
    row, every quote was closed; an unterminated quote swallows it into its cell."""

    def __init__(self, binary: IO[bytes], sentinel: bytes) -> None:
        self.binary, self.tail = binary, sentinel

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.binary.read(len(buffer))
        if not data:
            data, self.tail = self.tail[: len(buffer)], self.tail[len(buffer) :]
        buffer[: len(data)] = data
        return len(data)


def _count_rows(binary: IO[bytes], *, width: int, max_rows: int) -> int:
    """The data rows, counted by the reader the worker uses; refuses an unterminated quote."""
    marker = "\x1e end of the upload check" + "," * width  # width + 1 cells: a bad row
    bad_rows = BadRows()
    rows = 0
    try:
        for batch in open_rows(_ThenSentinel(binary, f"\n{marker}\n".encode()), width, bad_rows):
            rows += batch.num_rows
            if rows + bad_rows.count > max_rows + 1:
                break
    except pa.ArrowInvalid as exc:  # e.g. a row, quoted line breaks included, over 2 MB
        raise BatchFileError(
            [
                _("Line %(line)d is not valid CSV (%(error)s).")
                % {"line": rows + bad_rows.count + 2, "error": exc}
            ]
        ) from None
    finally:
        binary.seek(0)
    closed = bool(bad_rows.rows) and bad_rows.rows[-1][1] == marker
    rows += bad_rows.count - closed
    if rows > max_rows:
        raise BatchFileError([_("The file has more than %(limit)d rows.") % {"limit": max_rows}])
    if not closed:
        raise _line_error(
            _("Line %(line)d opens a quote that is never closed."), _last_row_line(binary)
        )
    return rows


def _last_row_line(binary: IO[bytes]) -> int:
    """The line on which the file's last row starts (an error's slow path only)."""
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    start = following = 1  # where the last row read starts, and where the next one does
    try:
        for _row in reader:
            start, following = following, reader.line_num + 1
    except csv.Error:  # the open quote's cell outgrew the csv module's own limit
        start = following
    finally:
        text.detach()
        binary.seek(0)
    return start
