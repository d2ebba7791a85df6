"""The batch worker: claim a job, run it chunk by chunk, capture what succeeded.

A task is only a job id. A worker claims the job with a conditional update (one row
changed = this worker owns it) and bumps `attempt`; every later write is guarded by
that attempt and the running status, so a worker given up for dead cannot overwrite the
one that replaced it. A job whose worker died (stale heartbeat) is put back in the queue
by `batch_jobs_reclaim` and restarts from its first row into a fresh result file:
nothing is charged before the end, so a restart costs only time. The capture is keyed
by the job's hold, so a retried, duplicated or resumed task never charges twice.
"""

from __future__ import annotations

import gc
import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Hold
from billing.services.holds import hold_capture, hold_release
from billing.statement_lines import batch_line
from billing.system_accounts import revenue_account
from mlbilling.events import send_after_commit
from predictions.batch.chunks import chunk_outcomes
from predictions.batch.csv_results import Outcomes, ResultWriter
from predictions.batch.csv_rows import RowConverter
from predictions.batch.csv_stream import Chunk, read_chunks
from predictions.batch.csv_upload import BatchFileError
from predictions.ml.cases import UnknownCase, get_case
from predictions.ml.cases.base import Case
from predictions.models import BatchJob
from predictions.registry.artifacts import load_model
from predictions.registry.errors import ArtifactTampered
from predictions.signals import batch_job_finished

logger = logging.getLogger(__name__)

RUN_TASK = "predictions.batch.tasks.batch_job_run_task"


def batch_job_enqueue(job_id: int) -> None:
    """Send the job's run task to the django-q2 broker."""
    # Looked up at call time: tests stand in for the broker by replacing async_task.
    from django_q.tasks import async_task

    async_task(RUN_TASK, job_id, group="batch", task_name=f"batch-{job_id}-{uuid.uuid4().hex[:8]}")


def batch_jobs_reclaim(*, now: datetime | None = None) -> int:
    """Put back in the queue the jobs whose worker died, and re-send queued jobs whose
    task was lost (enqueued long ago, never claimed). Returns how many were enqueued.
    Run by a django-q2 schedule; enqueueing a job twice is harmless (one claim wins)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.BATCH_STALE_SECONDS)
    requeue = now - timedelta(seconds=settings.BATCH_REQUEUE_SECONDS)
    candidates = BatchJob.objects.filter(
        Q(status=BatchJob.Status.RUNNING, heartbeat_at__lt=stale)
        | Q(status=BatchJob.Status.QUEUED, heartbeat_at__lt=requeue)
    ).values_list("id", "status", "attempt")
    enqueued = 0
    for job_id, status, attempt in candidates:
        # Conditional: the job may have moved (or its worker woken up) since the read.
        expected = Q(status=status, attempt=attempt) & (
            Q(heartbeat_at__lt=stale)
            if status == BatchJob.Status.RUNNING
            else Q(heartbeat_at__lt=requeue)
        )
        moved = BatchJob.objects.filter(expected, pk=job_id).update(
            status=BatchJob.Status.QUEUED, heartbeat_at=now
        )
        if moved:
            logger.warning("Batch %s re-enqueued (was %s, attempt %s).", job_id, status, attempt)
            transaction.on_commit(lambda job_id=job_id: batch_job_enqueue(job_id))
            enqueued += 1
    return enqueued


class _LostClaim(Exception):
    """Another attempt owns the job now (this worker was given up for dead)."""


def _claim(job_id: int) -> int | None:
    """Take a queued job (or a running one whose worker died); returns the new attempt."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.BATCH_STALE_SECONDS)
    claimable = Q(status=BatchJob.Status.QUEUED) | Q(
        status=BatchJob.Status.RUNNING, heartbeat_at__lt=stale
    )
    # One row changed = this worker won; a fresh heartbeat keeps everyone else out.
    claimed = BatchJob.objects.filter(claimable, pk=job_id).update(
        status=BatchJob.Status.RUNNING,
        attempt=F("attempt") + 1,
        heartbeat_at=now,
        rows_done=0,
        rows_failed=0,
        started_at=Coalesce("started_at", Value(now)),
    )
    if not claimed:
        return None
    return BatchJob.objects.values_list("attempt", flat=True).get(pk=job_id)


def _owned(job_id: int, attempt: int) -> Any:
    return BatchJob.objects.filter(pk=job_id, attempt=attempt, status=BatchJob.Status.RUNNING)


class _Progress:
    """Counts rows and writes them to the job at most every BATCH_PROGRESS_SECONDS."""

    def __init__(self, job_id: int, attempt: int) -> None:
        self.job_id, self.attempt = job_id, attempt
        self.done = self.failed = 0
        self.written_at = time.monotonic()

    def add(self, done: int, failed: int) -> None:
        self.done += done
        self.failed += failed
        if time.monotonic() - self.written_at >= settings.BATCH_PROGRESS_SECONDS:
            self.write()

    def write(self) -> None:
        changed = _owned(self.job_id, self.attempt).update(
            rows_done=self.done, rows_failed=self.failed, heartbeat_at=timezone.now()
        )
        if not changed:
            raise _LostClaim
        self.written_at = time.monotonic()

    def cancel_requested(self) -> bool:
        flag = _owned(self.job_id, self.attempt).values_list("cancel_requested", flat=True).first()
        if flag is None:
            raise _LostClaim
        return flag


def _process_chunk(
    chunk: Chunk,
    *,
    case: Case,
    model: Any,
    converter: RowConverter,
    writer: ResultWriter,
) -> int:
    """Validate, predict and write one chunk, keeping the input order; returns failures."""
    outputs, errors = chunk_outcomes(
        converter.clean_columns(chunk.columns),
        case=case,
        model=model,
        names=writer.output_columns,
    )
    bad = [(place, cells, converter.clean_or_message(cells)) for place, cells in chunk.bad]
    writer.write_chunk(chunk.columns, Outcomes(outputs, errors, bad))
    return len(errors) - errors.count("") + len(bad)


