"""Folding closed days into the daily roll-ups (`analytics/models.py`): the one place
analytics writes, and only its own tables.

A day is folded once it has ended, in the site's time zone, plus `GRACE`: a paid request
or a batch chunk that took its timestamp just before midnight has committed by then. Until
then its rows are read raw, so reports are exact whatever this schedule's delay.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from accounts.models import User
from analytics.models import (
    DailyActivity,
    DailyLatency,
    DailyPredictions,
    DailyTransfers,
    RollupWatermark,
    WalletSpending,
)
from analytics.periods import Period
from analytics.selectors import daily
from analytics.wallet_spending import spending_fold
from billing.models import Transfer
from predictions.models import ModelVersion, Prediction

GRACE = timedelta(minutes=15)
ROLLUPS = (DailyPredictions, DailyLatency, DailyActivity, DailyTransfers, WalletSpending)


def last_closed_day(now: datetime) -> date:
    return timezone.localtime(now - GRACE).date() - timedelta(days=1)


def rollups_fold(*, now: datetime | None = None) -> date | None:
    """Fold every closed day after the watermark and move it; returns the watermark.

    The watermark row (always pk 1) is locked for the whole fold, and created with that
    key, so two schedulers never fold the same day twice.
    """
    last = last_closed_day(now or timezone.now())
    with transaction.atomic():
        mark = RollupWatermark.objects.select_for_update().filter(pk=1).first()
        first = mark.folded_through + timedelta(days=1) if mark else _first_day_with_data()
        if first is not None and first <= last:
            _fold(Period(first, last))
        elif mark is not None:
            return mark.folded_through
        mark = mark or RollupWatermark(pk=1)
        mark.folded_through, mark.folded_at = last, timezone.now()
        mark.save()
    return last


def rollups_rebuild(*, now: datetime | None = None) -> date | None:
    """Forget every roll-up and fold again from the first day with data: after rows were
    written into closed days (a restore, an import, a seeded benchmark)."""
    with transaction.atomic():
        RollupWatermark.objects.select_for_update().delete()
        for rollup in ROLLUPS:
            rollup.objects.all().delete()
        return rollups_fold(now=now)


def _first_day_with_data() -> date | None:
    firsts = [
        Prediction.objects.aggregate(first=Min("created_at"))["first"],
        Transfer.objects.aggregate(first=Min("created_at"))["first"],
        User.objects.aggregate(first=Min("date_joined"))["first"],
    ]
    known = [timezone.localtime(first).date() for first in firsts if first is not None]
    return min(known) if known else None


def _fold(period: Period) -> None:
    model_of = dict(ModelVersion.objects.values_list("pk", "model_id"))
    DailyPredictions.objects.bulk_create(
        DailyPredictions(
            day=day, model_version_id=version, status=status, count=count, rows=rows, cost=cost
        )
        for day, version, status, count, rows, cost in daily.prediction_groups(period)
    )
    latency: dict[tuple[date, int, int], int] = {}
    for day, version, bucket, count in daily.latency_groups(period):
        key = (day, model_of[version], bucket)
        latency[key] = latency.get(key, 0) + count
    DailyLatency.objects.bulk_create(
        DailyLatency(day=day, model_id=model, bucket=bucket, count=count)
        for (day, model, bucket), count in latency.items()
    )
    DailyActivity.objects.bulk_create(
        DailyActivity(day=day, active_users=active, signups=signups)
        for day, (active, signups) in daily.activity_groups(period).items()
    )
    DailyTransfers.objects.bulk_create(
        DailyTransfers(day=day, kind=kind, account_id=account, total=total, signed=signed)
        for day, kind, account, total, signed in daily.transfer_groups(period)
    )
    spending_fold(period)
