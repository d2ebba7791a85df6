"""Reads of batch jobs: always through the owner, so another user's job is not found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from billing.money import format_credits
from predictions.models import BatchJob


def batch_jobs_for_user(*, user: Any) -> QuerySet[BatchJob]:
    return BatchJob.objects.filter(user=user).select_related("model")


def batch_job_for_user(*, user: Any, job_id: int) -> BatchJob:
    """The user's job, or Http404 (another user's job is indistinguishable from none)."""
    return get_object_or_404(batch_jobs_for_user(user=user), pk=job_id)


def batch_result_ready(job: BatchJob) -> bool:
    """Whether the job has a result file to download: the one rule for the job page, the
    API's `result_url` and the download itself (a job cancelled before it started has
    none, so it offers no link that would answer 404)."""
    return job.status in (BatchJob.Status.DONE, BatchJob.Status.CANCELLED) and bool(job.result_file)


@dataclass(frozen=True)
class BatchProgress:
    """A job's progress as the job page and the API show it."""

    id: int
    model: str
    status: str
    status_label: str
    rows_total: int
    rows_done: int
    rows_failed: int
    percent: int
    elapsed_seconds: int | None
    remaining_seconds: int | None
    max_cost: str
    charged: str
    finished: bool
    result_ready: bool
    cancel_requested: bool
    error: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def batch_job_progress(*, job: BatchJob, now: Any = None) -> BatchProgress:
    now = now or timezone.now()
    elapsed = remaining = None
    if job.started_at is not None:
        end = job.finished_at or now
        elapsed = max(0, int((end - job.started_at).total_seconds()))
        if not job.is_finished and job.rows_done and elapsed:
            # Linear estimate from the rows done so far in this attempt.
            remaining = int(elapsed * (job.rows_total - job.rows_done) / job.rows_done)
    return BatchProgress(
        id=job.pk,
        model=job.model.slug,
        status=job.status,
        status_label=str(job.get_status_display()),
        rows_total=job.rows_total,
        rows_done=job.rows_done,
        rows_failed=job.rows_failed,
        percent=int(100 * job.rows_done / job.rows_total) if job.rows_total else 0,
        elapsed_seconds=elapsed,
        remaining_seconds=remaining,
        max_cost=format_credits(job.max_cost),
        charged=format_credits(job.charged),
        finished=job.is_finished,
        result_ready=batch_result_ready(job),
        cancel_requested=job.cancel_requested,
        error=job.error,
    )
