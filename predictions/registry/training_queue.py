"""Training in the background: one queued task per case, fastest first.

A first run serves the site at once and trains behind it: `train_models --queue` enqueues
a django-q2 task per case that has no production version. Each task fits its case and
serves it (`training.case_fit`), keeping the case's status (`training_status`) up to date:
the models page shows it, and a prediction on the case is refused with "training, ready
in about N s" (API: 503 with Retry-After) before anything is charged. Then it queues the
version's evaluation, which completes the model card while the model serves.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

from django.conf import settings

from predictions.ml.cases import get_case
from predictions.models import ModelVersion
from predictions.registry.services import model_version_card_update
from predictions.registry.training import (
    EVALUATION_DONE,
    EVALUATION_FAILED,
    EVALUATION_PENDING,
    case_fit,
    dataset_fingerprint,
    version_evaluate,
)
from predictions.registry.training_status import (
    expected_seconds,
    fastest_first,
    training_status_clear,
    training_status_write,
)

TRAIN_TASK = "predictions.registry.tasks.case_train_task"
EVALUATE_TASK = "predictions.registry.tasks.version_evaluate_task"


def cases_train_enqueue(slugs: Iterable[str]) -> list[str]:
    """Queue one training task per case, fastest first; each status says when it should
    be ready (the trainings ahead of it shared among the cluster's workers). Slugs, not
    cases: queueing imports no case module (bin/run queues before its site answers)."""
    from django_q.tasks import async_task

    workers = max(1, int(settings.Q_CLUSTER.get("workers", 1)))
    ordered = fastest_first(slugs)
    now, ahead = time.time(), 0.0
    for position, slug in enumerate(ordered):
        # The first `workers` cases start at once; each later one waits its share.
        wait = ahead / workers if position >= workers else 0.0
        training_status_write(slug, state="queued", ready_by=now + wait + expected_seconds(slug))
        name = f"train-{slug}-{uuid.uuid4().hex[:8]}"
        async_task(TRAIN_TASK, slug, group="training", task_name=name)
        ahead += expected_seconds(slug)
    return ordered


def evaluations_unfinished_enqueue(slugs: Iterable[str]) -> list[ModelVersion]:
    """Queue again the evaluation of each serving version of `slugs` whose evaluation never
    finished (the worker stopped while it ran or before: bin/run ended), so that its card
    does not say "evaluation running" until the broker redelivers the task an hour later;
    the task skips a version judged meanwhile."""
    versions = list(
        ModelVersion.objects.select_related("model").filter(
            model__slug__in=list(slugs),
            status=ModelVersion.Status.PRODUCTION,
            card__evaluation=EVALUATION_PENDING,
        )
    )
    for version in versions:
        _evaluation_enqueue(version)
    return versions


def case_train_queued(*, slug: str) -> None:
    """The queued task's work: fit the case and serve it unless a production version came
    meanwhile, keeping its status up to date, then queue its evaluation (behind the other
    cases' fits: every model serves before any is judged); a failure is left in the status
    for the models page."""
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
        version, _data = case_fit(case=case, datasets_dir=settings.DATASETS_DIR, progress=progress)
    except Exception as exc:
        training_status_write(slug, state="failed", ready_by=ready_by, error=str(exc)[:500])
        raise
    training_status_clear(slug)
    _evaluation_enqueue(version)


def version_evaluate_queued(*, version_id: int) -> None:
    """The queued evaluation: the version's data read again (refused when it changed since
    the fit), judged, its card completed (`training.version_evaluate`)."""
    version = ModelVersion.objects.select_related("model").get(pk=version_id)
    if version.card.get("evaluation") == EVALUATION_DONE:  # delivered twice: judged already
        return
    case = get_case(version.model.slug)
    data = case.load_training_data(settings.DATASETS_DIR)
    fingerprint, _files = dataset_fingerprint(case, settings.DATASETS_DIR, data)
    if fingerprint != version.data_fingerprint:
        model_version_card_update(
            version_id=version_id,
            evaluation=EVALUATION_FAILED,
            evaluation_error="The dataset changed after this version was fitted; retrain it.",
        )
        return
    version_evaluate(case=case, version=version, data=data)


def _evaluation_enqueue(version: ModelVersion) -> None:
    from django_q.tasks import async_task

    name = f"evaluate-{version.model.slug}-v{version.version}-{uuid.uuid4().hex[:8]}"
    async_task(EVALUATE_TASK, version.pk, group="training", task_name=name)
