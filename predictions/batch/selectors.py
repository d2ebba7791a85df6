"""Reads of batch jobs: always through the owner, so another user's job is not found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import number_format

from billing.models import HoldStatus
from billing.money import credits_number
from billing.selectors import wallet_balance
from predictions.models import BatchJob


def batch_jobs_for_user(*, user: Any) -> QuerySet[BatchJob]:
    return BatchJob.objects.filter(user=user).select_related("model", "hold")


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
    """A job's progress as its page shows it, numbers already in the reader's format: the
    page and its poll (the JSON of `batch_status`) write the same text."""

    id: int
    model: str
    status: str
    status_label: str
    rows_total: int
    rows_done: int
    rows_failed: int
    percent: int
    elapsed: str | None  # seconds, one decimal
    remaining: str | None  # seconds, an estimate while the job runs
    max_cost: str
    held: str | None  # what the job's hold still reserves; None once it is settled
    charged: str
    balance: str  # the owner's wallet balance, for the page's header
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
        elapsed = max(0.0, (end - job.started_at).total_seconds())
        if not job.is_finished and job.rows_done and elapsed:
            # Linear estimate from the rows done so far in this attempt.
            remaining = int(elapsed * (job.rows_total - job.rows_done) / job.rows_done)
    hold_active = job.hold is not None and job.hold.status == HoldStatus.ACTIVE
    return BatchProgress(
        id=job.pk,
        model=job.model.slug,
        status=job.status,
        status_label=str(job.get_status_display()),
        rows_total=job.rows_total,
        rows_done=job.rows_done,
        rows_failed=job.rows_failed,
        percent=int(100 * job.rows_done / job.rows_total) if job.rows_total else 0,
        elapsed=None if elapsed is None else number_format(elapsed, 1),
        remaining=None if remaining is None else number_format(remaining),
        max_cost=credits_number(job.max_cost),
        held=credits_number(job.hold.amount) if hold_active else None,
        charged=credits_number(job.charged),
        balance=credits_number(wallet_balance(user=job.user).balance),
        finished=job.is_finished,
        result_ready=batch_result_ready(job),
        cancel_requested=job.cancel_requested,
        error=job.error,
    )
