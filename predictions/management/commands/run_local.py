"""`bin/run` in one process: prepare the local site, serve it, start the worker once it answers.

Every `manage.py` start-up imports Django and the six cases' ML stack, about 3 s of CPU
(more on a busy machine): run as four commands, migrate, seed_demo, train_models and
runserver cost four of them before the site answered. Here they run in one process, and
the worker (a second process, it has to be) starts only once the site answers, so that
the two start-ups do not compete for the CPU the first page needs.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV

# How long the announcement waits for the site to answer before it gives up on it.
ANSWER_WAIT_SECONDS = 120


class Command(BaseCommand):
    help = (
        "Run the site locally (bin/run): migrate, load the demo data, queue the training "
        "of the models that have none, serve with runserver and start the worker (qcluster) "
        "once the site answers; then print the demo logins."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--reload", action="store_true", help="Restart the server when the code changes."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        address = options["addrport"]
        if os.environ.get(DJANGO_AUTORELOAD_ENV):
            # The autoreloader's server process: its parent prepared the site and runs the
            # worker; this one only serves.
            call_command("runserver", address, use_reloader=True)
            return
        call_command("migrate", interactive=False, verbosity=options["verbosity"])
        seeded = io.StringIO()
        call_command("seed_demo", stdout=seeded)
        logins = [line for line in seeded.getvalue().splitlines() if "Demo login" in line]
        # Queues the training of the models that have none yet (from DATASETS_DIR): the
        # site never says "no model" for a model that is about to train.
        call_command("train_models", if_missing=True, queue=True, stdout=self.stdout)
        worker: list[subprocess.Popen] = []
        threading.Thread(
            target=self._when_answering,
            args=(address, lambda: self._start_worker(worker, address, logins)),
            daemon=True,
        ).start()
        # SIGTERM (bin/run's parent going away, `kill`) ends the server like Ctrl-C does,
        # so the worker is stopped below.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        try:
            call_command("runserver", address, use_reloader=options["reload"])
        finally:
            for process in worker:
                _stop(process)

    def _when_answering(self, address: str, then: Callable[[], None]) -> None:
        deadline = time.monotonic() + ANSWER_WAIT_SECONDS
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://{address}/healthz", timeout=2).close()
            except OSError:
                time.sleep(0.2)
            else:
                then()
                return

    def _start_worker(
        self, worker: list[subprocess.Popen], address: str, logins: list[str]
    ) -> None:
        # The worker trains the queued models, fastest first: each serves once fitted, and
        # its evaluation (for the model card) follows as a later task.
        manage = str(settings.BASE_DIR / "manage.py")
        worker.append(subprocess.Popen([sys.executable, manage, "qcluster"]))  # noqa: S603 (our own command)
        lines = "\n".join(logins)
        self.stdout.write(f"\n{lines}\nThe site: http://{address}/\n")


def _stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM (the cluster finishes its tasks' current step), then SIGKILL after `timeout`."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
