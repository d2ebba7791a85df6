"""Faults: each leaves the ledger reconciled and the client told to try again.

Covered elsewhere, not repeated here:
- a duplicate top-up callback: billing/tests/test_pages.py
  (test_a_signed_callback_credits_once_however_often_it_arrives) and, twenty at once on
  PostgreSQL, billing/tests/test_concurrency.py
  (test_a_top_up_callback_delivered_twenty_times_at_once_credits_once).
- a worker killed mid-batch (a real process, SIGKILL): predictions/tests/batch/test_batch_crash.py
  (the job is reclaimed, finishes, and is charged once; PostgreSQL).
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection, transaction
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from billing.models import Account, TopUpState, Transfer
from billing.selectors import ledger_reconcile, wallet_balance
from billing.services.topups import topup_create
from billing.services.wallets import wallet_charge, wallet_grant
from mlbilling.faults import DatabaseUnavailableMiddleware
from predictions.batch.csv_results import ResultWriter
from predictions.batch.services import batch_job_create, batch_upload_check
from predictions.batch.worker import batch_job_run
from predictions.models import BatchJob, Prediction

pytestmark = pytest.mark.django_db


@contextmanager
def database_lost_at(statement: str) -> Iterator[None]:
    """The connection drops when a statement matching the regular expression `statement`
    (at its start, quotes ignored) is sent; the ones before it in the transaction ran."""
    pattern = re.compile(r"\s*" + statement, re.IGNORECASE)

    def lose_connection(execute, sql, params, many, context):
        if pattern.match(sql.replace('"', "")):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(lose_connection):
        yield


def transfer_insert_lost():
    # After the guarded wallet UPDATE, at the INSERT of the transfer.
    return database_lost_at(rf"INSERT\s+INTO\s+{Transfer._meta.db_table}\b")


def test_a_lost_database_during_a_charge_rolls_back_the_debit():
    user = UserFactory()
    wallet_grant(user=user, amount=1_000, reason="funds")

    with pytest.raises(OperationalError), transfer_insert_lost(), transaction.atomic():
        wallet_charge(user=user, amount=300, reference="fault-1", revenue_account="revenue:x")

    assert wallet_balance(user=user).balance == 1_000
    assert not Transfer.objects.filter(reference="fault-1").exists()
    assert ledger_reconcile().clean


def test_a_top_up_paid_while_the_database_is_away_is_a_503_and_can_be_paid_again(client):
    user = UserFactory()
    client.force_login(user)
    topup = topup_create(user=user, amount=2_500)

    with transfer_insert_lost():
        response = client.post(f"/billing/sandbox/checkout/{topup.pk}/", {"decision": "pay"})

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    topup.refresh_from_db()
    assert topup.state == TopUpState.PENDING
    assert wallet_balance(user=user).balance == 0
    assert ledger_reconcile().clean

    again = client.post(f"/billing/sandbox/checkout/{topup.pk}/", {"decision": "pay"})

    assert again.status_code == 302
    assert wallet_balance(user=user).balance == 2_500
    assert ledger_reconcile().clean


def test_an_api_call_that_loses_the_database_answers_503_in_the_api_error_shape(client):
    client.force_login(UserFactory())

    with database_lost_at(rf"SELECT\s+{Account._meta.db_table}\."):
        response = client.get("/api/v1/balance")

    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert response["Retry-After"] == "5"


def test_other_errors_are_left_to_django():
    middleware = DatabaseUnavailableMiddleware(lambda request: None)

    assert middleware.process_exception(None, ValueError("a bug")) is None


def test_a_prediction_whose_charge_loses_the_database_is_a_503_with_nothing_written(served):
    user = UserFactory()
    wallet_grant(user=user, amount=1_000, reason="funds")
    client = APIClient()
    client.force_authenticate(user)

    def predict():
        return client.post(
            "/api/v1/models/tiny/predict",
            {"inputs": [{"x1": 1, "x2": 2}]},
            format="json",
            headers={"Idempotency-Key": "retry-me"},
        )

    with transfer_insert_lost():
        response = predict()

    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert not Prediction.objects.exists()
    assert wallet_balance(user=user).balance == 1_000
    assert ledger_reconcile().clean

    retried = predict()

    assert retried.status_code == 200
    assert wallet_balance(user=user).balance == 1_000 - served.model.price_per_row
    assert ledger_reconcile().clean


def test_a_full_disk_while_writing_a_result_fails_the_job_and_charges_nothing(
    served, enqueued, monkeypatch
):
    user = UserFactory()
    wallet_grant(user=user, amount=1_000, reason="funds")
    upload = SimpleUploadedFile("rows.csv", b"x1,x2\n1,2\n3,4\n")
    check = batch_upload_check(model_slug="tiny", upload=upload)
    job, _created = batch_job_create(
        user=user, check=check, upload=upload, original_name=upload.name, confirm=True
    )
    assert wallet_balance(user=user).held > 0

    def disk_full(self, rows, outcomes):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ResultWriter, "write_chunk", disk_full)
    finished = batch_job_run(job_id=job.pk)

    assert finished.status == BatchJob.Status.FAILED
    assert "No space left on device" in finished.error
    assert not finished.result_file
    assert finished.charged == 0
    wallet = wallet_balance(user=user)
    assert (wallet.balance, wallet.held) == (1_000, 0)
    assert ledger_reconcile().clean
