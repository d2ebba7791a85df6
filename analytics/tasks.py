"""django-q2 tasks of analytics."""

from __future__ import annotations

from analytics.rollups import rollups_fold


def rollups_fold_task() -> str:
    return f"folded through {rollups_fold()}"
