"""Statement lines are stored as kinds with parameters and put into words in the reader's
language: the statement page, its CSV and the API, after real predictions, a batch job,
a top-up, a grant and a refund."""

from __future__ import annotations

import csv
import importlib
import io
import json

import pytest
from django.apps import apps
from django.urls import reverse
from rest_framework.test import APIClient

from billing.models import LineKind, Transfer, TransferKind
from billing.services.refunds import transfer_refund
from billing.services.wallets import wallet_charge, wallet_grant
from predictions.batch.tasks import batch_job_run_task
from predictions.models import BatchJob
from predictions.tests.api.batch_uploads import PRICE, good_rows, upload

pytestmark = pytest.mark.django_db

RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}


def _predict(api: APIClient, rows: int) -> None:
    body = {"inputs": [{"x1": 1, "x2": 2}] * rows}
    response = api.post(
        "/api/v1/models/tiny/predict", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content


def _statement(client, **headers) -> str:
    response = client.get(reverse("billing:statement"), **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_predictions_are_lines_with_russian_plural_forms(client, api, funded_user, served):
    for rows in (1, 2, 5, 21):
        _predict(api, rows)
    client.force_login(funded_user)

    english = _statement(client)
    russian = _statement(client, **RU)

    assert "Prediction by tiny v1: 1 row<" in english
    assert "Prediction by tiny v1: 2 rows<" in english
    assert "row(s)" not in english
    for words in ("1 строка", "2 строки", "5 строк", "21 строка"):
        assert f"Прогноз модели tiny v1: {words}<" in russian
    charge = Transfer.objects.filter(kind=TransferKind.CHARGE).order_by("id").first()
    assert (charge.line_kind, charge.line_params) == (
        LineKind.PREDICTION,
        {"model": "tiny", "version": 1, "rows": 1},
    )
    assert charge.description == ""


def test_a_batch_line_counts_the_rows_charged_not_the_rows_of_the_file(
    client, api, funded_user, served, enqueued
):
    rows = good_rows(4).splitlines()
    rows[2] = "99,3"  # out of range: this row fails and is not charged
    job_id = upload(api, "\n".join(rows) + "\n").json()["id"]
    batch_job_run_task(job_id)
    job = BatchJob.objects.get(pk=job_id)
    assert (job.rows_total, job.rows_failed, job.charged) == (4, 1, 3 * PRICE)
    client.force_login(funded_user)

    assert f"Batch job {job_id}: 3 rows of tiny charged" in _statement(client)
    assert f"Пакетное задание {job_id}: списано 3 строки модели tiny" in _statement(client, **RU)


def test_a_sandbox_top_up_grant_and_refund_read_in_russian(client, user):
    wallet_grant(user=user, amount=500, reason="welcome")
    client.force_login(user)
    checkout = client.post(reverse("billing:topup"), {"amount": "25.00"})["Location"]
    client.post(checkout, {"decision": "pay"})
    topup = Transfer.objects.get(kind=TransferKind.TOPUP)
    charge = wallet_charge(user=user, amount=300, reference="c:1", revenue_account="revenue:x")
    transfer_refund(transfer_id=charge.pk, amount=100, reference="r:1", reason="sorry")

    russian = _statement(client, **RU)

    assert (topup.line_kind, topup.line_params) == (LineKind.TOPUP, {"provider": "sandbox"})
    assert "Пополнение через sandbox" in russian
    assert "Начислено оператором: welcome" in russian
    assert f"Возврат по операции {charge.pk}: sorry" in russian


def test_the_csv_and_the_api_give_the_line_in_the_readers_language(client, api, funded_user):
    wallet_grant(user=funded_user, amount=100, reason="bonus")
    client.force_login(funded_user)

    response = client.get(reverse("billing:statement_csv"), **RU)
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    listed = api.get("/api/v1/transactions", HTTP_ACCEPT_LANGUAGE="ru").json()

    assert [(row["description"], row["note"]) for row in rows[:1]] == [
        ("Начислено оператором", "bonus")
    ]
    first = listed["results"][0]
    assert first["line"] == {"kind": "grant", "params": {}}
    assert first["description"] == "Начислено оператором: bonus"


def test_the_migration_turns_the_old_english_descriptions_into_lines(
    api, funded_user, served, enqueued
):
    job_id = upload(api, good_rows(3)).json()["id"]
    batch_job_run_task(job_id)
    _predict(api, 2)
    old_texts = {
        TransferKind.HOLD_CAPTURE: f"Batch {job_id}: 5 rows of tiny",
        TransferKind.CHARGE: "tiny v1, 2 row(s)",
        TransferKind.GRANT: "test funds",
    }
    for kind, text in old_texts.items():
        Transfer.objects.filter(kind=kind).update(line_kind="", line_params={}, description=text)
    migration = importlib.import_module("billing.migrations.0004_transfer_statement_line")

    migration.lines_from_descriptions(apps, None)

    lines = {t.kind: (t.line_kind, t.line_params, t.description) for t in Transfer.objects.all()}
    assert lines == {
        TransferKind.HOLD_CAPTURE: ("batch", {"job": job_id, "model": "tiny", "rows": 3}, ""),
        TransferKind.CHARGE: ("prediction", {"model": "tiny", "version": 1, "rows": 2}, ""),
        TransferKind.GRANT: ("grant", {}, "test funds"),
    }
