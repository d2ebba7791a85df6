"""django-q2 tasks: an id in, one service call."""

from __future__ import annotations

from predictions.batch.worker import batch_job_run, batch_jobs_reclaim


def batch_job_run_task(job_id: int) -> None:
    batch_job_run(job_id=job_id)


def batch_jobs_reclaim_task() -> int:
    return batch_jobs_reclaim()
