"""Business metrics for Prometheus, next to django-prometheus's request metrics.

Two sources, each where it is cheap and correct:

- Events (a prediction recorded: its model, outcome, cost, latency; a batch job finished;
  a top-up settled) are counted in-process by the service that commits them: it sends a
  signal of its own once the transaction commits (`predictions.signals`,
  `billing.signals`; analytics may not be imported by them), so a rolled-back event is
  never counted. With several gunicorn workers each process writes its samples to files
  in PROMETHEUS_MULTIPROC_DIR and a scrape merges them (`registries_for_scrape`); a
  qcluster on the same host given the same directory adds its batch jobs.
- State that lives in the database (batch jobs queued and their rows, the task queue) is
  read at scrape time by `DatabaseCollector`: one short query each, the same answer in
  every process, and nothing to lose when a worker restarts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import Count, Sum
from django_q.models import OrmQ
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from billing.models import TopUp, TopUpState
from predictions.models import BatchJob, ModelVersion, Prediction

PREDICTIONS = Counter(
    "mlbilling_predictions",
    "Prediction requests recorded, by model and outcome.",
    ["model", "status"],
)
PREDICTION_ROWS = Counter(
    "mlbilling_prediction_rows",
    "Rows in recorded prediction requests, by model and outcome.",
    ["model", "status"],
)
CREDITS_CHARGED = Counter(
    "mlbilling_credits_charged_hundredths",
    "Credits charged for predictions, in hundredths of a credit, by model.",
    ["model"],
)
BATCH_JOBS_FINISHED = Counter(
    "mlbilling_batch_jobs_finished",
    "Batch jobs that reached a final state, by model and status.",
    ["model", "status"],
)
TOPUPS_SETTLED = Counter(
    "mlbilling_topups",
    "Top-ups that reached a final state, by provider and state.",
    ["provider", "state"],
)
TOPUP_CREDITS = Counter(
    "mlbilling_topup_credits_hundredths",
    "Credits bought through succeeded top-ups, in hundredths of a credit, by provider.",
    ["provider"],
)
PREDICTION_LATENCY = Histogram(
    "mlbilling_prediction_latency_seconds",
    "Time to validate, predict and record one prediction request, by model.",
    ["model"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)

# A version's model never changes: remember slugs so that counting a prediction costs no
# query on the paid path.
_slugs: dict[int, str] = {}


def observe_prediction(*, model: str, status: str, rows: int, cost: int, latency_ms: float) -> None:
    """Count one recorded prediction request (cost in hundredths of a credit)."""
    PREDICTIONS.labels(model=model, status=status).inc()
    PREDICTION_ROWS.labels(model=model, status=status).inc(rows)
    if cost:
        CREDITS_CHARGED.labels(model=model).inc(cost)
    PREDICTION_LATENCY.labels(model=model).observe(latency_ms / 1000)


def _model_slug(prediction: Prediction) -> str:
    version_id = prediction.model_version_id
    if version_id not in _slugs:
        if Prediction.model_version.is_cached(prediction) and ModelVersion.model.is_cached(
            prediction.model_version
        ):
            _slugs[version_id] = prediction.model_version.model.slug
        else:
            _slugs[version_id] = ModelVersion.objects.values_list("model__slug", flat=True).get(
                pk=version_id
            )
    return _slugs[version_id]


def prediction_recorded(*, prediction: Prediction, **_: Any) -> None:
    """Receiver of `predictions.signals.prediction_recorded` (sent after commit)."""
    observe_prediction(
        model=_model_slug(prediction),
        status=prediction.status,
        rows=prediction.rows,
        cost=prediction.cost,
        latency_ms=prediction.latency_ms,
    )


def batch_job_finished(*, job: BatchJob, **_: Any) -> None:
    """Receiver of `predictions.signals.batch_job_finished` (sent after commit)."""
    BATCH_JOBS_FINISHED.labels(model=job.model.slug, status=job.status).inc()


def topup_settled(*, topup: TopUp, **_: Any) -> None:
    """Receiver of `billing.signals.topup_settled` (sent after commit)."""
    TOPUPS_SETTLED.labels(provider=topup.provider, state=topup.state).inc()
    if topup.state == TopUpState.SUCCEEDED:
        TOPUP_CREDITS.labels(provider=topup.provider).inc(topup.amount)


class DatabaseCollector(Collector):
    """Metrics read from the database at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        jobs = GaugeMetricFamily(
            "mlbilling_batch_jobs",
            "Batch jobs waiting for or held by a worker, by status.",
            labels=["status"],
        )
        active = dict(
            BatchJob.objects.filter(status__in=[BatchJob.Status.QUEUED, BatchJob.Status.RUNNING])
            .order_by()
            .values_list("status")
            .annotate(Count("pk"))
        )
        for status in (BatchJob.Status.QUEUED, BatchJob.Status.RUNNING):
            jobs.add_metric([status.value], active.get(status.value, 0))
        yield jobs

        rows = CounterMetricFamily(
            "mlbilling_batch_rows",
            "Rows predicted by finished batch jobs, by model and outcome.",
            labels=["model", "outcome"],
        )
        finished = (
            BatchJob.objects.filter(status__in=BatchJob.FINISHED)
            .order_by()
            .values_list("model__slug")
            .annotate(done=Sum("rows_done"), failed=Sum("rows_failed"))
        )
        for slug, done, failed in finished:
            rows.add_metric([slug, "succeeded"], done - failed)
            rows.add_metric([slug, "failed"], failed)
        yield rows

        queue = GaugeMetricFamily(
            "mlbilling_task_queue_length",
            "Tasks waiting in the django-q2 queue (ORM broker only; -1 with another broker).",
        )
        queue.add_metric([], _task_queue_length())
        yield queue

        charged = CounterMetricFamily(
            "mlbilling_batch_credits_charged_hundredths",
            "Credits captured by finished batch jobs, in hundredths of a credit, by model.",
            labels=["model"],
        )
        for slug, amount in (
            BatchJob.objects.filter(status__in=BatchJob.FINISHED, charged__gt=0)
            .order_by()
            .values_list("model__slug")
            .annotate(Sum("charged"))
        ):
            charged.add_metric([slug], amount)
        yield charged


def _task_queue_length() -> int:
    if "orm" not in settings.Q_CLUSTER:
        return -1
    return OrmQ.objects.count()


_database_registry = CollectorRegistry(auto_describe=False)
_database_registry.register(DatabaseCollector())


def registries_for_scrape() -> list[CollectorRegistry]:
    """What one scrape exposes: this process's metrics, or with PROMETHEUS_MULTIPROC_DIR
    the merged files of every worker; then the database metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)
        return [merged, _database_registry]
    return [REGISTRY, _database_registry]
