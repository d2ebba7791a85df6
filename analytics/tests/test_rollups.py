"""The daily roll-ups against the raw tables: after random activity through the services,
across two midnights of the site's time zone (Asia/Tokyo, 15:00 UTC), the first of them
also a month's end, with the schedule folding at random moments, every report reads the
same from the roll-ups as from the raw rows alone; the top spenders too, for every window
of the days around them, whenever the schedule has just folded."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction

from accounts.services import user_create_verified
from analytics import selectors
from analytics.models import DailyPredictions, RollupWatermark, WalletSpending
from analytics.periods import Period
from analytics.rollups import GRACE, rollups_fold
from analytics.tests.fixtures import utc
from billing.errors import RefundNotAllowed
from billing.models import Transfer, TransferKind
from billing.services.refunds import transfer_refund
from billing.services.wallets import wallet_grant
from predictions.serving.services import PredictionRefused, prediction_run

FIRST_MIDNIGHT = utc("2026-03-31 15:00")  # 2026-04-01 00:00 in Tokyo
REPORTS = (
    selectors.predictions_report,
    selectors.users_report,
    selectors.revenue_report,
    selectors.latency_report,
)
WHOLE = Period(date(2026, 3, 31), date(2026, 4, 3))
# Every window of top spenders from the day before the activity to the day after it.
WINDOWS = [
    Period(first, last)
    for first in Period(date(2026, 3, 30), date(2026, 4, 3)).days()
    for last in Period(first, date(2026, 4, 3)).days()
]


def _instants(rng: random.Random, count: int) -> list[datetime]:
    """Sorted instants from 3 h before the first midnight to 3 h after the second, a third
    of them within minutes of a midnight."""
    near = [
        FIRST_MIDNIGHT + timedelta(days=rng.choice((0, 1)), minutes=rng.uniform(-20, 20))
        for _ in range(count // 3)
    ]
    spread = [
        FIRST_MIDNIGHT + timedelta(hours=rng.uniform(-3, 27)) for _ in range(count - len(near))
    ]
    return sorted(near + spread)


def _act(rng: random.Random, people: list) -> None:
    """One thing a user or the service does now: sign up, get credits, get part of a
    charge back, or predict."""
    choice = rng.random()
    charges = Transfer.objects.filter(kind=TransferKind.CHARGE)
    if choice < 0.15 or not people:
        people.append(
            user_create_verified(email=f"u{len(people)}@example.com", password="long-password-1")
        )
    elif choice < 0.3:
        wallet_grant(user=rng.choice(people), amount=rng.choice((7, 70, 700)), reason="test")
    elif choice < 0.4 and charges.exists():
        charge = rng.choice(list(charges))
        with contextlib.suppress(RefundNotAllowed):  # this charge is refunded in full already
            transfer_refund(
                transfer_id=charge.pk,
                amount=rng.randint(1, 7),
                reference=f"r{rng.random()}",
                reason="x",
            )
    else:
        rows = [{"x1": rng.uniform(0, 10), "x2": rng.uniform(0, 10)}] * rng.randint(1, 3)
        with contextlib.suppress(PredictionRefused):  # recorded as refused, as in production
            prediction_run(user=rng.choice(people), slug="tiny", rows=rows)


def _reports() -> list:
    return [report(period=WHOLE) for report in REPORTS]


def _top_spenders() -> list:
    """The whole ranking (not only the first 20) of every window."""
    return [selectors.top_users_report(period=window, limit=1_000) for window in WINDOWS]


def _raw(read: Callable[[], list]) -> list:
    """What `read` returns from the raw tables alone: without the watermark, rolled back."""
    with transaction.atomic():
        RollupWatermark.objects.all().delete()
        result = read()
        transaction.set_rollback(True)
    return result


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reports_read_the_same_from_the_rollups_as_from_the_raw_rows(db, tokyo, served, seed):
    rng = random.Random(seed)
    people: list = []
    with time_machine.travel(FIRST_MIDNIGHT - timedelta(hours=4), tick=False) as clock:
        for instant in _instants(rng, 80):
            clock.move_to(instant)
            _act(rng, people)
            if rng.random() < 0.25:
                rollups_fold()
                assert _top_spenders() == _raw(_top_spenders)
        clock.move_to(FIRST_MIDNIGHT + timedelta(days=2) + GRACE + timedelta(minutes=1))
        assert rollups_fold() == date(2026, 4, 2)
        from_rollups = _reports() + _top_spenders()

    assert DailyPredictions.objects.exists()
    assert WalletSpending.objects.filter(month=date(2026, 4, 1)).exists()
    assert any(table.rows for (table,) in from_rollups[len(REPORTS) :])
    RollupWatermark.objects.all().delete()  # every day is read raw again
    assert _reports() + _top_spenders() == from_rollups


def test_a_day_is_folded_only_once_it_has_ended_and_its_grace_passed(db, tokyo, served):
    user = user_create_verified(email="a@example.com", password="long-password-1")
    wallet_grant(user=user, amount=700, reason="test")
    with time_machine.travel(FIRST_MIDNIGHT - timedelta(minutes=1), tick=False) as clock:
        prediction_run(user=user, slug="tiny", rows=[{"x1": 1.0}])
        clock.move_to(FIRST_MIDNIGHT + GRACE - timedelta(seconds=1))
        # 2026-03-02 00:14:59 in Tokyo: the 1st is over but a late commit may still land.
        assert rollups_fold() == date(2026, 3, 30)
        clock.move_to(FIRST_MIDNIGHT + GRACE)
        assert rollups_fold() == date(2026, 3, 31)

    folded = DailyPredictions.objects.get()
    assert (folded.day, folded.count, folded.cost) == (date(2026, 3, 31), 1, 7)


def test_a_rebuild_folds_rows_written_into_days_already_folded(db, tokyo, served):
    user = user_create_verified(email="a@example.com", password="long-password-1")
    wallet_grant(user=user, amount=700, reason="test")
    with time_machine.travel(FIRST_MIDNIGHT + timedelta(days=2), tick=False) as clock:
        rollups_fold()
        clock.move_to(FIRST_MIDNIGHT - timedelta(hours=1))  # a restore writes the past
        prediction_run(user=user, slug="tiny", rows=[{"x1": 1.0}])
        clock.move_to(FIRST_MIDNIGHT + timedelta(days=2))
        (per_day, _per_model) = selectors.predictions_report(period=WHOLE)
        assert sum(row["total"] for row in per_day.rows) == 0  # folded days are not reread

        call_command("rollups_fold", "--rebuild", stdout=StringIO())

        (per_day, _per_model) = selectors.predictions_report(period=WHOLE)
    assert [row["total"] for row in per_day.rows] == [1, 0, 0, 0]