@contextmanager
def _collector_skips_what_exists() -> Iterator[None]:
    """For the job's length, the cyclic garbage collector leaves alone every object that
    exists now (the loaded model's hundreds of thousands among them): each full collection
    would otherwise walk them all (~0.1 s for product-category's vocabularies), and the
    objects a chunk allocates set off one every few chunks. Afterwards they are collected
    as before, so nothing is kept for good."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _run(job: BatchJob, attempt: int, result: IO[bytes]) -> tuple[_Progress, bool]:
    case = get_case(job.model.slug)
    model = load_model(job.model_version)
    progress = _Progress(job.pk, attempt)
    with job.input_file.open("rb") as binary, _collector_skips_what_exists():
        header, chunks = read_chunks(binary, chunk_rows=settings.BATCH_CHUNK_ROWS)
        converter = RowConverter(case.schema, header)
        writer = ResultWriter(result, header=header, output_columns=case.output_columns())
        for chunk in chunks:
            if progress.cancel_requested():
                return progress, True
            failed = _process_chunk(
                chunk, case=case, model=model, converter=converter, writer=writer
            )
            progress.add(len(chunk), failed)
            if settings.BATCH_CHUNK_DELAY_SECONDS:
                time.sleep(settings.BATCH_CHUNK_DELAY_SECONDS)
    return progress, False


def batch_job_run(*, job_id: int) -> BatchJob | None:
    """Run a job to its end: the worker task. Returns the job, or None when this call
    did not get it (already finished, or running elsewhere with a fresh heartbeat)."""
    attempt = _claim(job_id)
    if attempt is None:
        logger.info("Batch %s not claimed: finished or owned by another worker.", job_id)
        return None
    job = BatchJob.objects.select_related("model", "model_version").get(pk=job_id)
    if attempt > settings.BATCH_MAX_ATTEMPTS:
        return _fail(job, attempt, _("The job was interrupted too many times."))
    if job.result_file:
        default_storage.delete(job.result_file.name)  # a dead attempt's partial result
    result_name = f"batches/{uuid.uuid4().hex}.csv"
    if not _owned(job_id, attempt).update(result_file=result_name):
        return None
    try:
        # Filesystem storage: the result is streamed row by row to its final place.
        with open(default_storage.path(result_name), "wb") as out:
            progress, cancelled = _run(job, attempt, out)
    except _LostClaim:
        logger.warning("Batch %s attempt %s lost its claim; stopping.", job_id, attempt)
        return None
    except DatabaseError:
        # The database went away: nothing can be recorded now. The job stays running with
        # a stale heartbeat; the reclaim schedule gives it to a worker again later.
        raise
    except (
        ArtifactTampered,
        UnknownCase,
        # A missing input file, and a full disk or I/O error writing the result: fail
        # at once, releasing the hold, rather than keep it through every retry.
        OSError,
        BatchFileError,
        UnicodeDecodeError,
    ) as exc:
        logger.exception("Batch %s failed.", job_id)
        return _fail(job, attempt, _("The job could not run: %(error)s") % {"error": exc})
    except Exception:
        # Every row's own failure is already its row's error: what is left is not about
        # one row and would fail every retry alike. Fail now and release the hold, rather
        # than keep it through BATCH_MAX_ATTEMPTS reclaims.
        logger.exception("Batch %s failed unexpectedly.", job_id)
        return _fail(job, attempt, _("The job stopped on an unexpected error."))
    return _finish(job_id, attempt, progress, cancelled=cancelled)


def _finish(job_id: int, attempt: int, progress: _Progress, *, cancelled: bool) -> BatchJob | None:
    """Capture the succeeded rows and close the job, once, under the job's row lock."""
    with transaction.atomic():
        job = _owned(job_id, attempt).select_for_update().select_related("model").first()
        if job is None:
            return None
        job.rows_done, job.rows_failed = progress.done, progress.failed
        job.charged = _capture(job, amount=job.rows_succeeded * job.price_per_row)
        job.status = BatchJob.Status.CANCELLED if cancelled else BatchJob.Status.DONE
        job.finished_at = job.heartbeat_at = timezone.now()
        job.save(
            update_fields=[
                "rows_done",
                "rows_failed",
                "charged",
                "status",
                "finished_at",
                "heartbeat_at",
            ]
        )
        send_after_commit(batch_job_finished, sender=BatchJob, job=job)
    return job


def _capture(job: BatchJob, *, amount: int) -> int:
    """Capture on the job's hold; returns what was actually charged (0 if the hold had
    expired: an expired hold is released, never charged)."""
    hold_capture(
        hold_id=job.hold_id,
        amount=amount,
        revenue_account=revenue_account(job.model.slug),
        line=batch_line(job=job.pk, model=job.model.slug, rows=job.rows_succeeded),
    )
    return Hold.objects.values_list("captured_amount", flat=True).get(pk=job.hold_id) or 0


def _fail(job: BatchJob, attempt: int, message: str) -> BatchJob | None:
    with transaction.atomic():
        locked = _owned(job.pk, attempt).select_for_update().first()
        if locked is None:
            return None
        hold_release(hold_id=locked.hold_id)
        if locked.result_file:
            # A failed job has no result to offer, only its error.
            default_storage.delete(locked.result_file.name)
            locked.result_file = ""
        locked.status = BatchJob.Status.FAILED
        locked.error = message
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "error", "finished_at", "result_file"])
        send_after_commit(batch_job_finished, sender=BatchJob, job=locked)
    return locked
