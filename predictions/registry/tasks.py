"""django-q2 tasks of the registry: a case's slug (or a version's id) in, one service call."""

from __future__ import annotations

from predictions.registry.training_queue import case_train_queued, version_evaluate_queued


def case_train_task(slug: str) -> None:
    case_train_queued(slug=slug)


def version_evaluate_task(version_id: int) -> None:
    version_evaluate_queued(version_id=version_id)
