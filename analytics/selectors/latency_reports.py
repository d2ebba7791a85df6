"""Service-quality reports: error rate and latency per model, from the daily roll-ups.

Latency percentiles are read from histograms with buckets 2 % wide on a log scale (see
`analytics.selectors.daily`), so they are within 1 % of the exact percentile and a year of
runs takes the same few thousand rows as a day. The rules every report follows are in
`analytics/selectors/__init__.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from analytics.periods import Period
from analytics.selectors import daily
from analytics.tables import Column, Table
from predictions.ml.cases import in_catalogue_order
from predictions.models import MLModel


def histogram_percentile(histogram: dict[int, int], fraction: float) -> float | None:
    """The percentile of the latencies counted in `histogram` (bucket: runs), interpolated
    between closest ranks as PostgreSQL's `percentile_cont` is, each rank read as the
    middle of its bucket."""
    total = sum(histogram.values())
    if not total:
        return None
    position = fraction * (total - 1)
    lower_rank = int(position)
    ranks = (lower_rank, min(lower_rank + 1, total - 1))
    values = []
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        while len(values) < 2 and ranks[len(values)] < seen:
            values.append(daily.bucket_latency_ms(bucket))
    return values[0] + (values[1] - values[0]) * (position - lower_rank)


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
    return {
        model_id: ModelLatency(
            requests=runs.runs,
            failed=runs.failed,
            p50=histogram_percentile(runs.latency, 0.5),
            p95=histogram_percentile(runs.latency, 0.95),
        )
        for model_id, runs in daily.model_runs(period).items()
    }


def latency_report(*, period: Period) -> list[Table]:
    latencies = latency_by_model(period=period)
    idle = ModelLatency(requests=0, failed=0, p50=None, p95=None)
    rows = []
    model_ids = dict(MLModel.objects.values_list("slug", "pk"))
    for slug in in_catalogue_order(model_ids):
        model_id = model_ids[slug]
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
