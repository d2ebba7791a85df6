"""prediction_run's races, decided in the one short transaction after the model ran."""

from __future__ import annotations

import pytest

from billing.models import Transfer
from billing.selectors import wallet_balance
from billing.services.wallets import wallet_grant
from predictions.ml.cases import CASES
from predictions.models import Prediction
from predictions.serving.services import (
    IdempotencyConflict,
    PredictionRefused,
    prediction_run,
    request_fingerprint,
)

pytestmark = pytest.mark.django_db


def run_during_the_model(monkeypatch, action):
    """Let `action` happen while the model computes, i.e. after the credit pre-check."""
    case = CASES["tiny"]
    real_predict = case.predict

    def predict(model, rows):
        action()
        return real_predict(model, rows)

    monkeypatch.setattr(case, "predict", predict)


def test_credits_spent_while_the_model_ran_refuse_the_result(served, customer, monkeypatch):
    run_during_the_model(
        monkeypatch, lambda: wallet_grant(user=customer, amount=-95, reason="spent elsewhere")
    )

    with pytest.raises(PredictionRefused) as refused:
        prediction_run(user=customer, slug="tiny", rows=[{"x1": 9}])

    record = refused.value.prediction
    record.refresh_from_db()
    assert (record.status, record.cost, record.outputs) == ("refused", 0, None)
    assert (refused.value.needed, refused.value.available) == (7, 5)
    assert wallet_balance(user=customer).balance == 5
    assert not Transfer.objects.filter(reference=f"prediction:{record.id}").exists()


def test_a_duplicate_that_committed_first_wins_and_ours_is_not_charged(
    served, customer, monkeypatch
):
    rows = [{"x1": 9}]

    def the_other_request_commits() -> None:
        Prediction.objects.create(
            user=customer,
            model_version=served,
            status="succeeded",
            rows=1,
            inputs=rows,
            outputs=[{"label": "high", "probabilities": {"high": 1.0, "low": 0.0}}],
            cost=7,
            balance_after=93,
            idempotency_key="dup",
            request_hash=request_fingerprint(slug="tiny", rows=rows),
        )

    run_during_the_model(monkeypatch, the_other_request_commits)

    outcome = prediction_run(user=customer, slug="tiny", rows=rows, idempotency_key="dup")

    assert outcome.replayed
    assert outcome.prediction.balance_after == 93
    assert Prediction.objects.count() == 1
    assert wallet_balance(user=customer).balance == 100  # our charge rolled back
    assert not Transfer.objects.filter(kind="charge").exists()


def test_a_different_body_racing_on_the_same_key_is_a_conflict(served, customer, monkeypatch):
    def the_other_request_commits() -> None:
        Prediction.objects.create(
            user=customer,
            model_version=served,
            status="succeeded",
            rows=1,
            inputs=[{"x1": 1}],
            idempotency_key="dup",
            request_hash="another body",
        )

    run_during_the_model(monkeypatch, the_other_request_commits)

    with pytest.raises(IdempotencyConflict):
        prediction_run(user=customer, slug="tiny", rows=[{"x1": 9}], idempotency_key="dup")
    assert wallet_balance(user=customer).balance == 100


def test_the_fingerprint_ignores_key_order_but_not_values():
    assert request_fingerprint(slug="a", rows=[{"x": 1, "y": 2}]) == request_fingerprint(
        slug="a", rows=[{"y": 2, "x": 1}]
    )
    assert request_fingerprint(slug="a", rows=[{"x": 1}]) != request_fingerprint(
        slug="a", rows=[{"x": 2}]
    )
    assert request_fingerprint(slug="a", rows=[{"x": 1}]) != request_fingerprint(
        slug="b", rows=[{"x": 1}]
    )


def test_a_free_model_records_without_charging(served, customer):
    served.model.price_per_row = 0
    served.model.save()

    outcome = prediction_run(user=customer, slug="tiny", rows=[{"x1": 9}])

    assert (outcome.prediction.cost, outcome.prediction.balance_after) == (0, 100)
    assert not Transfer.objects.filter(kind="charge").exists()
