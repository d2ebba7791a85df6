"""Service-quality reports: latency per model, in the database where it can.

The rules every report follows are in `analytics/selectors/__init__.py`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    FloatField,
    Q,
)
from django.utils.translation import gettext as _

from analytics.periods import Period
from analytics.tables import Column, Table
from predictions.models import MLModel, Prediction

# SQLite has no percentile aggregate: latency percentiles there are computed in Python
# from at most this many of the newest rows (SQLite is for development, not for volume).
LATENCY_SAMPLE_LIMIT = 50_000


# --- Service quality --------------------------------------------------------------------


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(ARRAY[...]) WITHIN GROUP (ORDER BY expression)`: several
    percentiles from one sort of the group."""

    function = "percentile_cont"
    template = "%(function)s(ARRAY[%(fractions)s]) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = ArrayField(FloatField())

    def __init__(self, expression: Any, *, fractions: Sequence[float], **extra: Any) -> None:
        listed = ", ".join(f"{float(fraction)!r}::float8" for fraction in fractions)
        super().__init__(expression, fractions=listed, **extra)


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks: what `percentile_cont` computes."""
    if not sorted_values:
        return None
    position = fraction * (len(sorted_values) - 1)
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


@dataclass(frozen=True)
class ModelLatency:
    requests: int
    failed: int
    p50: float | None
    p95: float | None

    @property
    def error_rate(self) -> float | None:
        return 100.0 * self.failed / self.requests if self.requests else None


def latency_by_model(*, period: Period) -> dict[int, ModelLatency]:
    """Per model id: predictions that ran the model (succeeded or failed; a refusal for
    credits says nothing of the model), how many failed, latency p50 and p95 in ms."""
    ran = Prediction.objects.filter(
        **period.bounds(), status__in=[Prediction.Status.SUCCEEDED, Prediction.Status.FAILED]
    ).order_by()
    model = "model_version__model_id"
    counts = ran.values(model).annotate(
        requests=Count("pk"), failed=Count("pk", filter=Q(status=Prediction.Status.FAILED))
    )
    if connection.vendor == "postgresql":
        rows = counts.annotate(latency=PercentileCont("latency_ms", fractions=(0.5, 0.95)))
        return {
            row[model]: ModelLatency(
                requests=row["requests"],
                failed=row["failed"],
                p50=row["latency"][0],
                p95=row["latency"][1],
            )
            for row in rows
        }
    samples: dict[int, list[float]] = defaultdict(list)
    for model_id, latency in ran.order_by("-created_at").values_list(model, "latency_ms")[
        :LATENCY_SAMPLE_LIMIT
    ]:
        samples[model_id].append(latency)
    result = {}
    for row in counts:
        values = sorted(samples[row[model]])
        result[row[model]] = ModelLatency(
            requests=row["requests"],
            failed=row["failed"],
            p50=percentile(values, 0.5),
            p95=percentile(values, 0.95),
        )
    return result


def latency_report(*, period: Period) -> list[Table]:
    latencies = latency_by_model(period=period)
    idle = ModelLatency(requests=0, failed=0, p50=None, p95=None)
    rows = []
    for model_id, slug in MLModel.objects.order_by("slug").values_list("pk", "slug"):
        figures = latencies.get(model_id, idle)
        rows.append(
            {
                "model": slug,
                "requests": figures.requests,
                "failed": figures.failed,
                "error_rate": figures.error_rate,
                "p50": figures.p50,
                "p95": figures.p95,
            }
        )
    return [
        Table(
            slug="per-model",
            title=_("Error rate and latency per model"),
            columns=[
                Column("model", _("Model")),
                Column("requests", _("Model runs"), "int"),
                Column("failed", _("Failed"), "int"),
                Column("error_rate", _("Error rate, %"), "percent"),
                Column("p50", _("Latency p50, ms"), "ms"),
                Column("p95", _("Latency p95, ms"), "ms"),
            ],
            rows=rows,
            chart=("model", "p95"),
            note=_("Refusals for credits are left out: the model did not run."),
        )
    ]
