"""Each operator report against figures worked out by hand from the rows below."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from analytics import selectors
from analytics.periods import Period
from analytics.selectors.daily import latency_bucket_of
from analytics.tests.fixtures import utc
from billing.models import Account, Hold, Transfer, TransferKind
from billing.services.holds import hold_create, holds_expire
from billing.services.refunds import transfer_refund
from billing.services.topups import topup_complete, topup_create
from billing.services.wallets import wallet_charge, wallet_grant
from predictions.models import BatchJob, Prediction
from predictions.tests.factories import BatchJobFactory, PredictionFactory

pytestmark = pytest.mark.django_db

MARCH = Period(date(2026, 3, 1), date(2026, 3, 4))
SUCCEEDED, FAILED, REFUSED = (
    Prediction.Status.SUCCEEDED,
    Prediction.Status.FAILED,
    Prediction.Status.REFUSED,
)


def _by(table, key: str) -> dict:
    return {row[key]: row for row in table.rows}


def _at(transfer: Transfer, when: str) -> Transfer:
    """Moves a transfer to a past instant (services stamp them with now)."""
    Transfer.objects.filter(pk=transfer.pk).update(created_at=utc(when))
    return transfer


def test_predictions_are_counted_per_day_of_the_site_time_zone_with_empty_days(tokyo, alpha, beta):
    PredictionFactory(model_version=alpha, created_at=utc("2026-02-28 14:59"))  # Feb 28 23:59
    PredictionFactory(model_version=alpha, created_at=utc("2026-02-28 15:00"))  # Mar 1 00:00
    PredictionFactory(model_version=alpha, status=FAILED, created_at=utc("2026-03-01 14:30"))
    PredictionFactory(model_version=beta, status=REFUSED, created_at=utc("2026-03-01 15:30"))
    PredictionFactory(model_version=alpha, created_at=utc("2026-03-03 16:00"))  # Mar 4 01:00
    PredictionFactory(model_version=beta, created_at=utc("2026-03-04 15:00"))  # Mar 5 00:00

    per_day, per_model = selectors.predictions_report(period=MARCH)

    assert [
        (row["day"], row["succeeded"], row["failed"], row["refused"], row["total"])
        for row in per_day.rows
    ] == [
        (date(2026, 3, 1), 1, 1, 0, 2),
        (date(2026, 3, 2), 0, 0, 1, 1),
        (date(2026, 3, 3), 0, 0, 0, 0),
        (date(2026, 3, 4), 1, 0, 0, 1),
    ]
    models = _by(per_model, "model")
    assert (models["alpha"]["succeeded"], models["alpha"]["failed"]) == (2, 1)
    assert (models["beta"]["refused"], models["beta"]["total"]) == (1, 1)


def test_the_same_predictions_fall_on_other_days_in_utc(alpha):
    PredictionFactory(model_version=alpha, created_at=utc("2026-02-28 15:00"))

    per_day, _per_model = selectors.predictions_report(period=MARCH)

    assert sum(row["total"] for row in per_day.rows) == 0


def test_revenue_per_model_is_net_of_refunds_and_money_in_is_per_day(alpha, beta):
    user = UserFactory()
    _at(wallet_grant(user=user, amount=10_000, reason="welcome"), "2026-03-01 10:00")
    topup = topup_create(user=user, amount=2_500)
    topup_complete(
        topup_id=topup.pk,
        provider="sandbox",
        provider_reference=topup.provider_reference,
        amount=2_500,
    )
    _at(Transfer.objects.get(kind="topup"), "2026-03-02 10:00")
    charge = wallet_charge(user=user, amount=300, reference="p1", revenue_account="revenue:alpha")
    _at(charge, "2026-03-02 11:00")
    _at(
        wallet_charge(user=user, amount=200, reference="p2", revenue_account="revenue:beta"),
        "2026-03-03 09:00",
    )
    _at(
        transfer_refund(transfer_id=charge.pk, amount=100, reference="r1", reason="sorry"),
        "2026-03-03 10:00",
    )
    _at(wallet_grant(user=user, amount=-500, reason="mistake"), "2026-03-03 11:00")
    # Outside the period: counted nowhere.
    _at(
        wallet_charge(user=user, amount=700, reference="p3", revenue_account="revenue:alpha"),
        "2026-03-05 00:00",
    )

    per_model, per_day = selectors.revenue_report(period=MARCH)

    models = _by(per_model, "model")
    assert (models["alpha"]["charged"], models["alpha"]["refunded"]) == (300, 100)
    assert models["alpha"]["revenue"] == 200
    assert models["beta"]["revenue"] == 200
    assert [
        (row["revenue"], row["topups"], row["grants"], row["adjustments"]) for row in per_day.rows
    ] == [(0, 0, 10_000, 0), (300, 2_500, 0, 0), (100, 0, 0, -500), (0, 0, 0, 0)]


def test_active_users_are_distinct_per_day_and_sign_ups_are_per_local_day(tokyo, alpha):
    one, two = UserFactory(), UserFactory()
    UserFactory(date_joined=utc("2026-03-01 16:00"))  # Mar 2 in Tokyo
    UserFactory(date_joined=utc("2026-02-28 14:00"))  # Feb 28 in Tokyo
    for user in (one, one, two):
        PredictionFactory(user=user, model_version=alpha, created_at=utc("2026-03-01 01:00"))
    PredictionFactory(user=one, model_version=alpha, created_at=utc("2026-03-02 23:00"))  # Mar 3

    (table,) = selectors.users_report(period=MARCH)

    assert [(row["active"], row["signups"]) for row in table.rows] == [
        (2, 0),
        (0, 1),
        (1, 0),
        (0, 0),
    ]


def test_latency_percentiles_and_error_rate_leave_refusals_out(alpha, beta):
    when = utc("2026-03-02 12:00")
    for latency in (10.0, 20.0, 30.0):
        PredictionFactory(model_version=alpha, latency_ms=latency, created_at=when)
    PredictionFactory(model_version=alpha, status=FAILED, latency_ms=40.0, created_at=when)
    PredictionFactory(model_version=alpha, status=REFUSED, latency_ms=1000.0, created_at=when)

    (table,) = selectors.latency_report(period=MARCH)

    alpha_row, beta_row = _by(table, "model")["alpha"], _by(table, "model")["beta"]
    assert (alpha_row["requests"], alpha_row["failed"]) == (4, 1)
    assert alpha_row["error_rate"] == pytest.approx(25.0)
    # As percentile_cont, within the 1 % of the latency buckets: p50 halfway between 20
    # and 30; p95 at rank 0.95 * 3 = 2.85.
    assert alpha_row["p50"] == pytest.approx(25.0, rel=0.01)
    assert alpha_row["p95"] == pytest.approx(38.5, rel=0.01)
    assert (beta_row["requests"], beta_row["p50"], beta_row["error_rate"]) == (0, None, None)


def _job(user, version, *, status, rows_total, done, failed, seconds, charged):
    hold = hold_create(
        user=user,
        amount=rows_total * 10,
        reference=f"batch-test:{BatchJob.objects.count()}",
        expires_at=timezone.now() + timedelta(days=1),
    )
    started = timezone.now() - timedelta(minutes=5)
    return BatchJobFactory(
        user=user,
        model_version=version,
        status=status,
        hold=hold,
        rows_total=rows_total,
        rows_done=done,
        rows_failed=failed,
        charged=charged,
        started_at=started if seconds is not None else None,
        finished_at=started + timedelta(seconds=seconds) if seconds is not None else None,
    )


def test_batch_jobs_are_counted_by_status_with_rows_per_second(alpha):
    user = UserFactory()
    wallet_grant(user=user, amount=100_000, reason="funds")
    done = BatchJob.Status.DONE
    _job(user, alpha, status=done, rows_total=100, done=100, failed=10, seconds=10, charged=900)
    _job(user, alpha, status=done, rows_total=50, done=50, failed=0, seconds=40, charged=500)
    _job(user, alpha, status="failed", rows_total=100, done=20, failed=20, seconds=5, charged=0)
    _job(user, alpha, status="queued", rows_total=10, done=0, failed=0, seconds=None, charged=0)

    (table,) = selectors.batches_report(period=Period(timezone.localdate(), timezone.localdate()))

    rows = _by(table, "status")
    assert (rows["done"]["jobs"], rows["done"]["rows_done"], rows["done"]["rows_failed"]) == (
        2,
        150,
        10,
    )
    assert rows["done"]["charged"] == 1_400
    assert rows["done"]["rows_per_second"] == pytest.approx(3.0)  # 150 rows in 50 s
    assert rows["failed"]["rows_per_second"] == pytest.approx(4.0)
    assert (rows["queued"]["jobs"], rows["queued"]["rows_per_second"]) == (1, None)
    assert (rows["running"]["jobs"], rows["draft"]["jobs"]) == (0, 0)


def test_top_users_are_ranked_by_spending_net_of_refunds(alpha):
    thrifty, spender, earlier = UserFactory(), UserFactory(), UserFactory()
    for user in (thrifty, spender, earlier):
        wallet_grant(user=user, amount=5_000, reason="funds")
    first = wallet_charge(user=thrifty, amount=300, reference="a", revenue_account="revenue:alpha")
    _at(first, "2026-03-01 10:00")
    _at(
        wallet_charge(user=thrifty, amount=200, reference="b", revenue_account="revenue:alpha"),
        "2026-03-02 10:00",
    )
    _at(
        transfer_refund(transfer_id=first.pk, amount=100, reference="r", reason="x"),
        "2026-03-02 11:00",
    )
    _at(
        wallet_charge(user=spender, amount=500, reference="c", revenue_account="revenue:alpha"),
        "2026-03-03 10:00",
    )
    _at(
        wallet_charge(user=earlier, amount=900, reference="d", revenue_account="revenue:alpha"),
        "2026-02-27 10:00",
    )
    PredictionFactory.create_batch(
        2, user=thrifty, model_version=alpha, created_at=utc("2026-03-01 10:00")
    )

    (table,) = selectors.top_users_report(period=MARCH)

    assert [(row["email"], row["spent"], row["predictions"]) for row in table.rows] == [
        (spender.email, 500, 0),
        (thrifty.email, 400, 2),
    ]


def test_ledger_health_shows_holds_outstanding_overdue_and_expired():
    user = UserFactory()
    wallet_grant(user=user, amount=1_000, reason="funds")
    past = timezone.now() - timedelta(minutes=1)
    hold_create(user=user, amount=100, reference="h-expired", expires_at=past)
    holds_expire()
    hold_create(user=user, amount=200, reference="h-overdue", expires_at=past)
    hold_create(
        user=user, amount=300, reference="h-live", expires_at=timezone.now() + timedelta(hours=1)
    )
    today = timezone.localdate()

    holds, reconciliation, differences = selectors.ledger_report(
        period=Period(today, today), reconcile=True
    )

    assert _by(reconciliation, "figure")["Books balance"]["value"] == "yes"
    assert differences.rows == []
    assert [(row["count"], row["amount"]) for row in holds.rows] == [(2, 500), (1, 200), (1, 100)]
    assert Hold.objects.count() == 3


def test_ledger_health_shows_a_wallet_whose_cache_disagrees_with_its_transfers():
    user = UserFactory()
    wallet_grant(user=user, amount=1_000, reason="funds")
    Account.objects.filter(user=user).update(balance=1_100)
    today = timezone.localdate()

    _holds, reconciliation, differences = selectors.ledger_report(
        period=Period(today, today), reconcile=True
    )

    assert _by(reconciliation, "figure")["Books balance"]["value"] == "NO"
    assert [(row["field"], row["cached"], row["computed"]) for row in differences.rows] == [
        ("balance", 1_100, 1_000)
    ]


def _histogram(latencies: list[float]) -> dict[int, int]:
    return Counter(latency_bucket_of(latency) for latency in latencies)


def test_percentile_interpolates_between_ranks_like_percentile_cont_within_one_percent():
    percentile = selectors.histogram_percentile
    assert percentile(_histogram([1.0, 2.0, 3.0, 4.0, 5.0]), 0.5) == pytest.approx(3.0, rel=0.01)
    assert percentile(_histogram([10.0, 20.0]), 0.95) == pytest.approx(19.5, rel=0.01)
    assert percentile(_histogram([7.0]), 0.95) == pytest.approx(7.0, rel=0.01)
    assert percentile(_histogram([0.0, 0.001, 250_000.0]), 1.0) == pytest.approx(250_000, rel=0.01)
    assert percentile({}, 0.5) is None


def test_the_reconciliation_runs_only_when_asked_for():
    today = timezone.localdate()

    tables = selectors.ledger_report(period=Period(today, today))

    assert [table.slug for table in tables] == ["holds"]


def test_the_revenue_report_handles_every_kind_of_transfer_there_is():
    # The report reads every transfer of the period unfiltered: a new kind must be placed.
    assert set(TransferKind.values) == {
        "charge",
        "hold_capture",
        "refund",
        "topup",
        "grant",
        "adjustment",
    }
