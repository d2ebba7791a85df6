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
from django.utils.html import escape

from predictions.ml.cases import CASES
from predictions.registry.selectors import production_version

pytestmark = pytest.mark.django_db

# Elder monitoring's hours are a time series: a random sample of them has no time split.
SAMPLE_ROWS = {"elder-monitoring": None}
DEFAULT_SAMPLE = 200
# Stored values that only a figure shows, and the figure the card must then list.
FIGURE_OF = {
    ("production", "confusion_matrix"): "confusion_matrix.png",
    ("production", "labels"): "confusion_matrix.png",
    ("baseline", "confusion_matrix"): "confusion_matrix_baseline.png",
    ("baseline", "labels"): "confusion_matrix_baseline.png",
    ("production", "calibration"): "calibration.png",
    ("baseline", "calibration"): "calibration.png",
    ("production", "risk_groups"): "risk_groups.png",
    ("production", "curve_years"): "risk_groups.png",
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


def _interval(value: dict[str, Any]) -> str:
    return f"{value['mean']:.4f} [{value['ci_low']:.4f}, {value['ci_high']:.4f}]"


def _as_printed(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_as_printed(item) for item in value) + "]"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _leaves(value: Any, name: str) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, f"{name}.{key}")]
    return [] if value is None else [(name, value)]


def _unshown(metrics: dict[str, dict[str, Any]], body: str) -> list[str]:
    """The stored metrics this card body does not show, as "which: name" lines."""
    rows = _rows_by_metric(body)
    missing = []
    for which, stored in metrics.items():
        column = COLUMN[which]
        for name, value in stored.items():
            if isinstance(value, dict) and "mean" in value:
                if rows.get(name, [""] * 3)[column] != _interval(value):
                    missing.append(f"{which}: {name} {_interval(value)}")
            elif (which, name) in FIGURE_OF:
                if f"/{FIGURE_OF[which, name]}" not in body:
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
    assert _unshown(version.metrics, english) == []
    assert _unshown(version.metrics, russian) == []
    assert "Порог качества" in russian
    assert "достигнут средним" in russian
    for bar in version.card["bars"]:
        figure = version.metrics["production"][bar["metric"]]
        shown = _interval(figure) if isinstance(figure, dict) else f"{figure:.4f}"
        code = escape(bar["bar"])
        assert f"<code>{code}</code>: {shown}" in english
        assert f"<code>{code}</code>: {shown}" in russian


def test_the_walk_reports_a_stored_metric_the_card_does_not_show():
    body = (
        '<table class="metrics"><tr><td><code>roc_auc</code></td>'
        '<td class="num">0.8000 [0.7000, 0.9000]</td><td class="num">—</td></tr></table>'
    )
    interval = {"mean": 0.8, "ci_low": 0.7, "ci_high": 0.9}
    metrics = {
        "baseline": {"roc_auc": interval},
        "production": {"roc_auc": interval, "false_alarm_rate": 0.0053},
    }

    assert _unshown(metrics, body) == [
        "production: roc_auc 0.8000 [0.7000, 0.9000]",
        "production: false_alarm_rate = 0.0053",
    ]
