"""Report tables: one object that both the HTML page and its CSV export are drawn from,
so that the two can never disagree."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from html import escape
from typing import Any

from django.utils.formats import date_format, number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from billing.money import credits_number

NUMERIC = ' class="num"'


def _credits(value: Any) -> str:
    return credits_number(int(value))


def _one_decimal(value: Any) -> str:
    return number_format(value, decimal_pos=1)


def _date(value: date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


# A cell as the reader sees it: numbers and dates in the active language's format ("12,50",
# "29.11.2026" in Russian), like every other number and date of the site.
FORMATS: dict[str, Callable[[Any], str]] = {
    "text": str,
    "int": number_format,
    "credits": _credits,
    "date": _date,
    "percent": _one_decimal,
    "ms": _one_decimal,
    "rate": _one_decimal,
}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"
    # Stored value -> what the reader sees (a model's choices: "queued" -> "в очереди").
    choices: Mapping[Any, str] | None = None

    @property
    def heading(self) -> str:
        """The label, with the unit for money: cells show "12.50", the heading "(credits)"."""
        return (
            format_lazy("{} ({})", self.label, _("credits"))
            if self.kind == "credits"
            else self.label
        )

    @property
    def numeric(self) -> bool:
        return self.kind != "text" and self.kind != "date"

    def format(self, value: Any) -> str:
        if value is None:
            return ""
        if self.choices is not None:
            value = self.choices.get(value, value)
        return FORMATS[self.kind](value)


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

    def body_html(self) -> SafeString:
        """The table's rows as HTML, escaped here in one pass: a year per day is 365 rows,
        which the template language (or format_html, lazy-aware) takes tens of ms over."""
        return mark_safe(  # noqa: S308 (every cell is escaped just below)
            "\n".join(
                "<tr>"
                + "".join(
                    f'<td class="num">{escape(text)}</td>'
                    if numeric
                    else f"<td>{escape(text)}</td>"
                    for text, numeric in row
                )
                + "</tr>"
                for row in self.cells
            )
        )

    def csv_lines(self) -> Iterator[list[str]]:
        """The header and the cells as shown on the page, for `streaming_csv_response`
        (which makes text a spreadsheet would run inert)."""
        yield [str(column.heading) for column in self.columns]
        for row in self.cells:
            yield [text for text, _numeric in row]

    @property
    def chart_title(self) -> str:
        """What the chart draws, and only that: its one series by its label column
        ("Revenue (credits) by day"), even when the table holds several."""
        if self.chart is None:
            return ""
        by_key = {column.key: column for column in self.columns}
        label = str(by_key[self.chart[0]].label)
        return format_lazy(
            _("{value} by {label}"),
            value=by_key[self.chart[1]].heading,
            label=label[:1].lower() + label[1:],
        )

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
