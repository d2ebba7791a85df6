"""A prediction's result as its page shows it: words, bars, the decision, reasons, curves."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation

from predictions.serving.results import result_view

pytestmark = pytest.mark.django_db

NHANES = {"label": "Adult", "probabilities": {"Adult": 0.597, "Senior": 0.403}, "threshold": 0.5}
ELDER = {
    "label": "alert",
    "anomaly_score": 4.2,
    "alert": True,
    "reasons": [
        "no_movement: no motion for 9 h up to 14:00 UTC, unusually long for this time of day",
        "temperature_out_of_range: temperature 31.5 outside the normal 19.0-26.0",
    ],
    "probabilities": {"alert": 0.9, "normal": 0.1},
}
SURVIVAL = {
    "risk_group": "high",
    "risk_score": 2.1,
    "survival_at": {"1y": 0.9, "2y": 0.8, "5y": 0.5, "10y": 0.2},
    "survival_curve": [{"years": 0, "survival": 1.0}, {"years": 10, "survival": 0.2}],
}


def test_a_thresholded_label_says_why_in_words():
    with translation.override("en"):
        shown = result_view(0, NHANES)

    assert shown["label"] == "Adult (under 65)"
    assert shown["decision"] == (
        "Adult (under 65): the probability of “Senior (65 or over)” (40.3 %) stays below the "
        "decision threshold of 50.0 %."
    )
    assert [bar["percent"] for bar in shown["bars"]] == ["59.7 %", "40.3 %"]


def test_numbers_and_reasons_follow_the_language():
    with translation.override("ru"):
        shown = result_view(0, ELDER)

    assert shown["label"] == "Тревога"
    assert shown["bars"][0]["percent"] == "90,0 %"
    assert shown["reasons"][0].startswith("Нет движения 9 ч до 14:00 UTC")
    assert shown["reasons"][1] == "temperature: 31.5, вне обычного диапазона 19.0-26.0."


def test_a_survival_result_becomes_a_curve_and_its_horizons():
    with translation.override("en"):
        shown = result_view(0, SURVIVAL)["survival"]

    assert shown["points"] == "0.0,0.0 320.0,128.0"
    assert shown["at"] == [("1", "90.0 %"), ("2", "80.0 %"), ("5", "50.0 %"), ("10", "20.0 %")]
    assert shown["risk_group"] == "High risk"


def test_the_detail_page_shows_bars_and_keeps_the_json_one_click_away(served, customer):
    browser = Client()
    browser.force_login(customer)

    page = browser.post("/models/tiny/predict/", {"x1": "9", "x2": "9"}, follow=True)

    html = page.content.decode()
    assert re.search(r'<meter min="0" max="1" value="[0-9.]+"', html)
    assert "<summary>The result as JSON (as the API returns it)</summary>" in html
    assert "&quot;probabilities&quot;" in html or '"probabilities"' in html
