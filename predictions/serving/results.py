"""A model's result as a person reads it: the label in words, the probabilities as bars,
the decision and why, an alert's reasons, a survival curve. Pages only: the API, the CSV
and the stored prediction keep the model's own JSON, which the page shows one click away.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from predictions.serving.words import word

# Elder monitoring's reasons are English sentences after a code: each pattern gives the
# numbers back to a sentence of the catalogue.
_REASONS = [
    (
        re.compile(r"no_movement: no motion for (?P<hours>\d+) h up to (?P<hour>\d\d):00 UTC"),
        gettext_noop(
            "No motion for %(hours)s h up to %(hour)s:00 UTC, unusually long for this time of day."
        ),
    ),
    (
        re.compile(
            r"unusual(?:_night)?_activity: (?P<count>\d+) motion activations at (?P<hour>\d\d)"
        ),
        gettext_noop("%(count)s motion activations at %(hour)s:00 UTC, far more than usual."),
    ),
    (
        re.compile(
            r"\w+_out_of_range: (?P<name>\w+) (?P<value>\S+) outside the normal (?P<range>\S+)"
        ),
        gettext_noop("%(name)s is %(value)s, outside its normal range %(range)s."),
    ),
]


def label_text(label: Any) -> str:
    return word(label)


def percent(fraction: float) -> str:
    return f"{number_format(round(fraction * 100, 1), decimal_pos=1)} %"


def reason_text(reason: str) -> str:
    for pattern, sentence in _REASONS:
        match = pattern.match(reason)
        if match:
            return _(sentence) % match.groupdict()
    return reason


def _bars(result: dict[str, Any]) -> list[dict[str, Any]]:
    ranked = sorted((result.get("probabilities") or {}).items(), key=lambda item: -item[1])
    if "top3" in result:
        ranked = ranked[:3]
    return [{"label": label_text(c), "value": p, "percent": percent(p)} for c, p in ranked]


def _decision(result: dict[str, Any]) -> str | None:
    """Why a thresholded label won, in words (NHANES: P(Senior) against the threshold)."""
    threshold, probabilities = result.get("threshold"), result.get("probabilities") or {}
    if threshold is None or len(probabilities) != 2:
        return None
    positive = "Senior" if "Senior" in probabilities else sorted(probabilities)[-1]
    values = {
        "label": label_text(result.get("label")),
        "positive": label_text(positive),
        "p": percent(probabilities[positive]),
        "threshold": percent(threshold),
    }
    if probabilities[positive] >= threshold:
        return (
            _(
                "%(label)s: the probability of “%(positive)s” (%(p)s) reaches the decision "
                "threshold of %(threshold)s."
            )
            % values
        )
    return (
        _(
            "%(label)s: the probability of “%(positive)s” (%(p)s) stays below the decision "
            "threshold of %(threshold)s."
        )
        % values
    )


def _survival(result: dict[str, Any]) -> dict[str, Any] | None:
    curve = result.get("survival_curve")
    if not curve:
        return None
    width, height, last = 320, 160, max(point["years"] for point in curve) or 1
    points = " ".join(
        f"{point['years'] / last * width:.1f},{(1 - point['survival']) * height:.1f}"
        for point in curve
    )
    at = result.get("survival_at") or {}
    return {
        "points": points,
        "width": width,
        "height": height,
        "last_years": number_format(last, decimal_pos=0),
        "at": [(horizon.removesuffix("y"), percent(value)) for horizon, value in at.items()],
        "risk_group": label_text(result.get("risk_group")) if result.get("risk_group") else "",
        "risk_score": result.get("risk_score"),
    }


def result_view(index: int, result: dict[str, Any]) -> dict[str, Any]:
    """What templates/predictions/_result.html shows of one result."""
    return {
        "index": index,
        "label": label_text(result.get("label")) if "label" in result else "",
        "bars": _bars(result),
        "decision": _decision(result),
        "alert": result.get("alert"),
        "reasons": [reason_text(reason) for reason in result.get("reasons") or []],
        "anomaly_score": result.get("anomaly_score"),
        "survival": _survival(result),
        "raw": result,
    }
