"""Training in the background: one queued task per case, fastest first.

A first run serves the site at once and trains behind it: `train_models --queue` enqueues
a django-q2 task per case that has no production version. Each task keeps its case's
status (`training_status`) up to date: the models page shows it, and a prediction on the
case is refused with "training, ready in about N s" (API: 503 with Retry-After) before
anything is charged.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

from django.conf import settings

from predictions.ml.cases import get_case
from predictions.ml.cases.base import Case
from predictions.models import ModelVersion
from predictions.registry.training import case_train
from predictions.registry.training_status import (
    expected_seconds,
    fastest_first,
    training_status_clear,
    training_status_write,
)

TRAIN_TASK = "predictions.registry.tasks.case_train_task"


def cases_train_enqueue(cases: Iterable[Case]) -> list[Case]:
    """Queue one training task per case, fastest first; each status says when it should
    be ready (the trainings ahead of it shared among the cluster's workers)."""
    from django_q.tasks import async_task

    workers = max(1, int(settings.Q_CLUSTER.get("workers", 1)))
    ordered = fastest_first(cases)
    now, ahead = time.time(), 0.0
    for position, case in enumerate(ordered):
        # The first `workers` cases start at once; each later one waits its share.
        wait = ahead / workers if position >= workers else 0.0
        training_status_write(
            case.slug, state="queued", ready_by=now + wait + expected_seconds(case.slug)
        )
        name = f"train-{case.slug}-{uuid.uuid4().hex[:8]}"
        async_task(TRAIN_TASK, case.slug, group="training", task_name=name)
        ahead += expected_seconds(case.slug)
    return ordered


def case_train_queued(*, slug: str) -> None:
    """The queued task's work: train the case unless a production version came meanwhile,
    keeping its status up to date; a failure is left in the status for the models page."""
    case = get_case(slug)
    if ModelVersion.objects.filter(model__slug=slug, status=ModelVersion.Status.PRODUCTION):
        training_status_clear(slug)
        return
    ready_by = time.time() + expected_seconds(slug)
    steps_done = 0

    def progress(line: str) -> None:
        nonlocal steps_done
        if " done in " in line:  # _StepTimer's line for a finished step
            steps_done += 1
            training_status_write(slug, state="training", ready_by=ready_by, steps_done=steps_done)

    training_status_write(slug, state="training", ready_by=ready_by)
    try:
        case_train(case=case, datasets_dir=settings.DATASETS_DIR, progress=progress)
    except Exception as exc:
        training_status_write(slug, state="failed", ready_by=ready_by, error=str(exc)[:500])
        raise
    training_status_clear(slug)
