"""The django-q2 schedule that folds closed days into the daily roll-ups.

Created after `migrate`, with update_or_create so reruns and later edits are harmless. It
runs every quarter of an hour: a run with nothing to fold costs one query, and a report
reads the days not folded yet from the raw tables, so a late run is slower, never wrong.
"""

from __future__ import annotations

from typing import Any

FOLD_SCHEDULE = "analytics: fold closed days into the daily roll-ups"


def ensure_rollup_schedule(**kwargs: Any) -> None:
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=FOLD_SCHEDULE,
        defaults={
            "func": "analytics.tasks.rollups_fold_task",
            "schedule_type": Schedule.MINUTES,
            "minutes": 15,
            "repeats": -1,
        },
    )
