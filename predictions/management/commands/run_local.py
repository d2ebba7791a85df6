"""`bin/run` in one process: prepare the local site, serve it, run the worker beside it.

Every `manage.py` start-up imports Django and the project, a few seconds of CPU (several
times that in wall time on a busy machine): run as separate commands, migrate, seed_demo,
train_models, runserver and qcluster paid five of them before the first model served.
Here one process prepares the site and serves it, and the worker is a fork of it made
before the server starts, so it starts with all that imported (django-q2 forks its own
workers the same way, `multiprocessing`'s "fork" context); it waits for the site to
answer before it runs the cluster, so that the first page has the CPU first. None of
this imports a case module: the ML stack is imported where a case is used (the cases
registry is lazy), by the worker's tasks and the first prediction.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import signal
import sys
import time
import traceback
import urllib.request
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections
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
        worker = self._fork_worker(address, logins)
        # SIGTERM (bin/run's parent going away, `kill`) ends the server like Ctrl-C does,
        # so the worker is stopped below.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        try:
            call_command("runserver", address, use_reloader=options["reload"])
        finally:
            _stop(worker)

    def _fork_worker(self, address: str, logins: list[str]) -> int:
        """The worker process: a fork of this one that, once the site answers, prints the
        demo logins and runs the cluster (which trains the queued models, fastest first,
        each serving once fitted, its evaluation for the model card a later task)."""
        # Neither a database connection nor unwritten output may be shared with the child.
        connections.close_all()
        self.stdout.flush()
        sys.stdout.flush()
        pid = os.fork()
        if pid:
            return pid
        # Its own process group: `_stop` can end the cluster's processes together.
        os.setpgid(0, 0)
        try:
            self._when_answering(address)
            self.stdout.write("\n".join(["", *logins, f"The site: http://{address}/", ""]))
            self.stdout.flush()
            call_command("qcluster")
            # qcluster returns once its sentinel runs; `manage.py qcluster` then waits for
            # it at exit (multiprocessing joins its children), which os._exit would skip.
            for process in multiprocessing.active_children():
                process.join()
        except Exception:
            traceback.print_exc()
            os._exit(1)
        finally:
            os._exit(0)

    def _when_answering(self, address: str) -> None:
        deadline = time.monotonic() + ANSWER_WAIT_SECONDS
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://{address}/healthz", timeout=2).close()
            except OSError:
                time.sleep(0.2)
            else:
                return


def _stop(pid: int, timeout: float = 10) -> None:
    """SIGTERM to the worker: the cluster stops once its running tasks end. One that needs
    longer (an evaluation: minutes) is cut short, so that Ctrl-C is quick: SIGKILL to the
    worker's process group; the next run queues that evaluation again (its version's card
    says it never finished). Fits take seconds; queued tasks not yet run stay queued."""
    try:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while os.waitpid(pid, os.WNOHANG) == (0, 0):
            if time.monotonic() > deadline:
                os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return
            time.sleep(0.2)
    except (ProcessLookupError, ChildProcessError):  # gone already
        return
