"""Batch predictions: upload, hold, confirm, cancel. The worker that runs a job is
`predictions.batch.worker`.

Money: creating a job places a hold for its maximum cost (rows x price) in the same
transaction as the job; the end of the job (the worker) captures the rows that
succeeded and releases the rest. Cancelling a job not yet started releases its hold.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.services.holds import hold_create, hold_release
from mlbilling.errors import DomainError
from predictions.batch.csv_upload import BatchFileError, Inspection, inspect_upload
from predictions.batch.worker import batch_job_enqueue
from predictions.ml.cases import get_case
from predictions.models import BatchJob, MLModel, ModelVersion
from predictions.registry.errors import NoProductionVersion
from predictions.registry.selectors import production_version


class BatchError(Exception):
    """A batch request that cannot be honoured; the message is for the user."""


class ModelUnavailable(BatchError, DomainError):
    code = "model_unavailable"
    status_code = 400

    def field_errors(self) -> dict[str, Any]:
        return {"model": [str(self)]}


class IdempotencyConflict(BatchError, DomainError):
    code = "idempotency_key_reused"
    status_code = 409


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
    transaction.on_commit(lambda: batch_job_enqueue(job_id))


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
