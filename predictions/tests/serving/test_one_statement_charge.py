"""The paid path's charge on PostgreSQL outside a transaction, as production runs it: the
debit, its transfer and the record in one statement (billing.ledger.charge_with_row),
through the API with a real token. Each test checks the ledger still reconciles."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.services import api_token_create
from billing.models import Account, Transfer
from billing.selectors import ledger_reconcile, wallet_balance
from billing.services.wallets import wallet_grant, wallet_set_low_balance_threshold
from billing.system_accounts import revenue_account
from predictions.models import Prediction

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WRITES = re.compile(r"^\s*(WITH|INSERT|UPDATE|DELETE|BEGIN|COMMIT|SAVEPOINT)", re.IGNORECASE)


def _client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user, name='t')[1]}")
    return client


def _predict(client: APIClient, key: str = "k-1"):
    return client.post(
        "/api/v1/models/tiny/predict",
        {"inputs": [{"x1": 1, "x2": 2}]},
        format="json",
        headers={"Idempotency-Key": key},
    )


def test_a_paid_prediction_writes_with_one_statement_and_no_transaction(served, customer):
    client = _client_of(customer)
    _predict(client, "warm")  # the revenue account's first use, the token read

    with CaptureQueriesContext(connection) as queries:
        response = _predict(client)

    assert response.status_code == 200
    writes = [q["sql"] for q in queries.captured_queries if WRITES.match(q["sql"])]
    assert len(writes) == 1
    assert writes[0].lstrip().startswith("WITH")
    prediction = Prediction.objects.get(pk=response.json()["id"])
    transfer = Transfer.objects.get(reference=f"prediction:{prediction.id}")
    price = served.model.price_per_row
    assert (prediction.cost, transfer.amount) == (price, price)
    assert prediction.balance_after == transfer.balance_after == 100 - 2 * price
    assert transfer.credit.code == revenue_account("tiny")
    assert response.json()["balance"] == "0.86"
    assert ledger_reconcile().clean


def test_a_paid_prediction_with_a_key_sends_the_context_read_and_the_charge_only(served, customer):
    # Every round trip to the database costs about as much as the model (bench/api.py):
    # a key adds none, no lock to take and release around the call.
    client = _client_of(customer)
    _predict(client, "warm")

    with CaptureQueriesContext(connection) as queries:
        response = _predict(client, "k-2")

    assert response.status_code == 200
    statements = [q["sql"].lstrip() for q in queries.captured_queries]
    assert len(statements) == 2, statements
    assert statements[0].startswith("SELECT v.id")
    assert statements[1].startswith("WITH")


def test_the_first_charge_to_a_new_revenue_account_creates_it(served, customer):
    assert not Account.objects.filter(code=revenue_account("tiny")).exists()

    response = _predict(_client_of(customer))

    assert response.status_code == 200
    assert Account.objects.filter(code=revenue_account("tiny")).exists()
    assert Transfer.objects.filter(kind="charge").count() == 1
    assert Prediction.objects.filter(status="succeeded").count() == 1
    assert ledger_reconcile().clean


def test_a_lost_database_at_the_one_statement_writes_nothing_and_can_be_retried(served, customer):
    client = _client_of(customer)
    _predict(client, "warm")

    def lose_connection(execute, sql, params, many, context):
        if sql.lstrip().startswith("WITH"):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(lose_connection):
        response = _predict(client)

    assert response.status_code == 503
    assert not Prediction.objects.filter(idempotency_key="k-1").exists()
    assert wallet_balance(user=customer).balance == 100 - served.model.price_per_row
    assert _predict(client).status_code == 200
    assert ledger_reconcile().clean


def test_the_charge_that_crosses_the_low_balance_threshold_sends_one_email(served, monkeypatch):
    from django_q.conf import Conf

    from accounts.tests.factories import UserFactory

    # The email is queued after commit; django-q2's sync mode runs the task on enqueue.
    monkeypatch.setattr(Conf, "SYNC", True)
    user = UserFactory()
    wallet_grant(user=user, amount=20, reason="funds")
    wallet_set_low_balance_threshold(user=user, threshold=10)
    client = _client_of(user)

    answers = [_predict(client, f"k-{n}").status_code for n in range(3)]

    assert answers == [200, 200, 402]
    assert wallet_balance(user=user).balance == 6
    assert len(mail.outbox) == 1
    assert ledger_reconcile().clean
