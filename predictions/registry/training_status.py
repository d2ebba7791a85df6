"""Where a case's background training stands, and the error a prediction on it gets.

The status is a small JSON file per case under MEDIA_ROOT/training/, beside the
artifacts the training writes: the web processes and the workers share that folder (one
machine, or the shared media volume of a scaled-out deploy). It is written by the queued
task (`training_queue`) and read by the models page and the paid path; a status not
touched for hours (a worker killed mid-training) is not believed.
"""

from __future__ import annotations

import json
import math
import os
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings

from predictions.registry.errors import ModelTraining, NoProductionVersion

# Seconds from a case's queued task starting to its model serving (`training.case_fit`:
# the data loaded, production fitted on all of it, registered; a worker's first task also
# imports the ML stack), measured here with the 2 cores shared with other busy work, so
# on the high side; the evaluation runs after, as its own task, while the model serves.
# They order the queue (fastest first) and make the estimates. A case missing here is put
# last with the longest estimate.
TRAINING_SECONDS = {
    "cirrhosis-survival": 8,
    "glioma-grade": 10,
    "elder-monitoring": 12,
    "android-malware": 15,
    "nhanes-age": 25,
    "product-category": 90,
}
# The steps `case_fit` reports (training._StepTimer): progress is steps done of these.
TRAINING_STEPS = 3
# A status older than this (a worker killed mid-training, a queue flushed) is not believed.
STALE_AFTER_SECONDS = 3 * 3600
# A training this far past its estimate may be queued again (`training_in_progress`).
OVERDUE_AFTER_SECONDS = 600


@dataclass(frozen=True)
class TrainingStatus:
    state: str  # "queued", "training" or "failed"
    ready_by: float  # epoch seconds when the case is expected to be served
    steps_done: int = 0
    updated_at: float = 0.0
    error: str = ""

    @property
    def active(self) -> bool:
        return self.state in ("queued", "training")

    def seconds_left(self, now: float | None = None) -> int:
        """At least 5: a training past its estimate is still running, not done."""
        return max(5, math.ceil(self.ready_by - (now or time.time())))

    @property
    def percent(self) -> int:
        return round(100 * self.steps_done / TRAINING_STEPS)


def expected_seconds(slug: str) -> int:
    return TRAINING_SECONDS.get(slug, max(TRAINING_SECONDS.values()))


def fastest_first(slugs: Iterable[str]) -> list[str]:
    return sorted(slugs, key=expected_seconds)


def training_status(slug: str) -> TrainingStatus | None:
    """The case's training status, or None when no training of it is known."""
    try:
        status = TrainingStatus(**json.loads(_status_path(slug).read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if time.time() - status.updated_at > STALE_AFTER_SECONDS:
        return None
    return status


def training_in_progress(slug: str) -> bool:
    """A training of the case is queued or running and not long past its estimate (past
    that, its worker is taken to have died and a new training may be queued)."""
    status = training_status(slug)
    return (
        status is not None
        and status.active
        and time.time() < status.ready_by + OVERDUE_AFTER_SECONDS
    )


def training_status_write(slug: str, **fields: object) -> None:
    """Replace the status atomically: a reader sees the old file or the new one."""
    status = TrainingStatus(**{**fields, "updated_at": time.time()})  # type: ignore[arg-type]
    path = _status_path(slug)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    partial.write_text(json.dumps(asdict(status)))
    os.replace(partial, path)


def training_status_clear(slug: str) -> None:
    _status_path(slug).unlink(missing_ok=True)


def not_ready_error(slug: str) -> NoProductionVersion:
    """What a prediction on a model without a production version is refused with:
    `ModelTraining` (503, Retry-After) while it trains, else `NoProductionVersion`."""
    status = training_status(slug)
    if status is not None and status.active:
        return ModelTraining(slug, seconds_left=status.seconds_left())
    return NoProductionVersion(slug)


def _status_path(slug: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "training" / f"{slug}.json"
