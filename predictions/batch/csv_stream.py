"""Reading an uploaded CSV with Arrow's streaming CSV reader: the upload check counts its
rows with it and the worker reads its chunks with it, so both see the same rows.

Every cell is read as text, one block at a time (memory stays flat whatever the file's
size). A row with the wrong number of cells is not an error of the file: Arrow hands it
to `BadRows`, which keeps its text and its place, and the chunks put it back where it
was, for the worker to report in the result file.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import pyarrow as pa
import pyarrow.csv as pcsv

# Bytes Arrow parses at a time. A row, quoted line breaks included, of up to one block
# always parses, one of over two never does (the upload check refuses it); lines are at
# most BATCH_MAX_LINE_BYTES (256 KiB). The block sets the worker's memory: reading the
# first chunk of a million-row file took 77 MB at 4 MB blocks and 46 MB at 1 MB, at the
# same speed (bench/batch.py).
BLOCK_BYTES = 1 << 20


def read_header(binary: IO[bytes]) -> list[str] | None:
    """The first row's cells, stripped (None for an empty file); rewinds the file."""
    binary.seek(0)
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    try:
        header = next(csv.reader(text), None)
    finally:
        text.detach()  # the caller keeps the file open
        binary.seek(0)
    return None if header is None else [cell.strip() for cell in header]


def cells_of(text: str) -> list[str]:
    """The cells of one row's text, as the CSV reader splits them."""
    return next(csv.reader(io.StringIO(text, newline="")), [])


class BadRows:
    """Arrow's handler for rows with the wrong number of cells: keeps each row's place
    among the data rows (Arrow numbers rows from 1, the header included) and its text."""

    def __init__(self) -> None:
        self.rows: deque[tuple[int, str]] = deque()
        self.count = 0

    def __call__(self, row: Any) -> str:
        self.rows.append((row.number - 2, row.text))
        self.count += 1
        return "skip"


def open_rows(binary: IO[Any], width: int, bad_rows: BadRows) -> Any:
    """Arrow's streaming reader over the data rows (the header skipped), every cell text.

    One thread: Arrow numbers the rows it hands to `bad_rows` only when it parses in
    order, and the worker's process has one job at a time anyway."""
    names = [f"c{i}" for i in range(width)]
    return pcsv.open_csv(
        binary,
        read_options=pcsv.ReadOptions(
            column_names=names, skip_rows=1, block_size=BLOCK_BYTES, use_threads=False
        ),
        parse_options=pcsv.ParseOptions(newlines_in_values=True, invalid_row_handler=bad_rows),
        convert_options=pcsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


@dataclass
class Chunk:
    """Consecutive data rows: `columns` hold the rows with the right number of cells (Arrow
    arrays of text), `bad` the others as (place in the chunk, cells), in order."""

    columns: list[pa.Array]
    bad: list[tuple[int, list[str]]] = field(default_factory=list)

    def __len__(self) -> int:
        return (len(self.columns[0]) if self.columns else 0) + len(self.bad)


def read_chunks(binary: IO[bytes], *, chunk_rows: int) -> tuple[list[str], Iterator[Chunk]]:
    """The header and the data rows in chunks of at most `chunk_rows`, in file order."""
    header = read_header(binary) or []
    bad_rows = BadRows()
    reader = open_rows(binary, len(header), bad_rows)
    return header, _chunks(reader, bad_rows.rows, chunk_rows)


def _chunks(reader: Any, bad: deque[tuple[int, str]], chunk_rows: int) -> Iterator[Chunk]:
    position = 0  # the place among all data rows of the next row to hand out
    for batch in reader:
        offset = 0
        while offset < batch.num_rows:
            chunk = Chunk(columns=[])
            start = offset
            while len(chunk.bad) + (offset - start) < chunk_rows and offset < batch.num_rows:
                if bad and bad[0][0] == position:
                    chunk.bad.append((offset - start + len(chunk.bad), cells_of(bad.popleft()[1])))
                else:
                    # Every good row up to the next bad one (or the chunk's end) at once.
                    room = chunk_rows - len(chunk.bad) - (offset - start)
                    gap = bad[0][0] - position if bad else room
                    step = min(gap, room, batch.num_rows - offset)
                    offset += step
                    position += step
                    continue
                position += 1
            chunk.columns = [column.slice(start, offset - start) for column in batch.columns]
            yield chunk
    # Bad rows after the last good one.
    while bad:
        taken = [bad.popleft() for _ in range(min(chunk_rows, len(bad)))]
        yield Chunk(columns=[], bad=[(i, cells_of(text)) for i, (_p, text) in enumerate(taken)])
