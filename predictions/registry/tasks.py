"""django-q2 tasks of the registry: a case's slug in, one service call."""

from __future__ import annotations

from predictions.registry.training_queue import case_train_queued


def case_train_task(slug: str) -> None:
    case_train_queued(slug=slug)
