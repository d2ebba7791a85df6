"""Every figure a case's evaluation stores for a version reaches that version's card, in
English and in Russian.

Each real case is trained by `train_models` (on a sample where its data can be sampled:
the shape of what is stored does not depend on the number of rows), then its card is
fetched through the view in both languages and the stored metrics are walked: a figure
judged across folds must be in the metrics table with its 95 % interval, every other
value in "Other recorded figures", and what only a figure shows must have that figure on
the card. A metric that an evaluation stores and no part of the card shows fails here.
"""

from __future__ import annotations

from html.parser import HTMLParser
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.formats import number_format
from django.utils.html import escape

from predictions.ml.cases import CASES
from predictions.registry.selectors import production_version

pytestmark = pytest.mark.django_db

# Elder monitoring's hours are a time series: a random sample of them has no time split.
SAMPLE_ROWS = {"elder-monitoring": None}
DEFAULT_SAMPLE = 200
# Stored values that only a figure shows, and the figure (its file's stem: "name.svg",
# "name.ru.svg") the card must then list.
FIGURE_OF = {
    ("production", "confusion_matrix"): "confusion_matrix",
    ("production", "labels"): "confusion_matrix",
    ("baseline", "confusion_matrix"): "confusion_matrix_baseline",
    ("baseline", "labels"): "confusion_matrix_baseline",
    ("production", "calibration"): "calibration",
    ("baseline", "calibration"): "calibration",
    ("production", "risk_groups"): "risk_groups",
    ("production", "curve_years"): "risk_groups",
}
COLUMN = {"baseline": 1, "production": 2}


class _TableRows(HTMLParser):
    """The rows of the card's `metrics` tables as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._depth = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("class", "metrics") in attrs:
            self._depth += 1
        elif self._depth and tag == "tr":
            self.rows.append([])
        elif self._depth and tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._depth:
            self._depth -= 1
        elif tag == "td" and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _rows_by_metric(body: str) -> dict[str, list[str]]:
    parser = _TableRows()
    parser.feed(body)
    return {row[0]: row for row in parser.rows if row}


# Numbers as the card prints them in the active language: four decimals, the language's
# decimal separator ("0,8123" in Russian), an interval's ends and a list's items apart by
# "; " so that a decimal comma stays readable.
def _number(value: float) -> str:
    return number_format(round(value, 4), decimal_pos=4)


def _interval(value: dict[str, Any]) -> str:
    return f"{_number(value['mean'])} [{_number(value['ci_low'])}; {_number(value['ci_high'])}]"


def _has_interval(value: dict[str, Any]) -> bool:
    return all(value.get(key) is not None for key in ("mean", "ci_low", "ci_high"))


def _as_printed(value: Any) -> str:
    if isinstance(value, dict):
        return _interval(value)
    if isinstance(value, list):
        return "[" + "; ".join(_as_printed(item) for item in value) + "]"
    return _number(value) if isinstance(value, float) else str(value)


def _leaves(value: Any, name: str) -> list[tuple[str, Any]]:
    """The values under `name`, each with its dotted name; a figure with its interval
    (elder monitoring's detection per magnitude) is one value, shown as one row."""
    if isinstance(value, dict) and not _has_interval(value):
        return [leaf for key, item in value.items() for leaf in _leaves(item, f"{name}.{key}")]
    return [] if value is None else [(name, value)]


def _unshown(metrics: dict[str, dict[str, Any]], body: str, language: str = "en") -> list[str]:
    """The stored metrics this card body, in `language`, does not show, as "which: name"
    lines."""
    with translation.override(language):
        return _unshown_here(metrics, body)


def _unshown_here(metrics: dict[str, dict[str, Any]], body: str) -> list[str]:
    rows = _rows_by_metric(body)
    missing = []
    for which, stored in metrics.items():
        column = COLUMN[which]
        for name, value in stored.items():
            if isinstance(value, dict) and "mean" in value:
                if rows.get(name, [""] * 3)[column] != _interval(value):
                    missing.append(f"{which}: {name} {_interval(value)}")
            elif (which, name) in FIGURE_OF:
                if f"/{FIGURE_OF[which, name]}." not in body:
                    missing.append(f"{which}: {name} (figure {FIGURE_OF[which, name]})")
            else:
                for leaf, item in _leaves(value, name):
                    if rows.get(leaf, [""] * 3)[column] != _as_printed(item):
                        missing.append(f"{which}: {leaf} = {_as_printed(item)}")
    return missing


@pytest.mark.parametrize("slug", list(CASES))
def test_every_stored_metric_of_a_trained_version_is_on_its_card_in_both_languages(client, slug):
    sample = SAMPLE_ROWS.get(slug, DEFAULT_SAMPLE)
    options = ["--sample", str(sample)] if sample else []
    call_command("train_models", "--case", slug, *options, stdout=StringIO())
    version = production_version(slug=slug)
    url = reverse("predictions:model_detail", args=[slug])

    # override: the language a request activates must not outlive this test.
    with translation.override("en"):
        english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        russian = client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert set(version.metrics) == {"baseline", "production"}
    assert _unshown(version.metrics, english, "en") == []
    assert _unshown(version.metrics, russian, "ru") == []
    assert "Порог качества" in russian
    assert "достигнут средним" in russian
    for bar in version.card["bars"]:
        figure = version.metrics["production"][bar["metric"]]
        code = escape(bar["bar"])
        for language, body in (("en", english), ("ru", russian)):
            with translation.override(language):
                shown = _interval(figure) if isinstance(figure, dict) else _number(figure)
            assert f"<code>{code}</code>: {shown}" in body


def test_the_walk_reports_a_stored_metric_the_card_does_not_show():
    body = (
        '<table class="metrics"><tr><td><code>roc_auc</code></td>'
        '<td class="num">0.8000 [0.7000; 0.9000]</td><td class="num">—</td></tr></table>'
    )
    interval = {"mean": 0.8, "ci_low": 0.7, "ci_high": 0.9}
    metrics = {
        "baseline": {"roc_auc": interval},
        "production": {"roc_auc": interval, "false_alarm_rate": 0.0053},
    }

    assert _unshown(metrics, body) == [
        "production: roc_auc 0.8000 [0.7000; 0.9000]",
        "production: false_alarm_rate = 0.0053",
    ]
