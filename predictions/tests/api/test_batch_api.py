"""Batch jobs through the API: upload, worker, result, billing, cancel, ownership."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from billing.selectors import wallet_balance
from predictions.batch.tasks import batch_job_run_task
from predictions.batch.worker import batch_job_run, batch_jobs_reclaim
from predictions.models import BatchJob
from predictions.tests.api.batch_uploads import PRICE, captures, good_rows, result_rows, upload


@pytest.mark.django_db
def test_a_job_runs_end_to_end_through_django_q_and_charges_the_rows(
    client, funded_user, served, monkeypatch, django_capture_on_commit_callbacks
):
    from django_q.conf import Conf

    # django-q2's sync mode runs the enqueued task in this process, through its real
    # enqueue path (task name, pickling, result record).
    monkeypatch.setattr(Conf, "SYNC", True)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, good_rows(12))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["rows_total"] == 12
    assert body["max_cost"] == "0.84"
    job = BatchJob.objects.get(pk=body["id"])
    assert job.status == BatchJob.Status.DONE
    assert (job.rows_done, job.rows_failed, job.charged) == (12, 0, 12 * PRICE)
    detail = client.get(f"/api/v1/batches/{job.pk}").json()
    assert (detail["status"], detail["charged"], detail["rows_succeeded"]) == ("done", "0.84", 12)
    rows = result_rows(client, job.pk)
    assert rows[0] == ["x1", "x2", "prediction", "probability", "error"]
    assert len(rows) == 13
    assert all(row[2] in {"high", "low"} and row[4] == "" for row in rows[1:])
    assert wallet_balance(user=funded_user).balance == 10_000 - 12 * PRICE
    assert wallet_balance(user=funded_user).held == 0
    assert captures(job) == [12 * PRICE]


@pytest.mark.django_db
def test_creating_a_job_holds_its_maximum_cost_and_enqueues_it_after_commit(
    client, funded_user, served, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(client, good_rows(10))

    job = BatchJob.objects.get(pk=response.json()["id"])
    assert job.status == BatchJob.Status.QUEUED
    assert wallet_balance(user=funded_user).held == 10 * PRICE
    assert enqueued == []  # nothing is sent before the transaction commits
    for callback in callbacks:
        callback()
    assert enqueued == [("predictions.batch.tasks.batch_job_run_task", job.pk)]


@pytest.mark.django_db
def test_only_the_rows_that_succeed_are_charged(client, funded_user, served, enqueued):
    text = "x1,x2\n1,2\n11,2\nabc,1\n,3\n4\n5,\n"
    job_id = upload(client, text).json()["id"]

    job = batch_job_run(job_id=job_id)

    assert job is not None
    assert (job.rows_total, job.rows_done, job.rows_failed) == (6, 6, 4)
    assert job.charged == 2 * PRICE
    assert wallet_balance(user=funded_user).balance == 10_000 - 2 * PRICE
    assert wallet_balance(user=funded_user).held == 0
    errors = [row[4] for row in result_rows(client, job_id)[1:]]
    assert errors == [
        "",
        "x1: Must be at most 10.",
        "x1: A number is required.",
        "x1: This field is required.",
        "Expected 2 cells, found 1.",
        "",
    ]


@pytest.mark.django_db
def test_a_row_the_model_cannot_predict_is_reported_and_not_charged(
    client, funded_user, served, tiny_case, enqueued, monkeypatch
):
    real_predict = type(tiny_case).predict

    def fragile_predict(self, model, rows):
        if any(row["x1"] == 3 for row in rows):
            raise ValueError("model exploded")
        return real_predict(self, model, rows)

    monkeypatch.setattr(type(tiny_case), "predict", fragile_predict)
    job_id = upload(client, "x1,x2\n1,1\n3,3\n5,5\n").json()["id"]

    job = batch_job_run(job_id=job_id)

    assert (job.rows_done, job.rows_failed, job.charged) == (3, 1, 2 * PRICE)
    rows = result_rows(client, job_id)
    assert [row[4] for row in rows[1:]] == ["", "The model could not predict this row.", ""]


@pytest.mark.django_db
def test_result_cells_that_a_spreadsheet_would_run_are_escaped(
    client, served, tiny_case, enqueued, monkeypatch
):
    monkeypatch.setattr(
        type(tiny_case),
        "result_to_columns",
        lambda self, result: {"prediction": "=cmd|' /C calc'!A0"},
    )
    job_id = upload(client, "x1,x2\n1,2\n@SUM(A1),-3\n").json()["id"]

    batch_job_run(job_id=job_id)

    rows = result_rows(client, job_id)
    assert rows[1][2] == "'=cmd|' /C calc'!A0"
    assert rows[2][:2] == ["'@SUM(A1)", "-3"]


@pytest.mark.django_db
def test_a_duplicated_task_charges_once(client, funded_user, served, enqueued):
    job_id = upload(client, good_rows(5)).json()["id"]

    batch_job_run_task(job_id)
    batch_job_run_task(job_id)

    job = BatchJob.objects.get(pk=job_id)
    assert (job.status, job.attempt, job.charged) == (BatchJob.Status.DONE, 1, 5 * PRICE)
    assert captures(job) == [5 * PRICE]
    assert wallet_balance(user=funded_user).balance == 10_000 - 5 * PRICE


@pytest.mark.django_db
def test_a_task_for_a_job_running_elsewhere_leaves_it_alone(client, served, enqueued):
    from django.utils import timezone

    job_id = upload(client, good_rows(5)).json()["id"]
    BatchJob.objects.filter(pk=job_id).update(
        status=BatchJob.Status.RUNNING, attempt=1, heartbeat_at=timezone.now()
    )

    assert batch_job_run(job_id=job_id) is None
    job = BatchJob.objects.get(pk=job_id)
    assert (job.status, job.attempt, job.charged) == (BatchJob.Status.RUNNING, 1, 0)


@pytest.mark.django_db
def test_a_worker_given_up_for_dead_stops_without_charging(
    client, funded_user, served, enqueued, settings, monkeypatch
):
    from predictions.batch import worker

    settings.BATCH_CHUNK_ROWS = 2
    settings.BATCH_PROGRESS_SECONDS = 0
    job_id = upload(client, good_rows(6)).json()["id"]
    real_process = worker._process_chunk

    def process_while_replaced(chunk, **kwargs):
        # Meanwhile the job was reclaimed and claimed by another worker (attempt 2).
        BatchJob.objects.filter(pk=job_id).update(attempt=2)
        return real_process(chunk, **kwargs)

    monkeypatch.setattr(worker, "_process_chunk", process_while_replaced)

    assert batch_job_run(job_id=job_id) is None
    job = BatchJob.objects.get(pk=job_id)
    assert (job.status, job.rows_done, job.charged) == (BatchJob.Status.RUNNING, 0, 0)
    assert wallet_balance(user=funded_user).held == 6 * PRICE


@pytest.mark.django_db
def test_cancelling_a_queued_job_releases_its_hold(client, funded_user, served, enqueued):
    job_id = upload(client, good_rows(4)).json()["id"]

    response = client.post(f"/api/v1/batches/{job_id}/cancel")

    assert response.json()["status"] == "cancelled"
    assert batch_job_run(job_id=job_id) is None
    assert wallet_balance(user=funded_user) == wallet_balance(user=funded_user).__class__(
        balance=10_000, held=0, available=10_000
    )


@pytest.mark.django_db
def test_cancelling_a_running_job_stops_it_and_charges_the_rows_done(
    client, funded_user, served, enqueued, settings, monkeypatch
):
    from predictions.batch import worker

    settings.BATCH_CHUNK_ROWS = 4
    job_id = upload(client, good_rows(20)).json()["id"]
    real_process = worker._process_chunk
    chunks_done = []

    def process_then_cancel(chunk, **kwargs):
        failed = real_process(chunk, **kwargs)
        chunks_done.append(len(chunk))
        if len(chunks_done) == 2:  # the user presses Cancel while the second chunk runs
            client.post(f"/api/v1/batches/{job_id}/cancel")
        return failed

    monkeypatch.setattr(worker, "_process_chunk", process_then_cancel)

    job = batch_job_run(job_id=job_id)

    assert job.status == BatchJob.Status.CANCELLED
    assert (job.rows_done, job.charged) == (8, 8 * PRICE)
    assert wallet_balance(user=funded_user).balance == 10_000 - 8 * PRICE
    assert wallet_balance(user=funded_user).held == 0
    assert len(result_rows(client, job_id)) == 1 + 8


@pytest.mark.django_db
def test_a_stalled_job_is_requeued_and_restarts_from_scratch_charging_once(
    client, funded_user, served, enqueued, settings, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    job_id = upload(client, good_rows(6)).json()["id"]
    # A worker claimed it, wrote half a result, then died: its heartbeat went stale.
    BatchJob.objects.filter(pk=job_id).update(
        status=BatchJob.Status.RUNNING,
        attempt=1,
        rows_done=3,
        heartbeat_at=timezone.now() - timedelta(seconds=settings.BATCH_STALE_SECONDS + 5),
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert batch_jobs_reclaim() == 1
        assert batch_jobs_reclaim() == 0  # already back in the queue
    batch_job_run_task(enqueued[-1][1])

    job = BatchJob.objects.get(pk=job_id)
    assert (job.status, job.attempt, job.rows_done, job.charged) == ("done", 2, 6, 6 * PRICE)
    assert captures(job) == [6 * PRICE]


@pytest.mark.django_db
def test_another_users_job_and_result_are_not_found(client, served, enqueued):
    job_id = upload(client, good_rows(2)).json()["id"]
    batch_job_run(job_id=job_id)
    stranger = APIClient()
    stranger.force_authenticate(UserFactory())

    assert stranger.get(f"/api/v1/batches/{job_id}").status_code == 404
    assert stranger.get(f"/api/v1/batches/{job_id}/result").status_code == 404
    assert stranger.post(f"/api/v1/batches/{job_id}/cancel").status_code == 404
    assert stranger.get("/api/v1/batches").json()["results"] == []
    assert [j["id"] for j in client.get("/api/v1/batches").json()["results"]] == [job_id]


@pytest.mark.django_db
def test_a_job_whose_model_artifact_was_tampered_with_fails_and_pays_nothing(
    client, funded_user, served, enqueued
):
    job_id = upload(client, good_rows(3)).json()["id"]
    with open(served.artifact.path, "ab") as artifact:
        artifact.write(b"tampered")

    job = batch_job_run(job_id=job_id)

    assert job.status == BatchJob.Status.FAILED
    assert "does not match its recorded sha256" in job.error
    assert job.charged == 0
    assert wallet_balance(user=funded_user).balance == 10_000
    assert wallet_balance(user=funded_user).held == 0
    assert client.get(f"/api/v1/batches/{job_id}/result").status_code == 404
