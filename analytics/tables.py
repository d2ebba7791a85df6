"""Report tables: one object that both the HTML page and its CSV export are drawn from,
so that the two can never disagree."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.http import StreamingHttpResponse

from billing.money import format_credits


def _number(value: Any) -> str:
    return str(value)


def _one_decimal(value: Any) -> str:
    return f"{value:.1f}"


FORMATS: dict[str, Callable[[Any], str]] = {
    "text": str,
    "int": _number,
    "credits": format_credits,
    "date": date.isoformat,
    "percent": _one_decimal,
    "ms": _one_decimal,
    "rate": _one_decimal,
}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"

    @property
    def numeric(self) -> bool:
        return self.kind != "text" and self.kind != "date"

    def format(self, value: Any) -> str:
        return "" if value is None else FORMATS[self.kind](value)


@dataclass
class Table:
    slug: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    # (label column, value column) of a bar chart drawn above the table, if any.
    chart: tuple[str, str] | None = None
    note: str = ""
    cells: list[list[tuple[str, bool]]] = field(init=False)

    def __post_init__(self) -> None:
        self.cells = [
            [(column.format(row.get(column.key)), column.numeric) for column in self.columns]
            for row in self.rows
        ]

    def csv_lines(self) -> Iterator[list[str]]:
        yield [column.label for column in self.columns]
        for row in self.cells:
            yield [
                text if column.numeric else spreadsheet_safe(text)
                for column, (text, _numeric) in zip(self.columns, row, strict=True)
            ]

    def chart_points(self) -> list[tuple[str, float, str]]:
        """(label, value, value as shown) per row, for `charts.bar_chart`."""
        if self.chart is None:
            return []
        label_key, value_key = self.chart
        by_key = {column.key: column for column in self.columns}
        return [
            (
                by_key[label_key].format(row[label_key]),
                float(row[value_key] or 0),
                by_key[value_key].format(row[value_key]),
            )
            for row in self.rows
        ]


# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Text as a spreadsheet will show it, never run it (an email like "=HYPERLINK(...)"
    is a valid address); numbers keep their sign because only text columns pass here."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(lines: Iterator[list[Any]], *, filename: str) -> StreamingHttpResponse:
    """A streamed CSV download: rows are written as they are produced, so a long export
    never sits whole in memory."""
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(line) for line in lines), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
