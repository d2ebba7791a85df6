"""One bad cell fails its row, never the job; what is not about one row fails the job at
once with its hold released; a job cancelled before it ran offers no result."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services import api_token_create
from billing.selectors import wallet_balance
from predictions.batch import csv_results
from predictions.batch.tasks import batch_job_run_task
from predictions.models import BatchJob
from predictions.tests.api.batch_uploads import PRICE, captures, good_rows, result_rows, upload
from predictions.tests.batch.test_batch_crash import start_worker

HUGE = "1" + "0" * 400  # 401 digits: past any float


def sixteen_rows_one_huge() -> str:
    rows = good_rows(16).splitlines()
    rows[8] = f"{HUGE},3"  # the eighth data row
    return "\n".join(rows) + "\n"


@pytest.fixture
def api(funded_user) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {api_token_create(user=funded_user, name='t')[1]}"
    )
    return client


@pytest.mark.django_db
def test_a_cell_past_any_float_fails_its_row_only(api, funded_user, served, enqueued):
    job_id = upload(api, sixteen_rows_one_huge()).json()["id"]

    batch_job_run_task(job_id)  # the django-q2 task, as a qcluster worker calls it

    job = BatchJob.objects.get(pk=job_id)
    assert (job.status, job.attempt) == (BatchJob.Status.DONE, 1)
    assert (job.rows_done, job.rows_failed, job.charged) == (16, 1, 15 * PRICE)
    assert captures(job) == [15 * PRICE]
    assert wallet_balance(user=funded_user).held == 0
    rows = result_rows(api, job_id)
    assert [row[0] for row in rows[1:]].index(HUGE) == 7
    assert [row[-1] for row in rows[1:]] == [""] * 7 + ["x1: Must be at most 10."] + [""] * 8


@pytest.mark.django_db
def test_an_unexpected_error_fails_the_job_at_once_and_releases_its_hold(
    api, funded_user, served, enqueued, monkeypatch
):
    job_id = upload(api, good_rows(12)).json()["id"]

    def broken_writer(self, rows, outcomes):
        raise RuntimeError("a bug that would fail every retry alike")

    monkeypatch.setattr(csv_results.ResultWriter, "write_chunk", broken_writer)
    batch_job_run_task(job_id)

    job = BatchJob.objects.get(pk=job_id)
    assert (job.status, job.attempt, job.charged) == (BatchJob.Status.FAILED, 1, 0)
    assert job.error == "The job stopped on an unexpected error."
    assert captures(job) == []
    assert wallet_balance(user=funded_user).held == 0
    assert wallet_balance(user=funded_user).balance == 10_000
    detail = api.get(f"/api/v1/batches/{job_id}").json()
    assert (detail["status"], detail["result_url"]) == ("failed", None)


@pytest.mark.django_db
def test_a_job_cancelled_while_queued_offers_no_result(
    api, funded_user, served, enqueued, logged_in_client
):
    job_id = upload(api, good_rows(5)).json()["id"]

    cancelled = api.post(f"/api/v1/batches/{job_id}/cancel").json()

    assert (cancelled["status"], cancelled["result_url"]) == ("cancelled", None)
    assert api.get(f"/api/v1/batches/{job_id}").json()["result_url"] is None
    assert api.get(f"/api/v1/batches/{job_id}/result").status_code == 404
    status = logged_in_client.get(f"/batches/{job_id}/status/").json()
    assert (status["status"], status["result_ready"]) == ("cancelled", False)
    assert wallet_balance(user=funded_user).held == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_racing_over_a_job_with_one_bad_cell_fail_one_row_and_charge_once(
    api, funded_user, served, enqueued, settings
):
    """Three worker processes get the same task (a duplicated delivery): one claims the
    job, the others find nothing to claim; the bad cell fails its row only."""
    text = "x1,x2\n" + "".join(f"{i % 10},{i % 7}\n" for i in range(60))
    text = text.replace("\n5,5\n", f"\n{HUGE},5\n", 1)
    job_id = upload(api, text).json()["id"]

    workers = [start_worker(job_id, settings.MEDIA_ROOT) for _ in range(3)]
    for worker in workers:
        assert worker.wait(timeout=120) == 0

    job = BatchJob.objects.get(pk=job_id)
    assert (job.status, job.attempt) == (BatchJob.Status.DONE, 1)
    assert (job.rows_done, job.rows_failed, job.charged) == (60, 1, 59 * PRICE)
    assert captures(job) == [59 * PRICE]
    assert wallet_balance(user=funded_user).balance == 10_000 - 59 * PRICE
    assert wallet_balance(user=funded_user).held == 0
    errors = [row[-1] for row in result_rows(api, job_id)[1:]]
    assert errors.count("x1: Must be at most 10.") == 1
    assert errors.count("") == 59
