"""Concurrent requests through HTTP on PostgreSQL: real row locks and a real unique index.

Each thread has its own client and database connection and waits at a barrier, and the
model sleeps a little, so every request passes the (lock-free) credit pre-check before
any of them charges: the guarded debit and the unique constraint must decide alone.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from accounts.services import api_token_create
from billing.models import Transfer
from billing.selectors import wallet_balance
from billing.services.wallets import wallet_grant
from predictions.ml.cases import CASES
from predictions.models import Prediction

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def slow_model(monkeypatch, tiny_case):
    real_predict = tiny_case.predict

    def predict(model, rows):
        time.sleep(0.05)
        return real_predict(model, rows)

    monkeypatch.setattr(CASES["tiny"], "predict", predict)


@pytest.fixture(autouse=True)
def _no_throttling(monkeypatch):
    for scope in ("user", "predict"):
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, "100000/min")


def in_parallel(count: int, call: Callable[[APIClient], object]) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index: int, client: APIClient) -> None:
        try:
            barrier.wait()
            results[index] = call(client)
        except Exception as exc:  # reported by the assertions below
            results[index] = exc
        finally:
            connection.close()

    clients = [APIClient() for _ in range(count)]
    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def authorised(user) -> Callable[[APIClient, dict, dict], object]:
    key = api_token_create(user=user, name="load")[1]

    def post(client: APIClient, body: dict, headers: dict):
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client.post(
            "/api/v1/models/tiny/predict",
            json.dumps(body),
            content_type="application/json",
            headers=headers,
        )

    return post


def test_twenty_concurrent_duplicates_are_charged_once(served, slow_model, customer):
    post = authorised(customer)
    body = {"inputs": [{"x1": 9, "x2": 9}]}

    answers = in_parallel(20, lambda c: post(c, body, {"Idempotency-Key": "same"}))

    assert [getattr(a, "status_code", a) for a in answers] == [200] * 20
    assert len({a.json()["id"] for a in answers}) == 1
    assert wallet_balance(user=customer).balance == 93
    assert Transfer.objects.filter(kind="charge").count() == 1
    assert Prediction.objects.filter(status="succeeded").count() == 1


def test_thirty_concurrent_requests_on_a_wallet_for_ten_give_exactly_ten(
    served, slow_model, django_user_model
):
    from accounts.tests.factories import UserFactory

    user = UserFactory()
    wallet_grant(user=user, amount=70, reason="ten predictions")
    post = authorised(user)

    answers = in_parallel(30, lambda c: post(c, {"inputs": [{"x1": 1}]}, {}))

    codes = sorted(getattr(a, "status_code", a) for a in answers)
    assert codes == [200] * 10 + [402] * 20
    assert wallet_balance(user=user).balance == 0
    assert Prediction.objects.filter(status="succeeded").count() == 10
    assert Prediction.objects.filter(status="refused", cost=0).count() == 20
    assert Transfer.objects.filter(kind="charge").count() == 10
