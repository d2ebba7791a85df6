"""The django-q2 schedule that puts back jobs whose worker died.

Created after `migrate` (not in a migration: predictions' migrations are regenerated),
with update_or_create so reruns and later edits are harmless.
"""

from __future__ import annotations

from typing import Any

RECLAIM_SCHEDULE = "predictions: reclaim stalled batch jobs"


def ensure_batch_schedules(**kwargs: Any) -> None:
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=RECLAIM_SCHEDULE,
        defaults={
            "func": "predictions.batch.tasks.batch_jobs_reclaim_task",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
