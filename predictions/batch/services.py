"""Batch predictions: upload, hold, background run, capture. Every write lives here.

Money: creating a job places a hold for its maximum cost (rows x price) in the same
transaction as the job; the end of the job captures the rows that succeeded and
releases the rest. The capture is keyed by the hold, so a retried, duplicated or resumed
task never charges twice.

Work: a task is only a job id. A worker claims the job with a conditional update (one
row changed = this worker owns it) and bumps `attempt`; every later write is guarded by
that attempt and the running status, so a worker given up for dead cannot overwrite the
one that replaced it. A job whose worker died (stale heartbeat) is put back in the queue
by `batch_jobs_reclaim` and restarts from its first row into a fresh result file:
nothing is charged before the end, so a restart costs only time.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Hold
from billing.services.holds import hold_capture, hold_create, hold_release
from billing.system_accounts import revenue_account
from predictions.batch.csv_results import ResultWriter
from predictions.batch.csv_rows import RowConverter
from predictions.batch.csv_upload import BatchFileError, Inspection, inspect_upload, read_rows
from predictions.ml.cases import UnknownCase, get_case
from predictions.ml.cases.base import Case
from predictions.models import BatchJob, MLModel, ModelVersion
from predictions.registry.artifacts import load_model
from predictions.registry.errors import ArtifactTampered, NoProductionVersion
from predictions.registry.selectors import production_version

logger = logging.getLogger(__name__)

RUN_TASK = "predictions.batch.tasks.batch_job_run_task"


class BatchError(Exception):
    """A batch request that cannot be honoured; the message is for the user."""


class ModelUnavailable(BatchError):
    pass


class IdempotencyConflict(BatchError):
    pass


class JobNotConfirmable(BatchError):
    pass


@dataclass(frozen=True)
class UploadCheck:
    """A checked upload: the model it is for, its rows and what it can cost at most."""

    model: MLModel
    version: ModelVersion
    inspection: Inspection

    @property
    def max_cost(self) -> int:
        return self.inspection.rows * self.model.price_per_row


def _available_model(slug: str) -> tuple[MLModel, ModelVersion]:
    model = MLModel.objects.filter(slug=slug, is_active=True).first()
    if model is None:
        raise ModelUnavailable(_("There is no active model %(slug)s.") % {"slug": slug})
    try:
        return model, production_version(slug=slug)
    except NoProductionVersion:
        raise ModelUnavailable(
            _("Model %(slug)s has no production version yet.") % {"slug": slug}
        ) from None


def batch_upload_check(*, model_slug: str, upload: File) -> UploadCheck:
    """Check an uploaded CSV against a model's input schema, reading it once as a stream.

    Raises `ModelUnavailable`, or `BatchFileError` listing what is wrong with the file:
    too large, empty, not UTF-8, a line too long, too many rows, or header problems
    (missing and unknown columns by name).
    """
    model, version = _available_model(model_slug)
    limit = settings.BATCH_MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise BatchFileError(
            [_("The file is larger than %(limit)d MB.") % {"limit": limit // (1024 * 1024)}]
        )
    if not upload.size:
        raise BatchFileError([_("The file is empty: the first line must name the columns.")])
    upload.seek(0)
    inspection = inspect_upload(
        upload.file,
        schema=get_case(model.slug).schema,
        max_rows=settings.BATCH_MAX_ROWS,
        max_line_bytes=settings.BATCH_MAX_LINE_BYTES,
    )
    return UploadCheck(model=model, version=version, inspection=inspection)


def _place_hold(job: BatchJob) -> None:
    """Hold the job's maximum cost and queue it; the caller's transaction holds both."""
    hold = hold_create(
        user=job.user,
        amount=job.max_cost,
        reference=job.reference,
        expires_at=timezone.now() + timedelta(seconds=settings.BATCH_HOLD_SECONDS),
        description=f"Batch {job.pk}: {job.rows_total} rows of {job.model.slug}",
    )
    job.hold = hold
    job.status = BatchJob.Status.QUEUED
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["hold", "status", "heartbeat_at"])
    job_id = job.pk
    transaction.on_commit(lambda: _enqueue(job_id))


def _enqueue(job_id: int) -> None:
    from django_q.tasks import async_task

    async_task(RUN_TASK, job_id, group="batch", task_name=f"batch-{job_id}-{uuid.uuid4().hex[:8]}")


def batch_job_create(
    *,
    user: Any,
    check: UploadCheck,
    upload: File,
    original_name: str,
    confirm: bool,
    idempotency_key: str | None = None,
) -> tuple[BatchJob, bool]:
    """Store a checked upload as a job; returns (job, created).

    With `confirm` the job's hold is placed and its task enqueued at once (the API);
    without, the job waits as a draft for `batch_job_confirm` (the website's second
    step). Raises `InsufficientCredits` (nothing is created) when the wallet cannot
    hold the maximum cost. The same `idempotency_key` again returns the first job, or
    raises `IdempotencyConflict` if the model or the file differ.
    """
    if idempotency_key:
        existing = _job_for_key(user=user, key=idempotency_key, check=check)
        if existing is not None:
            return existing, False
    upload.seek(0)
    stored = default_storage.save(f"batches/{uuid.uuid4().hex}.csv", upload)
    try:
        with transaction.atomic():
            job = BatchJob.objects.create(
                user=user,
                model=check.model,
                model_version=check.version,
                original_name=original_name[:255],
                input_file=stored,
                input_size=check.inspection.size,
                input_sha256=check.inspection.sha256,
                rows_total=check.inspection.rows,
                price_per_row=check.model.price_per_row,
                max_cost=check.max_cost,
                idempotency_key=idempotency_key or "",
            )
            if confirm:
                _place_hold(job)
    except IntegrityError:
        default_storage.delete(stored)
        # Two requests with one key raced; the other one created the job.
        existing = (
            _job_for_key(user=user, key=idempotency_key, check=check) if idempotency_key else None
        )
        if existing is None:
            raise
        return existing, False
    except BaseException:
        default_storage.delete(stored)
        raise
    return job, True


def _job_for_key(*, user: Any, key: str, check: UploadCheck) -> BatchJob | None:
    job = BatchJob.objects.filter(user=user, idempotency_key=key).first()
    if job is not None and (
        job.model_id != check.model.pk or job.input_sha256 != check.inspection.sha256
    ):
        raise IdempotencyConflict(_("This Idempotency-Key was used for another file or model."))
    return job


def batch_job_confirm(*, job: BatchJob) -> BatchJob:
    """Confirm a draft: hold its maximum cost and queue it (raises `InsufficientCredits`)."""
    with transaction.atomic():
        locked = BatchJob.objects.select_for_update().select_related("model", "user").get(pk=job.pk)
        if locked.status != BatchJob.Status.DRAFT:
            raise JobNotConfirmable(_("This job was already confirmed."))
        _place_hold(locked)
    return locked


def batch_job_cancel(*, job: BatchJob) -> BatchJob:
    """Stop a job. A job not yet started is cancelled at once and its hold released; a
    running one is flagged and its worker stops between chunks, paying for the rows
    already done. A finished job is left as it is."""
    with transaction.atomic():
        locked = BatchJob.objects.select_for_update().get(pk=job.pk)
        if locked.status in (BatchJob.Status.DRAFT, BatchJob.Status.QUEUED):
            if locked.hold_id is not None:
                hold_release(hold_id=locked.hold_id)
            locked.status = BatchJob.Status.CANCELLED
            locked.cancel_requested = True
            locked.finished_at = timezone.now()
            locked.save(update_fields=["status", "cancel_requested", "finished_at"])
        elif locked.status == BatchJob.Status.RUNNING:
            locked.cancel_requested = True
            locked.save(update_fields=["cancel_requested"])
    return locked


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
            transaction.on_commit(lambda job_id=job_id: _enqueue(job_id))
            enqueued += 1
    return enqueued


# --- The worker -------------------------------------------------------------------------


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


def _predict(case: Case, model: Any, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """Predict rows in one vectorised call; if it fails, row by row to find the culprits
    (None marks a row the model could not predict)."""
    if not rows:
        return []
    try:
        return list(case.predict(model, rows))
    except Exception:
        logger.warning("Batch chunk prediction failed; retrying row by row.", exc_info=True)
    results: list[dict[str, Any] | None] = []
    for row in rows:
        try:
            results.append(case.predict(model, [row])[0])
        except Exception:
            logger.warning("Batch row prediction failed.", exc_info=True)
            results.append(None)
    return results


def _process_chunk(
    chunk: Sequence[list[str]],
    *,
    case: Case,
    model: Any,
    converter: RowConverter,
    writer: ResultWriter,
) -> int:
    """Validate, predict and write one chunk, keeping the input order; returns failures."""
    checked = converter.clean_chunk(chunk)
    predictions = iter(_predict(case, model, [row for row in checked if not isinstance(row, str)]))
    unpredictable = _("The model could not predict this row.")
    outcomes: list[dict[str, Any] | str] = []
    for row in checked:
        result = row if isinstance(row, str) else next(predictions)
        if result is None:
            outcomes.append(unpredictable)
        else:
            outcomes.append(result if isinstance(result, str) else case.result_to_columns(result))
    writer.write_chunk(chunk, outcomes)
    return sum(isinstance(outcome, str) for outcome in outcomes)


def _run(job: BatchJob, attempt: int, result_text: IO[str]) -> tuple[_Progress, bool]:
    case = get_case(job.model.slug)
    model = load_model(job.model_version)
    progress = _Progress(job.pk, attempt)
    with job.input_file.open("rb") as binary:
        header, chunks = read_rows(binary, chunk_rows=settings.BATCH_CHUNK_ROWS)
        converter = RowConverter(case.schema, header)
        writer = ResultWriter(result_text, header=header, output_columns=case.output_columns())
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
        with open(default_storage.path(result_name), "w", encoding="utf-8", newline="") as out:
            progress, cancelled = _run(job, attempt, out)
    except _LostClaim:
        logger.warning("Batch %s attempt %s lost its claim; stopping.", job_id, attempt)
        return None
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
    return job


def _capture(job: BatchJob, *, amount: int) -> int:
    """Capture on the job's hold; returns what was actually charged (0 if the hold had
    expired: an expired hold is released, never charged)."""
    hold_capture(
        hold_id=job.hold_id, amount=amount, revenue_account=revenue_account(job.model.slug)
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
    return locked
