"""POST /api/v1/models/{slug}/predict through HTTP: charged on success only."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from billing.models import Transfer
from billing.selectors import wallet_balance
from billing.services.wallets import wallet_grant
from billing.system_accounts import revenue_account
from predictions.models import Prediction

pytestmark = pytest.mark.django_db

URL = "/api/v1/models/tiny/predict"


def post(client: APIClient, body: object, **headers: str):
    return client.post(URL, json.dumps(body), content_type="application/json", headers=headers)


def test_it_predicts_and_charges_the_price_of_each_row(served, token_client, customer):
    response = post(token_client, {"inputs": [{"x1": 9, "x2": 9}, {"x1": 0.5, "x2": None}]})

    assert response.status_code == 200
    body = response.json()
    assert body["model"] == "tiny"
    assert body["version"] == served.version
    assert [r["label"] for r in body["results"]] == ["high", "low"]
    assert set(body["results"][0]["probabilities"]) == {"high", "low"}
    assert body["cost"] == "0.14"
    assert body["balance"] == "0.86"
    assert wallet_balance(user=customer).balance == 86
    prediction = Prediction.objects.get(pk=body["id"])
    assert prediction.status == Prediction.Status.SUCCEEDED
    assert (prediction.rows, prediction.cost, prediction.user) == (2, 14, customer)
    assert prediction.outputs == body["results"]
    charge = Transfer.objects.get(reference=f"prediction:{prediction.id}")
    assert (charge.amount, charge.credit.code) == (14, revenue_account("tiny"))


@pytest.mark.parametrize(
    ("body", "where", "field"),
    [
        ({"inputs": [{"x1": 1, "x2": 2, "x3": 3}]}, "0", "non_field_errors"),  # unknown field
        ({"inputs": [{"x2": 2}]}, "0", "x1"),  # missing field
        ({"inputs": [{"x1": "seven"}]}, "0", "x1"),  # wrong type
        ({"inputs": [{"x1": True}]}, "0", "x1"),  # a boolean is not a number
        ({"inputs": [{"x1": 11}]}, "0", "x1"),  # out of range
        ({"inputs": [{"x1": 1}, {"x1": None}]}, "1", "x1"),  # null, in the second row
        ({"inputs": [{"x1": 1}, [1, 2]]}, "1", "non_field_errors"),  # a row that is no object
    ],
)
def test_invalid_rows_are_named_and_cost_nothing(
    served, token_client, customer, body, where, field
):
    response = post(token_client, body)

    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "invalid_input"
    assert field in error["errors"]["inputs"][where]
    assert f"row {where}" in error["detail"]
    assert wallet_balance(user=customer).balance == 100
    assert not Prediction.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"inputs": []},
        {"rows": [{"x1": 1}]},
        {"inputs": {"x1": 1}},
        [{"x1": 1}],
    ],
)
def test_a_malformed_request_is_refused_without_charge(served, token_client, customer, body):
    response = post(token_client, body)

    assert response.status_code == 400
    assert response.json()["errors"]
    assert wallet_balance(user=customer).balance == 100


def test_nan_and_broken_json_are_refused(served, token_client, customer):
    nan = token_client.post(URL, '{"inputs": [{"x1": NaN}]}', content_type="application/json")
    broken = token_client.post(URL, '{"inputs": [', content_type="application/json")

    assert (nan.status_code, broken.status_code) == (400, 400)
    assert broken.json()["code"] == "parse_error"
    assert wallet_balance(user=customer).balance == 100


def test_more_rows_than_allowed_are_refused(served, token_client, customer, settings):
    settings.PREDICT_MAX_ROWS = 3

    response = post(token_client, {"inputs": [{"x1": 1}] * 4})

    assert response.status_code == 400
    assert "At most 3 rows" in response.json()["errors"]["inputs"][0]
    assert wallet_balance(user=customer).balance == 100


def test_without_enough_credits_it_answers_402_and_leaves_the_balance(
    served, token_client, customer
):
    response = post(token_client, {"inputs": [{"x1": 1}] * 15})  # 1.05 > 1.00

    assert response.status_code == 402
    body = response.json()
    assert (body["needed"], body["balance"], body["available"]) == ("1.05", "1.00", "1.00")
    assert wallet_balance(user=customer).balance == 100
    refused = Prediction.objects.get(pk=body["prediction"])
    assert (refused.status, refused.cost, refused.outputs) == ("refused", 0, None)


def test_a_model_exception_is_recorded_and_not_charged(
    served, broken_model, token_client, customer
):
    response = post(token_client, {"inputs": [{"x1": 1}]})

    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "model_failed"
    assert "nothing was charged" in body["detail"]
    failed = Prediction.objects.get(pk=body["prediction"])
    assert (failed.status, failed.cost) == ("failed", 0)
    assert "expecting 2" in failed.error
    assert wallet_balance(user=customer).balance == 100


def test_a_retry_with_the_same_key_returns_the_first_answer_and_charges_once(
    served, token_client, customer
):
    body = {"inputs": [{"x1": 9, "x2": 9}]}
    first = post(token_client, body, **{"Idempotency-Key": "order-17"})
    wallet_grant(user=customer, amount=50, reason="top up between the two")

    second = post(token_client, body, **{"Idempotency-Key": "order-17"})

    assert second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert wallet_balance(user=customer).balance == 100 - 7 + 50
    assert Prediction.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(served, token_client, customer):
    post(token_client, {"inputs": [{"x1": 1}]}, **{"Idempotency-Key": "k1"})

    response = post(token_client, {"inputs": [{"x1": 2}]}, **{"Idempotency-Key": "k1"})

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert wallet_balance(user=customer).balance == 93


def test_keys_are_per_user(served, token_client, customer, django_user_model):
    post(token_client, {"inputs": [{"x1": 1}]}, **{"Idempotency-Key": "shared"})
    other = APIClient()
    other_user = customer.__class__.objects.create_user(email="o@example.com", password="x")
    wallet_grant(user=other_user, amount=100, reason="test")
    other.force_authenticate(other_user)

    response = post(other, {"inputs": [{"x1": 2}]}, **{"Idempotency-Key": "shared"})

    assert response.status_code == 200
    assert wallet_balance(user=other_user).balance == 93


def test_a_failed_prediction_does_not_spend_its_key(served, token_client, customer, monkeypatch):
    from predictions.ml.cases import CASES

    body = {"inputs": [{"x1": 9}]}
    real_predict = CASES["tiny"].predict
    monkeypatch.setattr(CASES["tiny"], "predict", lambda model, rows: 1 / 0)
    assert post(token_client, body, **{"Idempotency-Key": "again"}).status_code == 503
    monkeypatch.setattr(CASES["tiny"], "predict", real_predict)

    retry = post(token_client, body, **{"Idempotency-Key": "again"})

    assert retry.status_code == 200
    assert wallet_balance(user=customer).balance == 93


def test_an_overlong_idempotency_key_is_refused(served, token_client):
    response = post(token_client, {"inputs": [{"x1": 1}]}, **{"Idempotency-Key": "k" * 256})

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]


def test_an_unknown_model_is_404_and_anonymous_callers_401(served, token_client):
    missing = token_client.post(
        "/api/v1/models/nope/predict", {"inputs": [{"x1": 1}]}, format="json"
    )
    anonymous = post(APIClient(), {"inputs": [{"x1": 1}]})

    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"


def test_a_model_without_production_version_is_503(register_tiny, token_client):
    register_tiny(roc_auc=0.9)  # a candidate only

    response = post(token_client, {"inputs": [{"x1": 1}]})

    assert (response.status_code, response.json()["code"]) == (503, "model_unavailable")


def test_predictions_are_throttled_with_retry_after(served, token_client, monkeypatch, customer):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "predict", "2/min")

    answers = [post(token_client, {"inputs": [{"x1": 1}]}) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[2].headers["Retry-After"]) > 0
    assert answers[2].json()["code"] == "throttled"
    assert wallet_balance(user=customer).balance == 86


def test_the_user_rate_counts_predictions_with_every_other_call(served, token_client, monkeypatch):
    # As DRF's own throttles do: a prediction the predict scope refuses still counts
    # towards the user's rate, which every view shares.
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "predict", "1/min")
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "3/min")

    answers = [post(token_client, {"inputs": [{"x1": 1}]}) for _ in range(2)]
    answers += [token_client.get("/api/v1/balance") for _ in range(2)]

    assert [a.status_code for a in answers] == [200, 429, 200, 429]
    assert 0 < int(answers[1].headers["Retry-After"]) <= 60
