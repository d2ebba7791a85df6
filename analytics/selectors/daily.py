"""Per-day figures of a period, read from the daily roll-ups for the days folded and from
the raw tables for the days after (see `analytics/models.py`): exact either way.

Each `*_groups` function is the one aggregation of the raw tables: `analytics.rollups`
stores what it returns for closed days, and the reports call it for the days not folded
yet, so a roll-up cannot drift from what the raw tables would say.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Case, Count, F, FloatField, Sum, Value, When
from django.db.models.functions import Floor, Greatest, Ln, TruncDate

from accounts.models import User
from analytics.models import (
    DailyActivity,
    DailyLatency,
    DailyPredictions,
    DailyTransfers,
    RollupWatermark,
)
from analytics.periods import Period
from analytics.selectors.common import signed_to_wallet
from billing.models import Transfer
from predictions.models import ModelVersion, Prediction

# Latency buckets 2 % wide on a log scale: a percentile read from them is within 1 % of
# the exact one, and a model's day of runs takes a few hundred rows, not one per run.
BUCKET_GROWTH = 1.02
_LOG_GROWTH = math.log(BUCKET_GROWTH)
# Latencies below this (in ms) share the lowest bucket; the log of zero is undefined.
LATENCY_FLOOR_MS = 0.01
RAN = [Prediction.Status.SUCCEEDED, Prediction.Status.FAILED]


def folded_through() -> date | None:
    return RollupWatermark.objects.values_list("folded_through", flat=True).first()


def split(period: Period) -> tuple[Period | None, Period | None]:
    """The part of `period` the roll-ups hold, and the part to read from the raw tables."""
    mark = folded_through()
    if mark is None or mark < period.first:
        return None, period
    if mark >= period.last:
        return period, None
    return Period(period.first, mark), Period(mark + timedelta(days=1), period.last)


# --- The raw aggregations -----------------------------------------------------------------


def prediction_groups(period: Period) -> Iterable[tuple[date, int, str, int, int, int]]:
    """(day, version id, status, predictions, rows, credits) of the raw predictions."""
    return (
        Prediction.objects.filter(**period.bounds())
        .order_by()
        .annotate(day=TruncDate("created_at"))
        .values_list("day", "model_version_id", "status")
        .annotate(Count("pk"), Sum("rows"), Sum("cost"))
    )


def latency_bucket_of(latency_ms: float) -> int:
    """The bucket the database computes in `latency_groups`, in Python (for tests)."""
    return math.floor(math.log(max(latency_ms, LATENCY_FLOOR_MS)) / _LOG_GROWTH)


def bucket_latency_ms(bucket: int) -> float:
    """The middle of a bucket (geometric): the latency a percentile in it reads as."""
    return math.exp((bucket + 0.5) * _LOG_GROWTH)


def latency_groups(period: Period) -> Iterable[tuple[date, int, int, int]]:
    """(day, version id, latency bucket, model runs) of the raw predictions that ran."""
    bucket = Floor(
        Ln(Greatest(F("latency_ms"), Value(LATENCY_FLOOR_MS), output_field=FloatField()))
        / Value(_LOG_GROWTH)
    )
    return (
        Prediction.objects.filter(**period.bounds(), status__in=RAN)
        .order_by()
        .annotate(day=TruncDate("created_at"), bucket=bucket)
        .values_list("day", "model_version_id", "bucket")
        .annotate(Count("pk"))
    )


def activity_groups(period: Period) -> dict[date, tuple[int, int]]:
    """Per day with any: (distinct users who asked for a prediction, sign-ups)."""
    active = dict(
        Prediction.objects.filter(**period.bounds())
        .order_by()
        .annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(Count("user_id", distinct=True))
    )
    signups = dict(
        User.objects.filter(**period.bounds("date_joined"))
        .order_by()
        .annotate(day=TruncDate("date_joined"))
        .values_list("day")
        .annotate(Count("pk"))
    )
    return {day: (active.get(day, 0), signups.get(day, 0)) for day in active.keys() | signups}


def transfer_groups(period: Period) -> Iterable[tuple[date, str, int, int, int]]:
    """(day, kind, system account, amount, amount as the wallet sees it) of the transfers.
    Every transfer has a wallet on one side and a system account on the other."""
    system_account = Case(
        When(credit_id=F("wallet_id"), then=F("debit_id")), default=F("credit_id")
    )
    return (
        Transfer.objects.filter(**period.bounds())
        .order_by()
        .annotate(day=TruncDate("created_at"), account=system_account)
        .values_list("day", "kind", "account")
        .annotate(total=Sum("amount"), signed=Sum(signed_to_wallet()))
    )


# --- Folded and raw together --------------------------------------------------------------


def predictions(period: Period) -> list[tuple[date, int, str, int, int, int]]:
    folded, raw = split(period)
    rows = []
    if folded:
        rows += DailyPredictions.objects.filter(folded.day_range()).values_list(
            "day", "model_version_id", "status", "count", "rows", "cost"
        )
    if raw:
        rows += prediction_groups(raw)
    return rows


@dataclass
class ModelRuns:
    """A model's runs over a period (succeeded or failed: a refusal did not run it)."""

    runs: int = 0
    failed: int = 0
    latency: dict[int, int] = field(default_factory=dict)  # latency bucket: runs


def model_runs(period: Period) -> dict[int, ModelRuns]:
    """Per model id: its runs, failures and latency histogram over the period."""
    folded, raw = split(period)
    model_of = dict(ModelVersion.objects.values_list("pk", "model_id"))
    counts: list[tuple[int, str, int]] = []
    buckets: list[tuple[int, int, int]] = []
    if folded:
        counts += (
            DailyPredictions.objects.filter(folded.day_range(), status__in=RAN)
            .order_by()
            .values_list("model_version_id", "status")
            .annotate(Sum("count"))
        )
        buckets += (
            DailyLatency.objects.filter(folded.day_range())
            .order_by()
            .values_list("model_id", "bucket")
            .annotate(Sum("count"))
        )
    if raw:
        counts += [
            (version, status, count)
            for _day, version, status, count, _rows, _cost in prediction_groups(raw)
            if status in RAN
        ]
        buckets += [
            (model_of[version], bucket, count)
            for _day, version, bucket, count in latency_groups(raw)
        ]
    runs: dict[int, ModelRuns] = defaultdict(ModelRuns)
    for version, status, count in counts:
        model = runs[model_of[version]]
        model.runs += count
        model.failed += count if status == Prediction.Status.FAILED else 0
    for model_id, bucket, count in buckets:
        histogram = runs[model_id].latency
        histogram[bucket] = histogram.get(bucket, 0) + count
    return dict(runs)


def activity(period: Period) -> dict[date, tuple[int, int]]:
    """Per day with any: (active users, sign-ups)."""
    folded, raw = split(period)
    days: dict[date, tuple[int, int]] = {}
    if folded:
        days.update(
            (day, (active, signups))
            for day, active, signups in DailyActivity.objects.filter(
                folded.day_range()
            ).values_list("day", "active_users", "signups")
        )
    if raw:
        days.update(activity_groups(raw))
    return days


def transfers(period: Period) -> list[tuple[date, str, int, int, int]]:
    folded, raw = split(period)
    rows = []
    if folded:
        rows += DailyTransfers.objects.filter(folded.day_range()).values_list(
            "day", "kind", "account_id", "total", "signed"
        )
    if raw:
        rows += transfer_groups(raw)
    return rows
