"""A worker process killed in the middle of a job: the job is reclaimed, finishes and is
charged exactly once. Real processes and real commits, so PostgreSQL only."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from billing.models import Transfer, TransferKind
from billing.selectors import wallet_balance
from mlbilling.tests.processes import env_on_the_test_database
from predictions.batch.services import batch_job_create, batch_upload_check
from predictions.batch.tasks import batch_job_run_task
from predictions.batch.worker import batch_jobs_reclaim
from predictions.models import BatchJob

ROWS = 200
PRICE = 7


def start_worker(job_id: int, media_root: Path) -> subprocess.Popen:
    env = env_on_the_test_database(
        MEDIA_ROOT=str(media_root),
        SECRET_KEY="tests-only-secret-key-not-for-production",
        DEBUG="false",
        # Ten rows a chunk, a pause after each, progress after each: slow enough to be
        # caught in the middle.
        BATCH_CHUNK_ROWS="10",
        BATCH_CHUNK_DELAY_SECONDS="0.05",
        BATCH_PROGRESS_SECONDS="0",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "predictions.tests.batch.batch_worker", str(job_id)],
        cwd=django_settings.BASE_DIR,
        env=env,
    )


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_is_killed_is_reclaimed_finishes_and_is_charged_once(
    funded_user, served, enqueued, settings
):
    content = ("x1,x2\n" + "".join(f"{i % 10},{i % 7}\n" for i in range(ROWS))).encode()
    upload = SimpleUploadedFile("big.csv", content)
    check = batch_upload_check(model_slug="tiny", upload=upload)
    job, _ = batch_job_create(
        user=funded_user, check=check, upload=upload, original_name="big.csv", confirm=True
    )
    assert enqueued == [("predictions.batch.tasks.batch_job_run_task", job.pk)]

    worker = start_worker(job.pk, settings.MEDIA_ROOT)
    try:
        wait_for(lambda: BatchJob.objects.get(pk=job.pk).rows_done >= 50)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL

    died = BatchJob.objects.get(pk=job.pk)
    assert died.status == BatchJob.Status.RUNNING
    assert 50 <= died.rows_done < ROWS
    assert died.charged == 0
    assert wallet_balance(user=funded_user).held == ROWS * PRICE

    # The reclaim schedule runs once the heartbeat is stale; the task is delivered again.
    later = timezone.now() + timedelta(seconds=settings.BATCH_STALE_SECONDS + 1)
    assert batch_jobs_reclaim(now=later) == 1
    batch_job_run_task(enqueued[-1][1])
    batch_job_run_task(job.pk)  # and a duplicate delivery changes nothing

    done = BatchJob.objects.get(pk=job.pk)
    assert (done.status, done.attempt) == (BatchJob.Status.DONE, 2)
    assert (done.rows_done, done.rows_failed, done.charged) == (ROWS, 0, ROWS * PRICE)
    captures = Transfer.objects.filter(kind=TransferKind.HOLD_CAPTURE, reference=job.reference)
    assert list(captures.values_list("amount", flat=True)) == [ROWS * PRICE]
    assert wallet_balance(user=funded_user).balance == 10_000 - ROWS * PRICE
    assert wallet_balance(user=funded_user).held == 0
    with done.result_file.open("rb") as result:
        assert result.read().decode().count("\n") == ROWS + 1
    # The dead attempt's partial result file was removed, not left beside the new one.
    assert len(list((Path(settings.MEDIA_ROOT) / "batches").glob("*.csv"))) == 2
