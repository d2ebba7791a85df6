"""Real server processes for the tests that need them (a qcluster, gunicorn): the
environment that points them at the test database, and a clean stop."""

from __future__ import annotations

import os
import signal
import subprocess

from django.conf import settings
from django.db import connection


def env_on_the_test_database(**extra: str) -> dict[str, str]:
    """This process's environment, pointed at the test database and media folder."""
    db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DJANGO_SETTINGS_MODULE": "mlbilling.settings",
        **extra,
    }


def stop(process: subprocess.Popen, *, timeout: float = 20) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
