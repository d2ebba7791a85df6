"""gunicorn reads this file from the working directory by itself.

A worker's imported modules live as long as it does: once the application is loaded they
are left out of the cyclic collector's walks (`gc.freeze`), as a loaded model is
(predictions.registry.artifacts). Each full collection walked them all, stalling every
thread of the worker for up to 250 ms under bench/api.py's load.

With several workers, prometheus_client keeps each process's metrics in files under
PROMETHEUS_MULTIPROC_DIR; /metrics merges them. The directory must start empty (old files
would add a previous run's counts) and a dead worker's live gauges must be dropped.
"""

from __future__ import annotations

import gc
import os
import shutil
from pathlib import Path


def on_starting(server) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker) -> None:
    gc.freeze()
